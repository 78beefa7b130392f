import { describe, expect, it } from 'vitest';
import { SLOTS } from '@netstrata/bpf-common';
import type { SchedEntry, SchedKey, SchedVal } from '../layout.ts';
import { renderSchedText, schedDeltas, threadRows } from './report.ts';

const slots = (at: Record<number, number>) => {
  const s = new Array<bigint>(SLOTS).fill(0n);
  for (const [k, v] of Object.entries(at)) s[Number(k)] = BigInt(v);
  return s;
};
const byKey = (es: readonly SchedEntry[]) => es.map((e): [string, SchedEntry] => [`${e.key.tid}/${e.key.cpu}`, e]);
const NO_LOSSES = { lost: 0, map_full: 0, stack_failed: 0, evicted: 0, missed: 0 };

describe('sched report', () => {
  const row = (key: SchedKey, val: Partial<SchedVal>) => ({ key, val: { comm: 'worker', wakeups: 0, preempted: 0, slots: slots({}), ...val } });

  it('threads summed over CPUs, the longest waits first, intervals by difference', () => {
    const now = [
      row({ pid: 10, tid: 11, cpu: 0 }, { wakeups: 3, slots: slots({ 15: 3 }) }),
      row({ pid: 10, tid: 11, cpu: 1 }, { wakeups: 1, preempted: 1, slots: slots({ 21: 2 }) }),
      row({ pid: 20, tid: 20, cpu: 0 }, { comm: 'other', wakeups: 9, slots: slots({ 10: 9 }) }),
    ];
    const deltas = schedDeltas();
    const rows = threadRows(deltas.update(byKey(now)).interval);
    expect(rows.map((r) => [r.tid, r.wakeups, r.preempted, r.wait.count])).toEqual([
      [11, 4, 1, 5],
      [20, 9, 0, 9],
    ]);
    expect(rows[0]!.cpus.map((c) => [c.cpu, c.count])).toEqual([[0, 3], [1, 2]]);
    const later = [...now.slice(0, 2), row({ pid: 20, tid: 20, cpu: 0 }, { comm: 'other', wakeups: 10, slots: slots({ 10: 10 }) })];
    expect(threadRows(deltas.update(byKey(later)).interval).map((r) => [r.tid, r.wakeups])).toEqual([[20, 1]]);
    const text = renderSchedText({ type: 'final', tool: 'sched_latency_summary', time: new Date(0).toISOString(), interval_s: 1, threads: rows, more_threads: 0, ...NO_LOSSES }, 1);
    expect(text).toMatch(/10\s+11\s+worker\s+4\s+1\s/);
    expect(text).toMatch(/worker \(tid 11\): woken -> running/);
  });
});
