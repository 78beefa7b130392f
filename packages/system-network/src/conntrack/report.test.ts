import { describe, expect, it } from 'vitest';
import type { Flow } from '@netstrata/bpf-common';
import type { FlowEntry, StateEntry } from './layout.ts';
import { flowRecords, hostRecord, namespaceRecords, renderConntrackText, tableFull, type ConntrackRecord } from './report.ts';
import type { ConntrackRow } from './stats.ts';

const row = (netns: number, o: Partial<ConntrackRow> = {}): ConntrackRow => ({
  netns, entries: 0, max: null, searched: null, found: 0, invalid: 0, insert: 0, insert_failed: 0, drop: 0, early_drop: 0, icmp_error: 0, clash_resolve: 0, chain_too_long: 0, search_restart: 0, ...o,
});
const NF_HOOK = 0xffffffff81000100n;
const NFT = 0xffffffff81000200n;
const symbolize = (a: bigint) => (a === NF_HOOK ? { symbol: 'nf_hook_slow', offset: 0x8d } : { symbol: 'nft_do_chain', offset: 0x12 });
const st = (netns: number, state: StateEntry['key']['state'], count: number, zone: number | null = null, location = NF_HOOK): StateEntry => ({ key: { location, netns, zone, state }, count });
const udp = (sport: number): Flow => ({ src: '10.200.0.1', dst: '10.200.0.2', sport, dport: 9000, protocol: 'UDP' });

