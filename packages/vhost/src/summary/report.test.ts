import { describe, expect, it } from 'vitest';
import { SLOTS } from '@netstrata/bpf-common';
import type { VqEntry, WorkerEntry } from '../layout.ts';
import { renderVhostText, vqRowOps, vqRows, workerRows, type VhostRecord } from './report.ts';

const slots = (counts: Record<number, number>) => {
  const s = new Array<bigint>(SLOTS).fill(0n);
  for (const [k, v] of Object.entries(counts)) s[Number(k)] = BigInt(v);
  return s;
};

const vq = (q: number, o: Partial<VqEntry['val']>): VqEntry => ({
  key: { dev: 0xffff888006400000n, vq: q },
  val: { workerTid: 407, workerPid: 406, workerComm: 'vhost-406', ringSize: 256, kicks: 0, runs: 0, used: 0, checks: 0, signals: 0, empty: 0, usedPerRun: slots({}), ...o },
});

describe('vqRows', () => {
  it('names the role by index, derives the suppressed signals, and puts the busiest queue first', () => {
    const rows = vqRows([
      vq(1, { kicks: 5, runs: 2, used: 5, checks: 2, signals: 2, usedPerRun: slots({ 2: 1, 3: 1 }) }),
      vq(0, { kicks: 1, runs: 10, used: 30, checks: 10, signals: 4, empty: 1, usedPerRun: slots({ 3: 10 }) }),
      vq(2, {}),
    ]);
    expect(rows.map((r) => [r.role, r.queue])).toEqual([
      ['rx', 0],
      ['tx', 1],
    ]);
    expect(rows[0]).toMatchObject({ device: '0xffff888006400000', worker: { tid: 407, pid: 406, comm: 'vhost-406' }, used: 30, signal_checks: 10, signals: 4, suppressed: 6, empty: 1 });
    expect(rows[0]!.used_per_run.count).toBe(10);
  });

  it('leaves the worker out until a handler ran', () => {
    expect(vqRows([vq(0, { kicks: 3, workerTid: 0 })])[0]!.worker).toBeNull();
  });

  it('an interval is the difference of two cumulative reads', () => {
    const d = vqRowOps.sub(vq(0, { kicks: 9, used: 40, usedPerRun: slots({ 4: 10 }) }), vq(0, { kicks: 4, used: 20, usedPerRun: slots({ 4: 5 }) }));
    expect(d.val).toMatchObject({ kicks: 5, used: 20 });
    expect(d.val.usedPerRun[4]).toBe(5n);
  });
});

describe('renderVhostText', () => {
  it('a table of queues and one of workers', () => {
    const w: WorkerEntry = { key: { tid: 407 }, val: { comm: 'vhost-406', pid: 406, waits: 3, wait: slots({ 100: 3 }) } };
    const rec = {
      type: 'final',
      tool: 'vhost_signal_summary',
      time: '2026-12-06T20:27:37.000Z',
      interval_s: 10,
      queues: vqRows([vq(0, { kicks: 1, runs: 1, used: 4, checks: 1, signals: 0, usedPerRun: slots({ 4: 1 }) })]),
      more_queues: 0,
      workers: workerRows([w]),
    } as unknown as VhostRecord;
    const text = renderVhostText(rec);
    expect(text).toMatch(/total since start: 1 virtqueue active on 1 vhost device/);
    expect(text).toMatch(/^ {2}vhost-406\(407\) {2}rx 0 {4}256 {6}1 {5}1 {5}4 {8}\[4, 5\) {8}\[4, 5\) {8}0 {11}1 {6}0$/m);
    expect(text).toMatch(/workers, waiting for a CPU:\n {4}WORKER +WAITS/);
  });
});
