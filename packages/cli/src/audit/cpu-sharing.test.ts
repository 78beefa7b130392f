import { describe, expect, it } from 'vitest';
import { irqCpuBusyThread, ksoftirqd, netRxSpread, vhostVcpu } from './cpu-sharing.ts';
import { got, unread } from './facts.ts';
import { facts, interrupt, thread } from './fixture.ts';

// The NIC's queue interrupts land on CPU 0 (a virtio NIC: input and output vectors; config never fired).
const IRQS = got('/proc/interrupts', [
  interrupt(37, 'virtio2-config', [1], { total: 0 }),
  interrupt(38, 'virtio2-input.0', [0], { sample: [120, 0, 0, 0] }),
  interrupt(39, 'virtio2-output.0', [0], { sample: [80, 0, 0, 0] }),
  interrupt(50, 'nvme0q1', [2]),
]);
const NET_IRQS = [
  { irq: 37, device: 'eth0' },
  { irq: 38, device: 'eth0' },
  { irq: 39, device: 'eth0' },
];

describe('irq-cpu-busy-thread', () => {
  it('a busy thread pinned to the CPU where network interrupts land is a finding naming the CPU, the thread and the interrupts', () => {
    const hog = thread('hog', { pid: 4242, allowed: [0], cpuMs: 930 });
    const r = irqCpuBusyThread.check(facts({ host: { interrupts: IRQS, netIrqs: NET_IRQS, threads: got('t', [hog]) } }));
    expect(r.checked).toEqual(['CPU 0']);
    expect(r.findings).toHaveLength(1);
    const f = r.findings[0]!;
    expect(f).toMatchObject({ rule: 'irq-cpu-busy-thread', scope: 'host', severity: 'warning', subject: 'CPU 0' });
    expect(f.summary).toBe('busy thread hog (pid 4242), running or waiting to run 93 % of the sample, is pinned to CPU 0, where IRQ 38 (virtio2-input.0, eth0), IRQ 39 (virtio2-output.0, eth0) land');
    expect(f.about).toEqual({ cpus: [0], irqs: [38, 39], devices: ['eth0'], pids: [4242], tids: [4242] });
    expect(f.fix).toBe('taskset -pc 1-3 4242, or move the interrupts: echo 1-3 > /proc/irq/38/smp_affinity_list; echo 1-3 > /proc/irq/39/smp_affinity_list');
    expect(f.evidence).toContainEqual({ name: '/proc/4242/task/4242/status: Cpus_allowed_list', value: '0' });
    expect(f.evidence).toContainEqual({ name: '/proc/interrupts: IRQ 38 on CPU 0 over 1 s', value: 120 });
  });

  it('busy is running or waiting to run: a hog starved by other work on its CPU is still one', () => {
    const hog = thread('hog', { pid: 4242, allowed: [0], cpuMs: 300, waitMs: 650 });
    const f = irqCpuBusyThread.check(facts({ host: { interrupts: IRQS, netIrqs: NET_IRQS, threads: got('t', [hog]) } })).findings;
    expect(f.map((x) => x.subject)).toEqual(['CPU 0']);
    expect(f[0]!.evidence).toContainEqual({ name: '/proc/4242/task/4242/schedstat: waiting for a CPU over 1 s', value: '650 ms' });
  });

  it('not busy, not pinned, pinned elsewhere, or a kernel thread: no finding', () => {
    const threads = [
      thread('idle', { pid: 1, allowed: [0], cpuMs: 100 }),
      thread('free', { pid: 2, allowed: [0, 1, 2, 3], cpuMs: 1000 }),
      thread('elsewhere', { pid: 3, allowed: [2], cpuMs: 1000 }),
      thread('half-there', { pid: 4, allowed: [0, 2], cpuMs: 1000 }),
      thread('kworker/0:1', { pid: 5, allowed: [0], cpuMs: 1000, kernelThread: true }),
    ];
    expect(irqCpuBusyThread.check(facts({ host: { interrupts: IRQS, netIrqs: NET_IRQS, threads: got('t', threads) } })).findings).toEqual([]);
  });

  it('a thread of a multi-threaded process is named by its tid, and the fix offers the whole process', () => {
    const t = thread('CPU 1/KVM', { pid: 900, tid: 913, processComm: 'qemu-system-x86', allowed: [0], cpuMs: 600 });
    const f = irqCpuBusyThread.check(facts({ host: { interrupts: IRQS, netIrqs: NET_IRQS, threads: got('t', [t]) } })).findings[0]!;
    expect(f.summary).toMatch(/^busy thread CPU 1\/KVM \(pid 900, tid 913, qemu-system-x86\), running or waiting to run 60 % of the sample,/);
    expect(f.fix).toMatch(/^taskset -pc 1-3 913 \(or taskset -apc 1-3 900 for the whole process\)/);
  });

  it('no network interrupts: nothing to check; threads unreadable: said', () => {
    expect(irqCpuBusyThread.check(facts({ host: { interrupts: IRQS, threads: got('t', [thread('hog', { allowed: [0], cpuMs: 1000 })]) } }))).toEqual({ findings: [], unread: [], checked: [] });
    const r = irqCpuBusyThread.check(facts({ host: { interrupts: IRQS, netIrqs: NET_IRQS, threads: unread('/proc', 'permission denied (not root)') } }));
    expect(r.unread).toEqual([{ rule: 'irq-cpu-busy-thread', scope: 'host', what: '/proc', reason: 'permission denied (not root)' }]);
  });
});

