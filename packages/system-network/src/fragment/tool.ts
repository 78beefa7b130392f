/** fragment_summary: Is IP reassembly losing packets on this host, and for which datagrams? */
import { DropReasons, KallsymsSymbolizer, KernelRows, UsageError, defineSummary, tracepointFlavours, type Hook, type ResolvedFilter } from '@netstrata/bpf-common';
import object from '../../build/bpf/fragment_summary.bpf.o';
import { namespacesOf } from '../metrics/devices.ts';
import { readReasm, ReasmTracker, type ReasmCounters } from './counters.ts';
import { decodeDrop, dropRowOps, fragKey, fragLast, fragStats, type DropEntry } from './layout.ts';
import { fragmentDrops, renderFragmentText, type Names } from './report.ts';

export const DESCRIBE = 'Is IP reassembly losing packets on this host, and for which datagrams? IPv4 and IPv6: fragments reassembled, timed out, duplicated, overlapping or refused, per datagram and per host.';

/** skb:kfree_skb through bpf-common's handlers (netstrata/kfree_skb_flavours.h): the tracepoint
 * flavours, which carry the drop reason (every kernel since 5.17). */
export const fragmentDropHook: Hook = { name: 'skb:kfree_skb', flavours: tracepointFlavours('skb:kfree_skb') };

/** Rows kept in the since-start total once gone from the kernel (every datagram is its own row). */
const KEEP = 8192;

/** The kernel's counters of every namespace the filter watches, by inode. */
function readAll(filter: ResolvedFilter): Map<number, ReasmCounters> {
  const out = new Map<number, ReasmCounters>();
  for (const ns of namespacesOf(filter)) {
    const c = readReasm(ns);
    if (c) out.set(ns.inode, c);
  }
  return out;
}

const baselines = new WeakMap<object, Map<number, ReasmCounters>>();

interface Snapshot {
  kernel: { interval: ReasmCounters; total: ReasmCounters };
  rows: { interval: DropEntry[]; total: DropEntry[] };
}

const PORTS = ['srcPort', 'dstPort', 'port'] as const;

export const fragmentSummary = defineSummary({
  name: 'fragment_summary',
  domain: 'system-network',
  describe: DESCRIBE,
  examples: [
    ['$0', "every namespace's reassembly, every 5 seconds: the kernel's counters, the fragments dropped by kind and reason, the datagrams that lost most"],
    ['$0 --netns blue --interval 60', "namespace blue's reassembly, once a minute"],
    ['$0 --src-ip 10.1.0.0/16 --protocol udp --top 20', 'UDP datagrams from 10.1/16 whose fragments were dropped, the twenty that lost most'],
    ['$0 --ip fd00::/8 --output json', 'IPv6 datagrams to or from fd00::/8, as NDJSON (docs/output-fields.md)'],
  ],
  epilog:
    'Reassembly as the kernel counts it (fragments in, datagrams reassembled, failed, timed out, IPv4 overlaps) comes from the kernel\'s own counters, /proc/net/snmp, /proc/net/netstat and /proc/net/snmp6, read each interval in every namespace watched (the filters other than --netns do not apply to them). ' +
    'Which datagrams lost fragments, and why, comes from skb:kfree_skb: every drop of an IPv4 or IPv6 fragment, by datagram (addresses, identification, protocol), by the kernel\'s drop reason and location, and by kind: ' +
    'timeout, duplicate, refused (overlapping or inconsistent, or reassembly memory full), too_far (ipfrag_max_dist), purged (kernels before 6.2: held when its datagram was given up), other (dropped elsewhere: its reason says why). ' +
    'Cost: one BPF run per dropped packet, none per fragment received or reassembled (kernels before 6.2 free the fragments of each reassembled datagram through the drop tracepoint: one run each there, left out of the counts). ' +
    'Fragments carry no ports after the first: --src-port, --dst-port and --port are refused. Output fields: docs/output-fields.md',
  hooks: [fragmentDropHook],
  uses: { filter: 'flow', interval: 5, top: 10 },
  check: (o) => {
    const p = PORTS.find((k) => o[k] !== undefined);
    if (p) throw new UsageError(`--${p.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}: fragments after the first carry no ports; filter by address (--src-ip, --dst-ip, --ip) and --protocol`);
  },
  object,
  maps: { drops: { key: fragKey, value: fragStats }, last: { key: 4, value: fragLast } },
  // The kernel's counters when the tool is ready: "since start" counts from here.
  attach: (obj, _o, filter) => void baselines.set(obj, readAll(filter)),
  start: ({ o, obj, filter, signal, info }) => {
    const reasons = DropReasons.fromKernel();
    // Read after attaching: ready sooner, and the kernel's symbols are what they are now.
    const symbols = KallsymsSymbolizer.fromProc();
    if (!symbols.available) info(`locations shown as addresses and kinds told by reason only: ${symbols.reason}`);
    const names: Names = {
      reason: (c) => reasons.name(c),
      location: (a) => {
        const s = symbols.resolve(a);
        return s ? { symbol: s.symbol, offset: s.offset } : undefined;
      },
    };
    const kernel = new ReasmTracker(baselines.get(obj) ?? new Map());
    const drops = new KernelRows(obj.map('drops'), obj, { decode: decodeDrop, ...dropRowOps, keep: KEEP });
    drops.sweepEvery(signal);
    return {
      read: (): Snapshot => ({ kernel: kernel.update(readAll(filter)), rows: drops.read() }),
      losses: () => ({ evicted: drops.evicted }),
      record: (s: Snapshot, tick) => {
        const final = tick.type === 'final';
        return { kernel: final ? s.kernel.total : s.kernel.interval, ...fragmentDrops(final ? s.rows.total : s.rows.interval, names, o.top, filter.netns) };
      },
      render: renderFragmentText,
    };
  },
});
