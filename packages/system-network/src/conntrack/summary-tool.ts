/** conntrack_summary: Is connection tracking dropping or refusing packets on this host, and is its
 * table full? */
import { DropReasons, KallsymsSymbolizer, KernelRows, UsageError, defineSummary, type Delta, type NetnsRef, type ResolvedFilter } from '@netstrata/bpf-common';
import { z } from 'zod';
import object from '../../build/bpf/conntrack_summary.bpf.o';
import { metricsDropHook } from '../hooks.ts';
import { SinceStart } from '../metrics/aggregate.ts';
import { namespacesOf } from '../metrics/devices.ts';
import { ctFlowKey, ctStateKey, decodeFlow, decodeState, type FlowEntry, type StateEntry } from './layout.ts';
import { flowRecords, hostRecord, namespaceRecords, renderConntrackText, type Symbolize } from './report.ts';
import { CONNTRACK_COUNTERS, conntrackId, conntrackShown, type ConntrackRow } from './stats.ts';
import { ConfirmedCounter, type Confirmed } from './events.ts';
import { haveConntrackTool, readTable } from './tables.ts';

export const DESCRIBE = 'Is connection tracking dropping or refusing packets on this host, and is its table full?';

/** The kernel's NETFILTER_DROP, named from its BTF (numbers differ between kernels). */
export function netfilterDrop(): number | undefined {
  return DropReasons.fromKernel().code('NETFILTER_DROP');
}

export function checkNetfilterDrop(): void {
  if (netfilterDrop() === undefined) throw new UsageError("this kernel's drop reasons (enum skb_drop_reason in its BTF) have no NETFILTER_DROP: the tool has nothing to count");
}

interface Reading {
  rows: ConntrackRow[];
  /** --zones only: entries by zone, by namespace. */
  zones?: Map<number, Map<number, number>>;
}

function readTables(filter: ResolvedFilter, zones: boolean): Reading {
  const out: Reading = { rows: [], ...(zones && { zones: new Map() }) };
  for (const ns of namespacesOf(filter) as NetnsRef[]) {
    const t = readTable(ns, zones);
    if (!t || !conntrackShown(t.row)) continue;
    out.rows.push(t.row);
    if (t.zones) out.zones?.set(t.row.netns, t.zones);
  }
  return out;
}

interface Snapshot {
  tables: { interval: ConntrackRow[]; total: ConntrackRow[]; zones?: Map<number, Map<number, number>> };
  confirmed?: { interval: Map<number, Confirmed>; total: Map<number, Confirmed> };
  states: Delta<StateEntry>;
  flows: Delta<FlowEntry>;
}

const countOps = <E extends { count: number }>() => ({
  sub: (now: E, before: E): E => ({ ...now, count: now.count - before.count }),
  add: (a: E, b: E): E => ({ ...b, count: a.count + b.count }),
  isEmpty: (d: E) => !d.count,
});

/** The kernel's tables when the tool is ready: "since start" counts from here. */
const baselines = new WeakMap<object, Reading>();
/** --confirmed: the listeners, subscribed before the tool is ready. */
const listeners = new WeakMap<object, ConfirmedCounter>();

