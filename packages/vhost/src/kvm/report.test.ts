import { describe, expect, it } from 'vitest';
import { SLOTS } from '@netstrata/bpf-common';
import type { GsiEntry, MsiEntry, VcpuEntry } from './layout.ts';
import { gsiRowOps, gsiRows, msiRowOps, msiRows, renderKvmText, vcpuRows, type KvmRecord } from './report.ts';

const slots = (counts: Record<number, number>) => {
  const s = new Array<bigint>(SLOTS).fill(0n);
  for (const [k, v] of Object.entries(counts)) s[Number(k)] = BigInt(v);
  return s;
};
const names = (pid: number) => (pid === 4242 ? 'qemu-system-x86' : null);

const msi = (pid: number, dest: number, vector: number, o: Partial<MsiEntry['val']>, mode = 0, logical = false): MsiEntry => ({
  key: { pid, dest, vector, mode, logical },
  val: { gsi: 24, sourceTid: 4250, sourcePid: 4242, sourceComm: 'vhost-4242', direct: 0, fast: 0, deferred: 0, accepted: 0, ...o },
});

describe('msiRows', () => {
  it('injected is fast + deferred; fast missed is what the signalling context tried and did not deliver; busiest first', () => {
    const rows = msiRows(
      [
        msi(4242, 0xff, 34, { direct: 30, fast: 0, deferred: 30, accepted: 60 }),
        msi(4242, 0, 65, { direct: 50, fast: 50, accepted: 50 }),
        msi(4242, 1, 66, {}),
      ],
      names,
    );
    expect(rows.map((r) => [r.vector, r.injected])).toEqual([
      [65, 50],
      [34, 30],
    ]);
    expect(rows[1]).toMatchObject({ vm: { pid: 4242, comm: 'qemu-system-x86' }, gsi: 24, dest: 255, delivery: 'fixed', dest_mode: 'physical', fast: 0, deferred: 30, fast_missed: 30, accepted: 60 });
    expect(rows[0]!.source).toEqual({ tid: 4250, pid: 4242, comm: 'vhost-4242' });
  });

  it('a VM not known (a work item seen with no irqfd hook), a gone process, delivery modes and logical destinations', () => {
    const [unknown, gone] = msiRows([msi(0, 3, 80, { deferred: 2, sourceTid: 0, gsi: null }, 1, true), msi(777, 0, 81, { direct: 1, fast: 1 })], names);
    expect(unknown).toMatchObject({ vm: null, gsi: null, delivery: 'lowest', dest_mode: 'logical', source: null, injected: 2 });
    expect(gone!.vm).toEqual({ pid: 777, comm: null });
  });

  it('an interval is the difference of two cumulative reads', () => {
    const d = msiRowOps.sub(msi(1, 0, 65, { direct: 9, fast: 8, deferred: 1, accepted: 9 }), msi(1, 0, 65, { direct: 4, fast: 4, accepted: 4 }));
    expect(d.val).toMatchObject({ direct: 5, fast: 4, deferred: 1, accepted: 5 });
    expect(msiRowOps.isEmpty(msiRowOps.sub(msi(1, 0, 65, { direct: 3 }), msi(1, 0, 65, { direct: 3 })))).toBe(true);
  });
});

describe('gsiRows and vcpuRows', () => {
  it('per GSI the delay histogram; per vCPU the accepts; ordered by VM, then number', () => {
    const g = (gsi: number, o: Partial<GsiEntry['val']>): GsiEntry => ({ key: { pid: 4242, gsi }, val: { wakeups: 0, setIrq: 0, delivered: 0, delay: slots({}), ...o } });
    const rows = gsiRows([g(25, { wakeups: 3, setIrq: 3, delivered: 3, delay: slots({ 100: 3 }) }), g(24, { wakeups: 2, delivered: 2, delay: slots({ 50: 2 }) }), g(26, {})], names);
    expect(rows.map((r) => [r.gsi, r.wakeups, r.set_irq, r.delivered, r.delay.count])).toEqual([
      [24, 2, 0, 2, 2],
      [25, 3, 3, 3, 3],
    ]);
    const d = gsiRowOps.sub(g(24, { wakeups: 5, delay: slots({ 50: 5 }) }), g(24, { wakeups: 2, delay: slots({ 50: 2 }) }));
    expect(d.val.wakeups).toBe(3);
    expect(d.val.delay[50]).toBe(3n);
    const v = (vcpu: number, vector: number, accepted: number): VcpuEntry => ({ key: { pid: 4242, vcpu, vector }, val: { accepted } });
    expect(vcpuRows([v(1, 65, 2), v(0, 66, 0), v(0, 65, 3)], names)).toEqual([
      { vm: { pid: 4242, comm: 'qemu-system-x86' }, vcpu: 0, vector: 65, accepted: 3 },
      { vm: { pid: 4242, comm: 'qemu-system-x86' }, vcpu: 1, vector: 65, accepted: 2 },
    ]);
  });
});

describe('renderKvmText', () => {
  const rec = (o: Partial<KvmRecord>) =>
    ({ type: 'final', tool: 'kvm_irqfd_summary', time: '2026-12-06T20:27:37.000Z', interval_s: 10, msis: [], more_msis: 0, gsis: [], vcpus: [], ...o }) as unknown as KvmRecord;

  it('a table of MSIs, one of irqfds and one of vCPUs', () => {
    const text = renderKvmText(
      rec({
        msis: msiRows([msi(4242, 0, 65, { direct: 5, fast: 5, accepted: 5 })], names),
        gsis: gsiRows([{ key: { pid: 4242, gsi: 24 }, val: { wakeups: 5, setIrq: 0, delivered: 5, delay: slots({ 3: 5 }) } }], names),
        vcpus: vcpuRows([{ key: { pid: 4242, vcpu: 0, vector: 65 }, val: { accepted: 5 } }], names),
      }),
    );
    expect(text).toMatch(/total since start: 5 interrupts injected, 1 MSI of 1 VM$/m);
    expect(text).toMatch(/^ {2}qemu-system-x86\(4242\) +24 +0 +65 +fixed +5 +5 +0 +0 +5 +vhost-4242\(4250\)$/m);
    expect(text).toMatch(/irqfds, from the signal to the LAPIC:\n {4}VM +GSI +WAKEUPS/);
    expect(text).toMatch(/vCPUs, MSIs their LAPIC accepted:\n {4}VM +VCPU +VECTOR +ACCEPTED\n {4}qemu-system-x86\(4242\) +0 +65 +5$/m);
  });

  it('nothing injected: the heading only', () => {
    expect(renderKvmText(rec({}))).toBe('20:27:37 total since start: 0 interrupts injected, 0 MSIs');
  });
});
