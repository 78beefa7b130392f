import { describe, expect, it } from 'vitest';
import { parseTable, tableScript } from './tables.ts';
import { ZONE_DUMP } from './stats.ts';

const STAT = 'entries searched found new invalid ignore delete delete_list insert insert_failed drop early_drop icmp_error expect_new expect_create expect_delete search_restart\n00000006 0 0 0 00000003 0 0 0 0 0 0 0 0 0 0 0 0\n';

describe('reading a namespace table', () => {
  it('without --zones the script reads only the kernel counters and sysctls: no conntrack(8), no dump', () => {
    const script = tableScript(false);
    expect(script).not.toMatch(/(^|[\s;{|])conntrack\s/);
    expect(tableScript(true)).toMatch(/(^|[\s;{|])conntrack -L/);
    expect(script).not.toContain(ZONE_DUMP);
    expect(script).toMatch(/\/proc\/net\/stat\/nf_conntrack/);
    expect(tableScript(true)).toContain(ZONE_DUMP);
  });

  it("parses the counters, and the dump's entries by zone only with --zones", () => {
    const out = `${STAT}@@netstrata@@\n6\n@@netstrata@@\n262144\n`;
    const plain = parseTable(out, 5, false);
    expect(plain).toEqual({ row: expect.objectContaining({ netns: 5, entries: 6, max: 262144, invalid: 3 }) });
    expect(plain).not.toHaveProperty('zones');
    expect(parseTable(`${out}@@netstrata@@\n0 4\n7 2\n`, 5, true)?.zones).toEqual(new Map([[0, 4], [7, 2]]));
    expect(parseTable('', 5, false)).toBeUndefined();
  });
});
