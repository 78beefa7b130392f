/** conntrack_details: Which packets does netfilter drop, and what was their connection tracking
 * state? One event per dropped packet. */
import { DropReasons, KallsymsSymbolizer, UsageError, defineDetails } from '@netstrata/bpf-common';
import { z } from 'zod';
import object from '../../build/bpf/conntrack_details.bpf.o';
import { metricsDropHook } from '../hooks.ts';
import { eventFields, renderEventText, renderFinalText, StateTally, statusNames, type CtFinal } from './details.ts';
import { ctEventJson } from './json.ts';
import { CT_STATES, ctEvent, type CtState } from './layout.ts';
import { checkNetfilterDrop, netfilterDrop } from './summary-tool.ts';

export const DETAILS_DESCRIBE = 'Which packets does netfilter drop, and what was their connection tracking state? One event per dropped packet: its flow, state, zone, status and mark, and where it was dropped.';

/** --state a,b → the states' bits (1 << enum ct_state), 0 for all. */
export function stateMask(states: readonly string[] | undefined): number {
  let mask = 0;
  for (const s of states ?? []) {
    const i = CT_STATES.indexOf(s.toLowerCase() as CtState);
    if (i < 0) throw new UsageError(`--state: '${s}' is not one of ${CT_STATES.join(', ')}`);
    mask |= 1 << i;
  }
  return mask;
}

const statesOption = z
  .union([z.string(), z.array(z.string())])
  .optional()
  .transform((v) => (v === undefined ? undefined : (Array.isArray(v) ? v : [v]).flatMap((x) => String(x).split(',')).filter(Boolean)));

export const conntrackDetails = defineDetails({
  name: 'conntrack_details',
  domain: 'system-network',
  describe: DETAILS_DESCRIBE,
  examples: [
    ['$0', 'every packet netfilter drops, with its connection tracking state'],
    ['$0 --state none --protocol tcp', 'TCP packets dropped without an entry: invalid (a `ct state invalid drop` rule), or refused by a full table'],
    ['$0 --netns blue --state new,established', "namespace blue's drops of packets of known connections"],
    ['$0 --output json', 'as NDJSON (docs/output-fields.md)'],
  ],
  epilog:
    'One hook, skb:kfree_skb: one BPF run per dropped packet of the host (any reason), none per packet conntrack tracks; an event only for NETFILTER_DROP that passes the filters. ' +
    "The state is the one the packet carried as it was freed (skb->_nfct): none (no entry: conntrack found it invalid, refused it for lack of room, or never looked at it), new, established, related (each original or reply), untracked. Where it had an entry: the entry's zone, mark and status bits (names from the kernel's BTF). " +
    'The location tells a hook verdict (nf_hook_slow: conntrack refusing a packet, an iptables rule) from an nftables rule on kernels that free its drops in nft_do_chain (6.18 does). The rule itself is not named. ' +
    'Packets conntrack finds invalid and the ruleset accepts are not dropped and not shown: conntrack_summary counts them (invalid). Lost events (ring buffer full) are counted and printed at exit. Output fields: docs/output-fields.md',
  hooks: [metricsDropHook],
  uses: { filter: 'packet' },
  options: (y) =>
    y.option('state', {
      type: 'string',
      array: true,
      describe: `only packets in these states (${CT_STATES.join(', ')}; comma-separated or repeated)`,
    }),
  schema: { state: statesOption },
  check: (o) => {
    stateMask(o.state);
    checkNetfilterDrop();
  },
  object,
  kernelRodata: () => ({ targ_nf_drop: netfilterDrop() ?? 0 }),
  rodata: (o) => ({ targ_states: stateMask(o.state) }),
  start: ({ clock, info }) => {
    const symbols = KallsymsSymbolizer.fromProc();
    if (!symbols.available) info(`drop locations shown as addresses: ${symbols.reason}`);
    const reasons = DropReasons.fromKernel();
    const names = {
      reason: (c: number) => reasons.name(c),
      location: (a: bigint) => {
        const s = symbols.resolve(a);
        return s ? { symbol: s.symbol, offset: s.offset } : { symbol: `0x${a.toString(16)}`, offset: 0 };
      },
      status: statusNames(),
    };
    const tally = new StateTally();
    return {
      event: (data) => {
        const e = eventFields(ctEvent.read(data), clock, names);
        tally.add(e.state);
        return e;
      },
      // --output json: the same text, straight from the ring (one event per dropped packet of a flood).
      json: ctEventJson(clock, names, tally),
      render: renderEventText,
      final: (): CtFinal => ({ by_state: tally.counts }),
      renderFinal: renderFinalText,
    };
  },
});