describe('vhost-vcpu', () => {
  const vcpus = [thread('CPU 0/KVM', { pid: 900, tid: 911, allowed: [2] }), thread('CPU 1/KVM', { pid: 900, tid: 912, allowed: [3] })];

  it('a vhost worker that can only run on CPUs pinned to vCPUs is a finding', () => {
    const vhost = thread('vhost-900', { pid: 900, tid: 920, allowed: [2, 3] });
    const r = vhostVcpu.check(facts({ host: { threads: got('t', [...vcpus, vhost]) } }));
    expect(r.checked).toEqual(['vhost-900 (tid 920)']);
    expect(r.findings.map((f) => [f.subject, f.summary, f.fix])).toEqual([
      [
        'vhost-900 (tid 920)',
        'vhost worker of process 900 can only run on CPU 2-3, which are pinned to vCPU threads CPU 0/KVM (pid 900, tid 911, CPU 2), CPU 1/KVM (pid 900, tid 912, CPU 3)',
        "taskset -pc 0-1 920 (libvirt: <emulatorpin cpuset='0-1'/>)",
      ],
    ]);
    expect(r.findings[0]!.about).toEqual({ cpus: [2, 3], pids: [900], tids: [920, 911, 912] });
  });

  it('an old-kernel vhost kernel thread is judged the same way', () => {
    const vhost = thread('vhost-900', { pid: 1500, kernelThread: true, allowed: [3] });
    expect(vhostVcpu.check(facts({ host: { threads: got('t', [...vcpus, vhost]) } })).findings).toHaveLength(1);
  });

  it('a vhost worker with a CPU of its own, or unpinned vCPUs, is fine', () => {
    const vhost = thread('vhost-900', { pid: 900, tid: 920, allowed: [1, 2, 3] });
    expect(vhostVcpu.check(facts({ host: { threads: got('t', [...vcpus, vhost]) } })).findings).toEqual([]);
    const free = [thread('CPU 0/KVM', { pid: 900, tid: 911 }), thread('vhost-900', { pid: 900, tid: 920 })];
    expect(vhostVcpu.check(facts({ host: { threads: got('t', free) } })).findings).toEqual([]);
  });
});

describe('ksoftirqd', () => {
  it('ksoftirqd taking 10 % or more of its CPU is a finding, with NET_RX and time_squeeze as evidence', () => {
    const threads = [thread('ksoftirqd/0', { pid: 14, kernelThread: true, allowed: [0], cpuMs: 20 }), thread('ksoftirqd/1', { pid: 22, kernelThread: true, allowed: [1], cpuMs: 250 })];
    const r = ksoftirqd.check(facts({ host: { threads: got('t', threads), netRx: got('/proc/softirqs', [10, 5000, 0, 0]), timeSqueeze: got('/proc/net/softnet_stat', [0, 42, 0, 0]) } }));
    expect(r.checked).toEqual(['CPU 0', 'CPU 1']);
    expect(r.findings.map((f) => [f.subject, f.summary])).toEqual([['CPU 1', 'ksoftirqd/1 ran 25 % of CPU 1 over the sample: softirq work overflows to a thread']]);
    expect(r.findings[0]!.evidence).toEqual([
      { name: '/proc/22/schedstat: ksoftirqd/1 on CPU over 1 s', value: '250 ms' },
      { name: '/proc/22/schedstat: ksoftirqd/1 waiting for a CPU over 1 s', value: '0 ms' },
      { name: '/proc/softirqs: NET_RX on CPU 1 over 1 s', value: 5000 },
      { name: '/proc/net/softnet_stat: time_squeeze on CPU 1 over 1 s', value: 42 },
    ]);
  });

  it('a user thread named like ksoftirqd is not one', () => {
    expect(ksoftirqd.check(facts({ host: { threads: got('t', [thread('ksoftirqd/0', { cpuMs: 900 })]) } })).findings).toEqual([]);
  });
});

describe('net-rx-spread', () => {
  it('NET_RX nearly all on one CPU, at a rate that matters, is info', () => {
    const r = netRxSpread.check(facts({ host: { netRx: got('/proc/softirqs', [9500, 100, 100, 100]) } }));
    expect(r.findings.map((f) => [f.severity, f.subject, f.summary])).toEqual([['info', 'CPU 0', 'CPU 0 ran 97 % of the 9800 NET_RX softirqs of the sample (9800 per second)']]);
  });

  it('a low rate, a spread, or one CPU: fine', () => {
    expect(netRxSpread.check(facts({ host: { netRx: got('s', [900, 0, 0, 0]) } })).findings).toEqual([]);
    expect(netRxSpread.check(facts({ host: { netRx: got('s', [5000, 5000, 0, 0]) } })).findings).toEqual([]);
    expect(netRxSpread.check(facts({ host: { netRx: got('s', [50000]), online: got('o', [0]) } })).findings).toEqual([]);
  });
});
