/** The cpu tools' pure parts: option parsing, CPU masks, aggregation and rendering. */
import { describe, expect, it } from 'vitest';
import { cpuMask, decodeLockVal, LOCK_VAL_SIZE, type SchedKey, type SchedVal } from './layout.ts';
import { parseComm, parseCpuList } from './options.ts';
import { lockDeltas, renderLockText, topLocks, type LockRecord } from './lock/report.ts';
import { toHistogram } from '@netstrata/bpf-common';
import { foldedLine, offcpuDeltas } from './offcpu/report.ts';
import { renderSchedText, threadRows } from './sched/report.ts';
import { renderSoftirqText, vectorRows, type SoftirqSlots } from './softirq/report.ts';

const slots = (at: Record<number, number>) => {
  const s = new Array<bigint>(65).fill(0n);
  for (const [k, v] of Object.entries(at)) s[Number(k)] = BigInt(v);
  return s;
};

describe('options', () => {
  it('CPU lists as the kernel writes them', () => {
    expect(parseCpuList('0,2-3', 4)).toEqual([0, 2, 3]);
    expect(parseCpuList('3,1,1', 4)).toEqual([1, 3]);
    expect(parseCpuList('4', 4)).toMatch(/CPU 4 does not exist here \(CPUs 0-3\)/);
    expect(parseCpuList('3-1', 4)).toMatch(/runs backwards/);
    expect(parseCpuList('x', 4)).toMatch(/is not a CPU number or range/);
  });

  it('a CPU mask of 64-bit words', () => {
    const m = cpuMask([0, 63, 64, 130]);
    expect(m[0]).toBe((1n << 63n) | 1n);
    expect(m[1]).toBe(1n);
    expect(m[2]).toBe(4n);
  });

  it('thread name prefixes', () => {
    expect(parseComm('vhost-*')).toBe('vhost-');
    expect(parseComm('ksoftirqd')).toBe('ksoftirqd');
    expect(parseComm('*')).toEqual({ error: expect.stringMatching(/empty/) });
    expect(parseComm('a?b')).toEqual({ error: expect.stringMatching(/only a trailing \*/) });
    expect(parseComm('0123456789abcdef')).toEqual({ error: expect.stringMatching(/15 bytes/) });
  });
});

describe('softirq report', () => {
  const vectors = [{ vec: 1, name: 'TIMER' }, { vec: 3, name: 'NET_RX' }];

  it('per vector and CPU, busiest first; an interval is the difference from the previous read', () => {
    // index vec * 2 + kind (0 wait, 1 run), one slot array per CPU
    const first: SoftirqSlots = new Map([
      [3 * 2 + 0, [slots({ 10: 2 }), slots({ 12: 1 })]],
      [3 * 2 + 1, [slots({ 12: 2 }), slots({ 13: 1 })]],
      [1 * 2 + 1, [slots({ 11: 1 }), slots({})]],
    ]);
    const rows = vectorRows(first, undefined, vectors);
    expect(rows.map((r) => r.vector)).toEqual(['NET_RX', 'TIMER']);
    expect(rows[0]!.runtime.count).toBe(3);
    expect(rows[0]!.cpus).toEqual([
      { cpu: 0, latency: { count: 2, p50: { low: 512, high: 1024 }, p99: { low: 512, high: 1024 } }, runtime: { count: 2, p50: { low: 2048, high: 4096 }, p99: { low: 2048, high: 4096 } } },
      { cpu: 1, latency: { count: 1, p50: { low: 2048, high: 4096 }, p99: { low: 2048, high: 4096 } }, runtime: { count: 1, p50: { low: 4096, high: 8192 }, p99: { low: 4096, high: 8192 } } },
    ]);
    const second: SoftirqSlots = new Map([...first, [3 * 2 + 1, [slots({ 12: 5 }), slots({ 13: 1 })]]]);
    const interval = vectorRows(second, first, vectors);
    expect(interval.map((r) => [r.vector, r.runtime.count])).toEqual([['NET_RX', 3]]);
    const text = renderSoftirqText({ type: 'interval', tool: 'softirq_latency_summary', time: new Date(0).toISOString(), interval_s: 1, vectors: rows, missed: 0 }, 10);
    expect(text).toMatch(/NET_RX\s+all\s+3\s+\[512 ns, 1024 ns\)/);
    expect(text).toMatch(/NET_RX: raised -> running \(wait\)/);
  });
});