export const conntrackSummary = defineSummary({
  name: 'conntrack_summary',
  domain: 'system-network',
  describe: DESCRIBE,
  examples: [
    ['$0', "every namespace's conntrack table, its counters and the packets netfilter dropped, every 5 seconds"],
    ['$0 --netns blue --interval 60', "namespace blue's table once a minute"],
    ['$0 --protocol udp --top 20', 'drops of UDP packets only, the 20 flows with most'],
    ['$0 --confirmed', "also count the connections each table confirmed, from conntrack's own events"],
    ['$0 --netns blue --zones', "also count blue's entries by zone (a dump of its table each interval: the cost grows with the table)"],
    ['$0 --output json', 'as NDJSON (docs/output-fields.md)'],
  ],
  epilog:
    "The table's entries and limit (nf_conntrack_count, nf_conntrack_max) and conntrack's own counters (/proc/net/stat/nf_conntrack, summed over CPUs: invalid, insert_failed, drop, early_drop, clash_resolve, ...) are the kernel's, read each interval inside every namespace whose conntrack is in use (--netns: that one). " +
    'table_full is drop less insert_failed: the packets conntrack refused because it could not make them an entry. ' +
    "Recent kernels print insert (and found) without counting them: --confirmed counts confirmed connections from conntrack's NEW events instead (a conntrack(8) listener in each namespace whose conntrack is in use as the tool starts; the kernel builds one message per new connection while it listens). " +
    "Nothing lists a table unless asked: --zones counts each table's entries by zone from a dump (conntrack(8), one per namespace per interval: its cost grows with the table). " +
    'Packets netfilter dropped (NETFILTER_DROP) are counted by skb:kfree_skb, one BPF run per dropped packet and none per tracked one, by the state of their connection as they carried it: none (no entry: invalid, refused for lack of room, or never looked at), new, established, related, untracked; by zone where they had an entry, and by where the kernel freed them. ' +
    'The filters select those drops; the tables are per namespace. Output fields: docs/output-fields.md',
  hooks: [metricsDropHook],
  uses: { filter: 'packet', interval: 5, top: 10 },
  options: (y) =>
    y
      .option('zones', {
        type: 'boolean',
        default: false,
        describe: "count each table's entries by zone (a dump of the table per namespace per interval, by conntrack(8): its cost grows with the table)",
      })
      .option('confirmed', {
        type: 'boolean',
        default: false,
        describe: "count the connections each table confirmed, from conntrack's NEW events (a conntrack(8) listener per namespace: one message per new connection)",
      }),
  schema: { zones: z.boolean(), confirmed: z.boolean() },
  check: (o) => {
    if (o.zones && !haveConntrackTool()) throw new UsageError('--zones: needs conntrack(8), which is not installed (Debian: apt-get install conntrack)');
    if (o.confirmed && !haveConntrackTool()) throw new UsageError('--confirmed: needs conntrack(8), which is not installed (Debian: apt-get install conntrack)');
    checkNetfilterDrop();
  },
  object,
  kernelRodata: () => ({ targ_nf_drop: netfilterDrop() ?? 0 }),
  maps: { states: { key: ctStateKey, value: 8 }, flows: { key: ctFlowKey, value: 8 } },
  attach: (obj, o, filter) => {
    const baseline = readTables(filter, false);
    baselines.set(obj, baseline);
    // The namespaces whose conntrack is in use now (--netns: that one, in use or not).
    const inUse = new Set(baseline.rows.map((r) => r.netns));
    if (o.confirmed) listeners.set(obj, new ConfirmedCounter(namespacesOf(filter).filter((ns) => filter.netns || inUse.has(ns.inode))));
  },
  start: ({ o, obj, filter, signal, info }) => {
    const symbols = KallsymsSymbolizer.fromProc();
    if (!symbols.available) info(`drop locations shown as addresses: ${symbols.reason}`);
    const symbolize: Symbolize = (a) => {
      const s = symbols.resolve(a);
      return s ? { symbol: s.symbol, offset: s.offset } : { symbol: `0x${a.toString(16)}`, offset: 0 };
    };
    const tables = new SinceStart<ConntrackRow>(CONNTRACK_COUNTERS, conntrackId, baselines.get(obj)?.rows ?? [], undefined, () => true);
    const states = new KernelRows(obj.map('states'), obj, { decode: decodeState, ...countOps<StateEntry>() });
    const flows = new KernelRows(obj.map('flows'), obj, { decode: decodeFlow, ...countOps<FlowEntry>() });
    for (const t of [states, flows]) t.sweepEvery(signal);
    const events = listeners.get(obj);
    if (events?.failed.length) info(`--confirmed: conntrack -E did not start in namespace ${events.failed.join(', ')} (gone meanwhile?): not counted there`);
    let before = new Map<number, Confirmed>();
    const readConfirmed = () => {
      if (!events) return undefined;
      const total = events.read();
      const interval = new Map([...total].map(([ns, c]) => [ns, { confirmed: c.confirmed - (before.get(ns)?.confirmed ?? 0), overrun: c.overrun && !before.get(ns)?.overrun }]));
      before = total;
      return { interval, total };
    };
    return {
      read: (): Snapshot => {
        const now = readTables(filter, o.zones);
        return { tables: { ...tables.update(now.rows), zones: now.zones }, confirmed: readConfirmed(), states: states.read(), flows: flows.read() };
      },
      // Only the flow table is an LRU and counts the rows it creates (the state table is a hash: a
      // full one refuses, counted map_full in the kernel).
      losses: () => ({ evicted: flows.evicted }),
      record: (s: Snapshot, tick) => {
        const final = tick.type === 'final';
        const confirmed = final ? s.confirmed?.total : s.confirmed?.interval;
        const namespaces = namespaceRecords({ rows: final ? s.tables.total : s.tables.interval, zones: s.tables.zones, confirmed }, final ? s.states.total : s.states.interval, symbolize);
        const rows = flowRecords(final ? s.flows.total : s.flows.interval);
        return { host: hostRecord(namespaces), namespaces, flows: rows.slice(0, o.top), more_flows: Math.max(0, rows.length - o.top) };
      },
      render: renderConntrackText,
      stop: () => events?.stop(),
    };
  },
});
