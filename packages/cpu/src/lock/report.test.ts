import { describe, expect, it } from 'vitest';
import { SLOTS, slotOf, toHistogram } from '@netstrata/bpf-common';
import type { LockEntry } from '../layout.ts';
import { lockDeltas, mostWaitedFirst, renderLockText, topLocks, type LockRecord } from './report.ts';

const slots = (at: Record<number, number>) => {
  const s = new Array<bigint>(SLOTS).fill(0n);
  for (const [k, v] of Object.entries(at)) s[Number(k)] = BigInt(v);
  return s;
};
const byKey = (es: readonly LockEntry[]) => es.map((e): [string, LockEntry] => [Object.values(e.key).join('/'), e]);
/** The rows a report shows: what `entries` added since `before` (everything without it). */
const changed = (entries: readonly LockEntry[], before?: readonly LockEntry[]) => {
  const d = lockDeltas();
  if (before) d.update(byKey(before));
  return mostWaitedFirst(d.update(byKey(entries)).interval);
};

describe('lock report', () => {
  const entry = (tid: number, lock: bigint, kind: 'mutex' | 'futex', count: number, totalNs: number, uncontended = 0): LockEntry => ({
    key: { pid: 1, tid, lock, kind, ustack: 0, caller: 0n },
    count,
    totalNs,
    maxNs: totalNs,
    uncontended,
    slots: slots(count ? { [slotOf(20e6)]: count } : {}), // waits of 20 ms
  });

  it('the most contended locks over every thread, and intervals by difference', () => {
    const now = [entry(2, 0x10n, 'mutex', 4, 80e6), entry(3, 0x10n, 'mutex', 1, 20e6), entry(2, 0x20n, 'futex', 9, 1e6)];
    expect(topLocks(changed(now))).toEqual([
      { lock: '0x10', kind: 'mutex', waiters: 2, count: 5, uncontended: 0, total_us: 100000 },
      { lock: '0x20', kind: 'futex', waiters: 1, count: 9, uncontended: 0, total_us: 1000 },
    ]);
    const later = [entry(2, 0x10n, 'mutex', 6, 120e6), ...now.slice(1)];
    const d = changed(later, now);
    expect(d.map((e) => [e.key.tid, e.count, e.totalNs])).toEqual([[2, 2, 40e6]]);
    expect(d[0]!.slots[slotOf(20e6)]).toBe(2n);
  });

  it('a thread that only took the lock uncontended is no waiter and adds no wait', () => {
    // The holder takes the mutex 50 times and never blocks; the waiter blocks on it 50 times.
    const now = [entry(7, 0x10n, 'mutex', 0, 0, 50), entry(8, 0x10n, 'mutex', 50, 1e9, 0), entry(9, 0x30n, 'mutex', 0, 0, 3)];
    const d = changed(now);
    expect(d.map((e) => [e.key.tid, e.count, e.uncontended])).toEqual([[8, 50, 0], [7, 0, 50], [9, 0, 3]]);
    expect(topLocks(d)).toEqual([
      { lock: '0x10', kind: 'mutex', waiters: 1, count: 50, uncontended: 50, total_us: 1e6 },
      { lock: '0x30', kind: 'mutex', waiters: 0, count: 0, uncontended: 3, total_us: 0 },
    ]);
    // An interval in which only uncontended calls happened still shows them, with no wait.
    const later = [entry(7, 0x10n, 'mutex', 0, 0, 60), ...now.slice(1)];
    expect(changed(later, now).map((e) => [e.key.tid, e.count, e.uncontended, e.slots.every((x) => x === 0n)])).toEqual([[7, 0, 10, true]]);
  });

  it('text: uncontended calls in their own column, no time, no histogram, not among the contended', () => {
    const d = changed([entry(7, 0x10n, 'mutex', 0, 0, 50), entry(8, 0x10n, 'mutex', 50, 1e9, 0), entry(9, 0x30n, 'mutex', 0, 0, 3)]);
    const rec: LockRecord = {
      type: 'final', tool: 'lock_wait_summary', time: '2024-01-01T00:00:00Z', interval_s: 10, pid: 1, library: '/libc.so.6',
      locks: topLocks(d),
      rows: d.map((e) => ({ pid: 1, tid: e.key.tid, lock: `0x${e.key.lock.toString(16)}`, kind: e.key.kind, count: e.count, uncontended: e.uncontended, total_us: e.totalNs / 1000, max_us: e.maxNs / 1000, wait: toHistogram(e.slots, 'ns') })),
      more_rows: 0, lost: 0, map_full: 0, stack_failed: 0, evicted: 0, missed: 0,
    };
    const text = renderLockText(rec, 3);
    expect(text).toMatch(/0x10\s+mutex\s+1000\.000 ms in 50 waits by 1 threads, 50 uncontended/);
    expect(text).not.toMatch(/0x30 .* waits/);
    expect(text).toMatch(/TID\s+LOCK\s+KIND\s+WAITS\s+UNCONTENDED\s+TOTAL_MS/);
    expect(text).toMatch(/\n\s+7\s+0x10\s+mutex\s+0\s+50\s+-\s+-\s+-\s+-\n/);
    expect(text).toContain('tid 8 on mutex 0x10');
    expect(text).not.toContain('tid 7 on');
  });
});
