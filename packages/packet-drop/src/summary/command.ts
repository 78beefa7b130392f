/** packet_drop_summary: where and why does the kernel drop packets? */
import {
  DropReasons,
  KallsymsSymbolizer,
  Sink,
  encodeFilter,
  everyInterval,
  resolveFilter,
  programMisses,
  readLosses,
  runLifecycle,
  stopSignal,
  type ToolCommand,
} from '@netstrata/bpf-common';
import object from '../../build/bpf/packet_drop_summary.bpf.o';
import { kfreeSkbHook } from '../hooks.ts';
import { DROP_KEY_SIZE } from '../layout.ts';
import { makeResolver, reasonCode } from '../shared.ts';
import { DropAggregator } from './aggregate.ts';
import { summaryOptions, summarySchema, type SummaryOptions } from './options.ts';
import { renderSummaryText, summaryRecord } from './render.ts';

export const DESCRIBE = 'Where and why does the kernel drop packets? Counts drops by reason, location, stack, device or flow, in the kernel.';

export const summaryCommand: ToolCommand<typeof summarySchema> = {
  name: 'packet_drop_summary',
  describe: DESCRIBE,
  examples: [
    ['$0', 'drops by reason and location, every second'],
    ['$0 --group-by reason,device --interval 5', 'which devices drop, and why'],
    ['$0 --group-by flow --protocol udp --dst-port 53', 'which DNS flows are dropped'],
    ['$0 --group-by stack --reason NETFILTER_DROP', 'the kernel paths of firewall drops'],
    ['$0 --netns blue --src-ip fd00::/64 --output json', 'drops in namespace blue from a v6 prefix, as NDJSON'],
  ],
  epilog: 'Consumed packets (consume_skb) are never counted. Output fields: docs/output-fields.md',
  options: summaryOptions,
  schema: summarySchema,
  handler: runSummary,
};

export async function runSummary(o: SummaryOptions): Promise<void> {
  const filter = resolveFilter(o);
  const reasons = DropReasons.fromKernel();
  const reason = reasonCode(reasons, o.reason);
  const signal = stopSignal();
  const sink = new Sink(o.output);
  const by = new Set(o.groupBy);
  await runLifecycle(
    {
      name: 'packet_drop_summary',
      object,
      hooks: [kfreeSkbHook],
      rodata: {
        targ_filter: encodeFilter(filter),
        targ_reason: reason,
        targ_by_reason: by.has('reason'),
        targ_by_location: by.has('location'),
        targ_by_stack: by.has('stack'),
        targ_by_device: by.has('device'),
        targ_by_flow: by.has('flow'),
      },
      run: async ({ obj, signal }) => {
        // Read after attaching: ready sooner, and the kernel's symbols are what they are now.
        const symbols = KallsymsSymbolizer.fromProc();
        if (!symbols.available) sink.info('packet_drop_summary', `locations shown as addresses: ${symbols.reason}`);
        const drops = obj.map('drops');
        if (drops.keySize !== DROP_KEY_SIZE) throw new Error(`drop key is ${drops.keySize} bytes in the object, decoder expects ${DROP_KEY_SIZE}`);
        const resolver = makeResolver(reasons, symbols, by.has('stack') ? obj.map('stacks') : undefined);
        const agg = new DropAggregator();
        const started = Date.now();
        let last = started;
        const report = (type: 'interval' | 'final') => {
          const now = Date.now();
          const snap = agg.update(drops.entries());
          const losses = { ...readLosses(obj.map('lost')), missed: programMisses(obj) };
          const rec = summaryRecord(type, snap, {
            time: new Date(now),
            intervalS: Math.round((now - (type === 'final' ? started : last)) / 100) / 10,
            top: o.top,
            groupBy: o.groupBy,
            losses,
            resolver,
          });
          last = now;
          sink.record(rec, () => renderSummaryText(rec, resolver));
        };
        await everyInterval({ intervalMs: o.interval * 1000, durationMs: o.duration * 1000, signal }, () => report('interval'));
        report('final');
      },
    },
    { signal, verbose: o.verbose, readyFile: o.readyFile, log: (m) => sink.info('packet_drop_summary', m) },
  );
}
