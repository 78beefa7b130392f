import { describe, expect, it } from 'vitest';
import type { RowEntry } from '../layout.ts';
import { renderUpcallText, rowId, rowOps, upcallFields, type UpcallRecord } from './report.ts';

/** Latency slots with `n` samples in slot `k` (the log-linear histogram's own slots). */
const slots = (k: number, n: number): bigint[] => Array.from({ length: 496 }, (_, i) => (i === k ? BigInt(n) : 0n));
const entry = (id: number, name: string, v: Partial<RowEntry['val']>): RowEntry => ({
  key: { id, netns: 4026531840, flow: undefined },
  val: { name, upcalls: 0, executed: 0, failed: 0, untimed: 0, actionUpcalls: 0, latency: slots(0, 0), ...v },
});

describe('ovs_upcall_latency_summary records', () => {
  const pa = entry(3, 'pa', { upcalls: 20, executed: 18, failed: 1, latency: slots(200, 18) });
  const pb = entry(5, 'pb', { upcalls: 2, executed: 2, latency: slots(300, 2) });

  it('adds every row into the totals, the unanswered by row, the rate over the span', () => {
    const unanswered = new Map([[rowId(pa.key), 1]]);
    const f = upcallFields('port', [pb, pa], unanswered, { top: 10, hooked: true, seconds: 4, waiting: 0 });
    expect(f).toMatchObject({ by: 'port', upcalls: 22, executed: 20, failed: 1, unanswered: 1, upcalls_per_s: 5.5, more_rows: 0 });
    expect(f.latency.count).toBe(20);
    // Most upcalls first, each with its own counts.
    expect(f.rows.map((r) => [r.port!.name, r.upcalls, r.unanswered, r.failed, r.latency.count])).toEqual([
      ['pa', 20, 1, 1, 18],
      ['pb', 2, 0, 0, 2],
    ]);
  });

  it('failed is null where the return is not hooked, and by handler', () => {
    expect(upcallFields('port', [pa], new Map(), { top: 10, hooked: false, seconds: 1, waiting: 0 }).failed).toBeNull();
    const h = upcallFields('handler', [entry(812, 'handler3', { upcalls: 4, executed: 4, latency: slots(100, 4) })], new Map(), { top: 10, hooked: true, seconds: 1, waiting: 0 });
    expect(h.failed).toBeNull();
    expect(h.rows[0]).toMatchObject({ handler: { tid: 812, comm: 'handler3' }, failed: null });
  });

  it('keeps --top rows and counts the rest', () => {
    const f = upcallFields('port', [pa, pb], new Map(), { top: 1, hooked: true, seconds: 1, waiting: 3 });
    expect([f.rows.length, f.more_rows, f.waiting, f.upcalls]).toEqual([1, 1, 3, 22]);
  });

  it('an interval is the difference of two reads, histograms slot by slot', () => {
    const later = entry(3, 'pa', { upcalls: 25, executed: 23, failed: 1, latency: slots(200, 23) });
    const d = rowOps.sub(later, pa);
    expect([d.val.upcalls, d.val.executed, d.val.failed, d.val.latency[200]]).toEqual([5, 5, 0, 5n]);
    expect(rowOps.isEmpty(rowOps.sub(pa, pa))).toBe(true);
    expect(rowOps.add(pa, d).val.latency[200]).toBe(23n);
  });

  it('renders a heading with the totals and a row per port', () => {
    const f = upcallFields('port', [pa, pb], new Map(), { top: 10, hooked: true, seconds: 4, waiting: 0 });
    const text = renderUpcallText({ ...f, type: 'final', time: '', interval_s: 4 } as unknown as UpcallRecord);
    expect(text).toMatch(/22 upcalls \(5\.5\/s\), 20 executed, 1 failed, 0 unanswered, 0 waiting; latency p50/);
    expect(text).toMatch(/^\s*PORT\s+UPCALLS\s+EXECUTED\s+FAILED\s+UNANSWERED\s+P50\s+P99\s+P99\.9$/m);
    expect(text).toMatch(/^\s*pa\(3\)\s+20\s+18\s+1\s+0\s/m);
  });
});
