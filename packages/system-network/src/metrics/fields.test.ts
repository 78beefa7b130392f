import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONNTRACK_FIELDS, CPU_FIELDS, DEVICE_FIELDS, QDISC_FIELDS, QUEUE_FIELDS } from './fields.ts';

const TABLES = { DEVICE_FIELDS, QDISC_FIELDS, CPU_FIELDS, CONNTRACK_FIELDS, QUEUE_FIELDS };

/** `a_{x,y}_{p,q}_total` as the names it stands for. */
function expand(pattern: string): string[] {
  const m = /\{([^{}]*)\}/.exec(pattern);
  if (!m) return [pattern];
  return m[1]!.split(',').flatMap((alt) => expand(pattern.slice(0, m.index) + alt + pattern.slice(m.index + m[0].length)));
}

/** Every series name docs/output-fields.md gives (a trailing brace group is its labels). */
function documentedSeries(): Set<string> {
  const doc = readFileSync(new URL('../../../../docs/output-fields.md', import.meta.url), 'utf8');
  const names = [...doc.matchAll(/`(netstrata_[a-z_{},]+)`/g)].flatMap((m) => expand(m[1]!.replace(/\{[a-z_,]*\}$/, '')));
  return new Set(names);
}

describe('metrics field tables', () => {
  it('name every counter series as docs/output-fields.md lists it', () => {
    const documented = documentedSeries();
    for (const [table, fields] of Object.entries(TABLES)) {
      for (const f of fields) expect(documented.has(f.prom), `${table}.${f.key}: ${f.prom}`).toBe(true);
    }
  });

  it('keep the rows in the order written, each with its own key, column and series', () => {
    expect(DEVICE_FIELDS.map((f) => f.key)).toEqual(['rx_packets', 'rx_bytes', 'tx_packets', 'tx_bytes', 'tx_errors']);
    expect(CONNTRACK_FIELDS[0]).toEqual({ key: 'searched', column: 'SEARCHED', prom: 'netstrata_conntrack_searched_total', help: 'Conntrack table lookups (kernels before 4.10 only).' });
    // A row that names its own series keeps it.
    expect(CPU_FIELDS[0]!.prom).toBe('netstrata_cpu_softirq_seconds_total');
    expect(QUEUE_FIELDS.at(-1)!.prom).toBe('netstrata_napi_budget_exhausted_total');
    const all = Object.values(TABLES).flat();
    expect(new Set(all.map((f) => f.prom)).size).toBe(all.length);
    for (const fields of Object.values(TABLES)) {
      expect(new Set(fields.map((f) => f.key)).size).toBe(fields.length);
      expect(new Set(fields.map((f) => f.column)).size).toBe(fields.length);
    }
  });
});