describe('conntrack_summary records', () => {
  it('table_full is the drop counter less the insert failures (both count a drop), null where the kernel lacks it', () => {
    expect(tableFull({ ...row(1), drop: 10, insert_failed: 3 })).toBe(7);
    expect(tableFull({ ...row(1), drop: null })).toBeNull();
    expect(tableFull({ ...row(1), drop: 2, insert_failed: null })).toBe(2);
  });

  it("each namespace: its table, fullness and counters; its drops by state, zone and location; its zones' entries", () => {
    const rows = [row(10, { entries: 6, max: 6, drop: 100, invalid: 0 }), row(20, { entries: 1, max: 262144, invalid: 5 })];
    const zones = new Map([[10, new Map([[0, 4], [7, 2]])]]);
    const states = [st(10, 'none', 100), st(10, 'new', 20, 7, NFT), st(20, 'none', 5, null, NFT), st(20, 'established', 0)];
    const ns = namespaceRecords({ rows, zones }, states, symbolize);
    expect(ns.map((r) => r.netns)).toEqual([10, 20]);
    expect(ns[0]).toMatchObject({ entries: 6, max: 6, fullness_pct: 100, table_full: 100, counters: { drop: 100, insert: 0 } });
    expect(ns[0]!.netfilter_drops).toMatchObject({ total: 120, none: 100, new: 20, established: 0 });
    expect(ns[0]!.netfilter_drops.by_location).toEqual([
      { location: { symbol: 'nf_hook_slow', offset: 0x8d }, count: 100 },
      { location: { symbol: 'nft_do_chain', offset: 0x12 }, count: 20 },
    ]);
    expect(ns[0]!.zones).toEqual([
      { zone: 0, entries: 4, netfilter_drops: expect.objectContaining({ total: 0 }) },
      { zone: 7, entries: 2, netfilter_drops: expect.objectContaining({ total: 20, new: 20 }) },
    ]);
    // Not dumped: no zone rows but those drops name, with entries unknown.
    expect(ns[1]).toMatchObject({ fullness_pct: 0, table_full: 0, zones: [], netfilter_drops: { total: 5, none: 5 } });
    const host = hostRecord(ns);
    expect(host).toMatchObject({ namespaces: 2, entries: 7, fullest: { netns: 10, fullness_pct: 100 }, table_full: 100, counters: { invalid: 5, drop: 100 }, netfilter_drops: { total: 125, none: 105, new: 20 } });
  });

  it('without --zones (no dump): zones only from drops, with no entries field; the text shows their drops alone', () => {
    const ns = namespaceRecords({ rows: [row(10, { entries: 6, max: 6 })] }, [st(10, 'new', 3, 7, NFT)], symbolize);
    expect(ns[0]!.zones).toEqual([{ zone: 7, netfilter_drops: expect.objectContaining({ total: 3, new: 3 }) }]);
    expect(ns[0]!.zones.every((z) => !('entries' in z))).toBe(true);
    // With --zones, a zone the dump did not list has 0 entries; a namespace not read has null.
    const dumped = namespaceRecords({ rows: [row(10, { entries: 6, max: 6 })], zones: new Map([[10, new Map([[0, 6]])]]) }, [st(10, 'new', 3, 7, NFT), st(11, 'new', 1, 3, NFT)], symbolize);
    expect(dumped.find((r) => r.netns === 10)!.zones.map((z) => [z.zone, z.entries])).toEqual([[0, 6], [7, 0]]);
    expect(dumped.find((r) => r.netns === 11)!.zones.map((z) => [z.zone, z.entries])).toEqual([[3, null]]);
    const rec = {
      type: 'interval', tool: 'conntrack_summary', time: new Date(0).toISOString(), interval_s: 5,
      lost: 0, map_full: 0, stack_failed: 0, evicted: 0, missed: 0, cost: { bpf_runs: 0, bpf_run_ns: 0 } as never,
      host: hostRecord(ns), namespaces: ns, flows: [], more_flows: 0,
    } satisfies ConntrackRecord;
    const text = renderConntrackText(rec);
    expect(text).toMatch(/^\s+zone 7: drops new 3$/m);
    expect(text).not.toMatch(/entries$/m);
  });

  it('a namespace with drops but no table reading is still a row; no limit is no fullness', () => {
    const ns = namespaceRecords({ rows: [row(3, { entries: 2, max: 0 })], zones: new Map() }, [st(4, 'untracked', 2, null)], symbolize);
    expect(ns.find((r) => r.netns === 3)).toMatchObject({ fullness_pct: null });
    expect(ns.find((r) => r.netns === 4)).toMatchObject({ max: null, counters: { drop: null }, table_full: null, netfilter_drops: { untracked: 2 } });
    expect(hostRecord(ns).namespaces).toBe(1);
  });

  it('--confirmed: each namespace its count, the host their sum; a lost event makes it a lower bound', () => {
    const confirmed = new Map([[10, { confirmed: 3, overrun: false }], [30, { confirmed: 2, overrun: true }]]);
    const ns = namespaceRecords({ rows: [row(10, { entries: 3 })], zones: new Map(), confirmed }, [], symbolize);
    expect(ns.map((r) => [r.netns, r.confirmed, r.confirmed_overrun])).toEqual([[10, 3, false], [30, 2, true]]);
    expect(hostRecord(ns)).toMatchObject({ confirmed: 5, confirmed_overrun: true });
    // Without --confirmed: null, and no column.
    expect(namespaceRecords({ rows: [row(10)], zones: new Map() }, [], symbolize)[0]!.confirmed).toBeNull();
  });

  it('flows: most drops first, empty ones left out', () => {
    const flows: FlowEntry[] = [
      { key: { flow: udp(1), netns: 1, zone: null, state: 'none' }, count: 1 },
      { key: { flow: udp(2), netns: 1, zone: 7, state: 'new' }, count: 5 },
      { key: { flow: undefined, netns: 1, zone: null, state: 'none' }, count: 0 },
    ];
    expect(flowRecords(flows)).toEqual([
      { flow: udp(2), netns: 1, zone: 7, state: 'new', drops: 5 },
      { flow: udp(1), netns: 1, zone: null, state: 'none', drops: 1 },
    ]);
  });

  it('renders the host line, each namespace with its zones and drop locations, then the flows', () => {
    const namespaces = namespaceRecords({ rows: [row(10, { entries: 6, max: 6, drop: 100 })], zones: new Map([[10, new Map([[0, 6]])]]) }, [st(10, 'none', 100)], symbolize);
    const rec: ConntrackRecord = {
      type: 'interval', tool: 'conntrack_summary', time: new Date(0).toISOString(), interval_s: 5,
      lost: 0, map_full: 0, stack_failed: 0, evicted: 0, missed: 0, cost: { bpf_runs: 0, bpf_run_ns: 0 } as never,
      host: hostRecord(namespaces), namespaces, flows: [{ flow: udp(1), netns: 10, zone: null, state: 'none', drops: 100 }], more_flows: 3,
    };
    const text = renderConntrackText(rec);
    expect(text).toMatch(/interval 5\.0 s: 100 netfilter drops \(none 100\); conntrack: 100 table full, 0 invalid/);
    expect(text).toMatch(/fullest table 100% \(netns 10\)/);
    expect(text).toMatch(/^\s+NETNS\s+ENTRIES\s+MAX\s+FULL\s+INVALID\s+TABLE FULL/m);
    expect(text).toMatch(/^\s+10\s+6\s+6\s+100%\s+0\s+100\s+0\s+0\s+0\s+none 100$/m);
    // With --confirmed, its column and the host's count.
    const withEvents = namespaceRecords({ rows: [row(10, { entries: 6, max: 6 })], zones: new Map(), confirmed: new Map([[10, { confirmed: 4, overrun: false }]]) }, [], symbolize);
    const t2 = renderConntrackText({ ...rec, host: hostRecord(withEvents), namespaces: withEvents, flows: [], more_flows: 0 });
    expect(t2).toMatch(/conntrack: 4 confirmed, 0 table full/);
    expect(t2).toMatch(/^\s+10\s+6\s+6\s+100%\s+4\s+0\s+0/m);
    expect(text).toMatch(/^\s+zone 0: 6 entries$/m);
    expect(text).toMatch(/dropped at nf_hook_slow\+0x8d 100/);
    expect(text).toMatch(/10\.200\.0\.1:1 -> 10\.200\.0\.2:9000 \(UDP\)\s+10\s+-\s+none\s+100/);
    expect(text).toMatch(/and 3 more flows/);
  });
});
