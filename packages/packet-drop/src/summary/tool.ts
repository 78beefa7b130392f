/** packet_drop_summary: where and why does the kernel drop packets? */
import { z } from 'zod';
import { KallsymsSymbolizer, KernelRows, defineSummary } from '@netstrata/bpf-common';
import object from '../../build/bpf/packet_drop_summary.bpf.o';
import { kfreeSkbHook } from '../hooks.ts';
import { dropKey } from '../layout.ts';
import { kernelReasons, kernelResolver, reasonCode } from '../resolve.ts';
import { decodeDrop, dropRowOps, dropSnapshot, type DropSnapshot } from './aggregate.ts';
import { GROUP_KEYS, renderSummaryText, summaryFields, type GroupKey } from './render.ts';

const groupBy = z.string().transform((s, ctx): GroupKey[] => {
  const keys = s.split(',').map((k) => k.trim()).filter(Boolean);
  const bad = keys.find((k) => !(GROUP_KEYS as readonly string[]).includes(k));
  if (!keys.length || bad !== undefined) {
    ctx.addIssue({ code: 'custom', message: bad === undefined ? `--group-by: give at least one of ${GROUP_KEYS.join(', ')}` : `--group-by: '${bad}' is not one of ${GROUP_KEYS.join(', ')}` });
    return z.NEVER;
  }
  return [...new Set(keys)] as GroupKey[];
});

export const packetDropSummary = defineSummary({
  name: 'packet_drop_summary',
  domain: 'packet-drop',
  describe: 'Where and why does the kernel drop packets? Counts drops by reason, location, stack, device or flow, in the kernel.',
  examples: [
    ['$0', 'drops by reason and location, every second'],
    ['$0 --group-by reason,device --interval 5', 'which devices drop, and why'],
    ['$0 --group-by flow --protocol udp --dst-port 53', 'which DNS flows are dropped'],
    ['$0 --group-by stack --reason NETFILTER_DROP', 'the kernel paths of firewall drops'],
    ['$0 --netns blue --src-ip fd00::/64 --output json', 'drops in namespace blue from a v6 prefix, as NDJSON'],
  ],
  epilog: 'Consumed packets (consume_skb) are never counted. Output fields: docs/output-fields.md',
  hooks: [kfreeSkbHook],
  uses: { filter: 'packet', interval: 1, top: 10 },
  options: (y) =>
    y
      .option('group-by', { type: 'string', default: 'reason,location', describe: `keys to count drops by, comma separated: ${GROUP_KEYS.join(', ')}` })
      .option('reason', { type: 'string', describe: 'only drops with this reason (kernel name, e.g. NO_SOCKET)' }),
  schema: { groupBy, reason: z.string().optional() },
  check: (o) => void reasonCode(kernelReasons(), o.reason),
  object,
  maps: { drops: { key: dropKey, value: 8 } },
  rodata: (o) => {
    const by = new Set(o.groupBy);
    return {
      targ_reason: reasonCode(kernelReasons(), o.reason),
      targ_by_reason: by.has('reason'),
      targ_by_location: by.has('location'),
      targ_by_stack: by.has('stack'),
      targ_by_device: by.has('device'),
      targ_by_flow: by.has('flow'),
    };
  },
  start: ({ o, obj, signal, info }) => {
    // Read after attaching: ready sooner, and the kernel's symbols are what they are now.
    const symbols = KallsymsSymbolizer.fromProc();
    if (!symbols.available) info(`locations shown as addresses: ${symbols.reason}`);
    const resolver = kernelResolver(kernelReasons(), symbols, o.groupBy.includes('stack') ? obj.map('stacks') : undefined);
    const drops = new KernelRows(obj.map('drops'), obj, { decode: decodeDrop, ...dropRowOps });
    drops.sweepEvery(signal);
    return {
      read: () => dropSnapshot(drops.read()),
      losses: () => ({ evicted: drops.evicted }),
      record: (snap: DropSnapshot, tick) => summaryFields(snap, tick, { top: o.top, groupBy: o.groupBy, resolver }),
      render: renderSummaryText,
    };
  },
});
