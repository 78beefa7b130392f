import { describe, expect, it } from 'vitest';
import { parseConntrack } from './conntrack.ts';

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
