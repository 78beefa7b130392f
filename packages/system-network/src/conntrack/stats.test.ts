import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { conntrackScript, parseConntrack, sumStatColumns, ZONE_DUMP, zoneEntries } from './stats.ts';

// As this kernel (6.18) prints them.
const CT_HEADER = 'entries  clashres found new invalid ignore delete chainlength insert insert_failed drop early_drop icmp_error  expect_new expect_create expect_delete search_restart';
const ctLine = (v: number[]) => v.map((x) => x.toString(16).padStart(8, '0')).join(' ');
const ct = (a: number[], b: number[]) => `${CT_HEADER}\n${ctLine(a)}\n${ctLine(b)}\n`;

describe('conntrack statistics', () => {
  it('sums conntrack statistics over CPUs, by the names in the header', () => {
    //            entries clash found new invalid ignore delete chain insert ifail drop early icmp
    const r = parseConntrack(ct([3, 0, 10, 0, 2, 0, 0, 0, 0, 1, 4, 5, 0, 0, 0, 0, 0], [3, 1, 20, 0, 0, 0, 0, 0, 0, 0, 2, 1, 7, 0, 0, 0, 9]), '3\n', '262144\n', 42)!;
    expect(r).toEqual({
      netns: 42, entries: 3, max: 262144, searched: null, found: 30, invalid: 2, insert: 0, insert_failed: 1, drop: 6, early_drop: 6, icmp_error: 7, clash_resolve: 1, chain_too_long: 0, search_restart: 9,
    });
    // No conntrack in the kernel: nothing to read, no row.
    expect(parseConntrack('', '', '', 42)).toBeUndefined();
    // The count from the statistics when the sysctls are not readable.
    expect(parseConntrack(ct([5, ...new Array(16).fill(0)], [5, ...new Array(16).fill(0)]), '', '', 1)).toMatchObject({ entries: 5, max: null });
  });
});

describe('conntrack statistics, by the header', () => {
  it("sums any kernel's columns by name; entries is the count, not a sum", () => {
    // Columns of another kernel, in another order, with one this code does not know.
    const stat = 'entries searched found invalid drop newcol\n00000004 00000001 00000002 00000003 00000001 0000000a\n00000004 00000001 00000000 00000001 00000000 00000001\n';
    expect(Object.fromEntries(sumStatColumns(stat)!)).toEqual({ entries: 4, searched: 2, found: 2, invalid: 4, drop: 1, newcol: 11 });
    expect(parseConntrack(stat, '', '', 9)).toMatchObject({ entries: 4, searched: 2, invalid: 4, drop: 1, insert: null, clash_resolve: null });
    expect(sumStatColumns('entries found\n')).toBeUndefined();
  });

  it('prints the files it reads with the separator between them', () => {
    const s = conntrackScript('@@');
    expect(s.filter((l) => l === 'echo @@')).toHaveLength(2);
    expect(s[0]).toMatch(/\/proc\/net\/stat\/nf_conntrack/);
  });
});

describe('entries by zone', () => {
  it("reads the dump's per-zone counts", () => {
    expect([...zoneEntries('0 4\n7 2\n\n')]).toEqual([[0, 4], [7, 2]]);
    expect(zoneEntries('')).toEqual(new Map());
  });

  it('counts zone=, zone-orig= and no zone (0) in a real listing, run through the awk of the dump', () => {
    const listing = [
      'tcp      6 431999 ESTABLISHED src=10.200.0.1 dst=10.200.0.2 sport=40000 dport=5301 src=10.200.0.2 dst=10.200.0.1 sport=5301 dport=40000 [ASSURED] mark=0 use=1',
      'tcp      6 431999 ESTABLISHED src=10.200.0.1 dst=10.200.0.2 sport=40002 dport=5302 src=10.200.0.2 dst=10.200.0.1 sport=5302 dport=40002 [ASSURED] mark=0 zone=7 use=1',
      'udp      17 29 src=fd00:200::1 dst=fd00:200::2 sport=1 dport=2 [UNREPLIED] src=fd00:200::2 dst=fd00:200::1 sport=2 dport=1 mark=0 zone-orig=7 use=1',
    ].join('\n');
    const awk = ZONE_DUMP.slice(ZONE_DUMP.indexOf('awk'));
    const out = execFileSync('sh', ['-c', awk], { input: listing, encoding: 'utf8' });
    expect(zoneEntries(out)).toEqual(new Map([[0, 1], [7, 2]]));
  });
});
