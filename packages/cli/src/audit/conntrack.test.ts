import { describe, expect, it } from 'vitest';
import { conntrackTable } from './conntrack.ts';
import { got, unread } from './facts.ts';
import { facts } from './fixture.ts';

const ct = (count: number, max: number, drop = 0, earlyDrop = 0) => got('/proc/net/stat/nf_conntrack', { count, max, drop, earlyDrop, insertFailed: 0 });

describe('conntrack-table', () => {
  it('80 % full is a warning, 95 % critical, with count and max as evidence', () => {
    const w = conntrackTable.check(facts({ ns: { conntrack: ct(850, 1000) } }));
    expect(w.findings.map((f) => [f.severity, f.summary])).toEqual([['warning', 'conntrack table 85 % full (850 of 1000 entries)']]);
    expect(w.findings[0]!.evidence.slice(0, 2)).toEqual([
      { name: 'net.netfilter.nf_conntrack_count', value: 850 },
      { name: 'net.netfilter.nf_conntrack_max', value: 1000 },
    ]);
    expect(conntrackTable.check(facts({ ns: { conntrack: ct(990, 1000, 3, 4) } })).findings.map((f) => [f.severity, f.summary])).toEqual([
      ['critical', 'conntrack table 99 % full (990 of 1000 entries); 7 new connections already refused'],
    ]);
  });

  it('below 80 % is fine unless connections were already refused', () => {
    expect(conntrackTable.check(facts({ ns: { conntrack: ct(799, 1000) } })).findings).toEqual([]);
    expect(conntrackTable.check(facts({ ns: { conntrack: ct(10, 1000, 5, 0) } })).findings.map((f) => f.summary)).toEqual([
      'conntrack refused 5 new connections for want of room (now 1 % full: 10 of 1000)',
    ]);
  });

  it('conntrack not loaded: nothing to check; unreadable: said', () => {
    expect(conntrackTable.check(facts())).toEqual({ findings: [], unread: [], checked: [] });
    expect(conntrackTable.check(facts({ ns: { conntrack: unread('/proc/sys/net/netfilter/nf_conntrack_max', 'permission denied (not root)') } })).unread).toHaveLength(1);
  });
});