describe('sched report', () => {
  const row = (key: SchedKey, val: Partial<SchedVal>) => ({ key, val: { comm: 'worker', wakeups: 0, preempted: 0, slots: slots({}), ...val } });

  it('threads summed over CPUs, the longest waits first, intervals by difference', () => {
    const now = [
      row({ pid: 10, tid: 11, cpu: 0 }, { wakeups: 3, slots: slots({ 15: 3 }) }),
      row({ pid: 10, tid: 11, cpu: 1 }, { wakeups: 1, preempted: 1, slots: slots({ 21: 2 }) }),
      row({ pid: 20, tid: 20, cpu: 0 }, { comm: 'other', wakeups: 9, slots: slots({ 10: 9 }) }),
    ];
    const rows = threadRows(now, undefined);
    expect(rows.map((r) => [r.tid, r.wakeups, r.preempted, r.wait.count])).toEqual([
      [11, 4, 1, 5],
      [20, 9, 0, 9],
    ]);
    expect(rows[0]!.cpus.map((c) => [c.cpu, c.count])).toEqual([[0, 3], [1, 2]]);
    const later = [...now.slice(0, 2), row({ pid: 20, tid: 20, cpu: 0 }, { comm: 'other', wakeups: 10, slots: slots({ 10: 10 }) })];
    expect(threadRows(later, now).map((r) => [r.tid, r.wakeups])).toEqual([[20, 1]]);
    const text = renderSchedText({ type: 'final', tool: 'sched_latency_summary', time: new Date(0).toISOString(), interval_s: 1, threads: rows, more_threads: 0, map_full: 0, missed: 0 }, 1);
    expect(text).toMatch(/10\s+11\s+worker\s+4\s+1\s/);
    expect(text).toMatch(/worker \(tid 11\): woken -> running/);
  });
});

describe('offcpu report', () => {
  const key = (o: Partial<import('./layout.ts').OffcpuKey>) => ({ pid: 5, tid: 6, kstack: 1, ustack: 2, state: 'S', comm: 'app', ...o });

  it('time added since the last read, largest first', () => {
    const before = [{ key: key({}), totalNs: 1000, count: 1 }, { key: key({ kstack: 3 }), totalNs: 500, count: 1 }];
    const after = [{ key: key({}), totalNs: 1500, count: 2 }, { key: key({ kstack: 3 }), totalNs: 5500, count: 3 }];
    expect(offcpuDeltas(after, before).map((e) => [e.key.kstack, e.totalNs, e.count])).toEqual([[3, 5000, 2], [1, 500, 1]]);
    expect(offcpuDeltas(after, after)).toEqual([]);
  });

  it('folded stacks: comm, user frames outermost first, then kernel frames, then µs', () => {
    const line = foldedLine({
      pid: 5, tid: 6, comm: 'app', state: 'S', total_us: 1234.4, count: 2,
      kernel_stack: ['schedule+0x2f', 'do_nanosleep+0x70'],
      user_stack: ['clock_nanosleep+0x51', 'main+0x10'],
    });
    expect(line).toBe('app;main;clock_nanosleep;do_nanosleep;schedule 1234');
    expect(line).toMatch(/^[^ ;]+(;[^ ;]+)* \d+$/);
  });
});

describe('lock report', () => {
  const entry = (tid: number, lock: bigint, kind: 'mutex' | 'futex', count: number, totalNs: number, uncontended = 0) => ({
    key: { pid: 1, tid, lock, kind, ustack: 0, caller: 0n },
    count,
    totalNs,
    maxNs: totalNs,
    uncontended,
    slots: slots(count ? { 25: count } : {}),
  });

  it('the most contended locks over every thread, and intervals by difference', () => {
    const now = [entry(2, 0x10n, 'mutex', 4, 80e6), entry(3, 0x10n, 'mutex', 1, 20e6), entry(2, 0x20n, 'futex', 9, 1e6)];
    expect(topLocks(lockDeltas(now, undefined))).toEqual([
      { lock: '0x10', kind: 'mutex', waiters: 2, count: 5, uncontended: 0, total_us: 100000 },
      { lock: '0x20', kind: 'futex', waiters: 1, count: 9, uncontended: 0, total_us: 1000 },
    ]);
    const later = [entry(2, 0x10n, 'mutex', 6, 120e6), ...now.slice(1)];
    const d = lockDeltas(later, now);
    expect(d.map((e) => [e.key.tid, e.count, e.totalNs])).toEqual([[2, 2, 40e6]]);
    expect(d[0]!.slots[25]).toBe(2n);
  });

  it('a thread that only took the lock uncontended is no waiter and adds no wait', () => {
    // The holder takes the mutex 50 times and never blocks; the waiter blocks on it 50 times.
    const now = [entry(7, 0x10n, 'mutex', 0, 0, 50), entry(8, 0x10n, 'mutex', 50, 1e9, 0), entry(9, 0x30n, 'mutex', 0, 0, 3)];
    const d = lockDeltas(now, undefined);
    expect(d.map((e) => [e.key.tid, e.count, e.uncontended])).toEqual([[8, 50, 0], [7, 0, 50], [9, 0, 3]]);
    expect(topLocks(d)).toEqual([
      { lock: '0x10', kind: 'mutex', waiters: 1, count: 50, uncontended: 50, total_us: 1e6 },
      { lock: '0x30', kind: 'mutex', waiters: 0, count: 0, uncontended: 3, total_us: 0 },
    ]);
    // An interval in which only uncontended calls happened still shows them, with no wait.
    const later = [entry(7, 0x10n, 'mutex', 0, 0, 60), ...now.slice(1)];
    expect(lockDeltas(later, now).map((e) => [e.key.tid, e.count, e.uncontended, e.slots.every((x) => x === 0n)])).toEqual([[7, 0, 10, true]]);
  });

  it('text: uncontended calls in their own column, no time, no histogram, not among the contended', () => {
    const d = lockDeltas([entry(7, 0x10n, 'mutex', 0, 0, 50), entry(8, 0x10n, 'mutex', 50, 1e9, 0), entry(9, 0x30n, 'mutex', 0, 0, 3)], undefined);
    const rec: LockRecord = {
      type: 'final', tool: 'lock_wait_summary', time: '2024-01-01T00:00:00Z', interval_s: 10, pid: 1, library: '/libc.so.6',
      locks: topLocks(d),
      rows: d.map((e) => ({ pid: 1, tid: e.key.tid, lock: `0x${e.key.lock.toString(16)}`, kind: e.key.kind, count: e.count, uncontended: e.uncontended, total_us: e.totalNs / 1000, max_us: e.maxNs / 1000, wait: toHistogram(e.slots, 'ns') })),
      more_rows: 0, map_full: 0, stack_failed: 0, missed: 0,
    };
    const text = renderLockText(rec, 3);
    expect(text).toMatch(/0x10\s+mutex\s+1000\.000 ms in 50 waits by 1 threads, 50 uncontended/);
    expect(text).not.toMatch(/0x30 .* waits/);
    expect(text).toMatch(/TID\s+LOCK\s+KIND\s+WAITS\s+UNCONTENDED\s+TOTAL_MS/);
    expect(text).toMatch(/\n\s+7\s+0x10\s+mutex\s+0\s+50\s+-\s+-\s+-\s+-\n/);
    expect(text).toContain('tid 8 on mutex 0x10');
    expect(text).not.toContain('tid 7 on');
  });

  it('struct lock_val: the waits, then the uncontended count, then the histogram', () => {
    const b = new Uint8Array(LOCK_VAL_SIZE);
    const v = new DataView(b.buffer);
    v.setBigUint64(0, 50n, true);
    v.setBigUint64(8, 1_000_000_000n, true);
    v.setBigUint64(16, 21_000_000n, true);
    v.setBigUint64(24, 7n, true);
    v.setBigUint64(32 + 25 * 8, 50n, true);
    const d = decodeLockVal(b);
    expect([d.count, d.totalNs, d.maxNs, d.uncontended]).toEqual([50, 1e9, 21e6, 7]);
    expect(d.slots).toHaveLength(65);
    expect(d.slots[25]).toBe(50n);
  });
});
