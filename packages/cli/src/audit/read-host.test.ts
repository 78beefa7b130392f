import { describe, expect, it } from 'vitest';
import { hostFacts, netIrqsHere, parseCpuTable, parseSoftnet, readThread, snapshot } from './read-host.ts';
import { FixtureSource } from './source.ts';

const INTERRUPTS = (a: number, b: number) => `           CPU0       CPU1       
 24:          1          0  IO-APIC   5-edge      ACPI:Ged
 37:          0          0 PCI-MSIX-0000:00:03.0   0-edge      virtio2-config
 38:      ${a}      39783 PCI-MSIX-0000:00:03.0   1-edge      virtio2-input.0
 39:      ${b}          0 PCI-MSIX-0000:00:03.0   2-edge      virtio2-output.0
NMI:          0          0   Non-maskable interrupts
`;

const SOFTIRQS = (rx: number) => `                    CPU0       CPU1
          HI:          0          0
      NET_TX:         10         20
      NET_RX:      ${rx}       500
`;

const stat = (pid: number, comm: string, flags: number, utime: number, stime: number) =>
  `${pid} (${comm}) R 1 ${pid} ${pid} 0 -1 ${flags} 0 0 0 0 ${utime} ${stime} 0 0 20 0 1 0 100 0 0 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n`;

describe('parsers', () => {
  it('/proc/interrupts: counts by CPU and the handler name', () => {
    const t = parseCpuTable(INTERRUPTS(80258, 92013))!;
    expect(t.cpus).toEqual([0, 1]);
    expect(t.rows.get('38')).toEqual({ counts: [80258, 39783], name: 'virtio2-input.0' });
    expect(t.rows.get('24')!.name).toBe('ACPI:Ged');
    expect(parseCpuTable(SOFTIRQS(7))!.rows.get('NET_RX')!.counts).toEqual([7, 500]);
  });

  it('/proc/net/softnet_stat: time_squeeze by the CPU column, or by online order on older kernels', () => {
    expect(parseSoftnet('00000010 00000000 00000003 0 0 0 0 0 0 0 0 0 00000000\n00000010 00000000 00000005 0 0 0 0 0 0 0 0 0 00000002\n', [0, 2])).toEqual([3, 0, 5]);
    expect(parseSoftnet('00000010 00000000 00000003 0 0 0 0 0 0 0 0\n00000010 00000000 00000005 0 0 0 0 0 0 0 0\n', [0, 1])).toEqual([3, 5]);
  });

  it('a thread: comm with spaces and parentheses, kernel thread flag, time on CPU', () => {
    const src = new FixtureSource({
      '/proc/900/task/911/stat': stat(911, 'CPU 0/KVM', 0x40, 100, 50),
      '/proc/900/task/911/schedstat': '1500000000 20000 30\n',
      '/proc/14/task/14/stat': stat(14, 'ksoftirqd/0', 0x04208040, 3, 4),
      '/proc/7/task/7/stat': stat(7, 'a (b) c', 0, 3, 4),
    });
    expect(readThread(src, 900, 911)).toEqual({ pid: 900, tid: 911, comm: 'CPU 0/KVM', kernelThread: false, runNs: 1.5e9, waitNs: 20000 });
    // No schedstat: user and system ticks (USER_HZ 100), no wait.
    expect(readThread(src, 14, 14)).toMatchObject({ comm: 'ksoftirqd/0', kernelThread: true, runNs: 70_000_000, waitNs: 0 });
    expect(readThread(src, 7, 7)!.comm).toBe('a (b) c');
    expect(readThread(src, 8, 8)).toBeUndefined();
  });
});

describe('hostFacts', () => {
  const PCI = '/sys/devices/pci0000:00/0000:00:03.0';
  const base: Record<string, string | NodeJS.ErrnoException> = {
    '/sys/devices/system/cpu/online': '0-1\n',
    '/sys/devices/system/node/node0/cpulist': '0-1\n',
    '/proc/irq/38/effective_affinity_list': '0\n',
    '/proc/irq/39/effective_affinity_list': '0\n',
    '/proc/irq/37/effective_affinity_list': '1\n',
    '/proc/irq/24/smp_affinity_list': '0-1\n',
    '/proc/net/softnet_stat': '00000010 00000000 00000003 0 0 0 0 0 0 0 0 0 00000000\n00000010 00000000 00000005 0 0 0 0 0 0 0 0 0 00000001\n',
    '/proc/sys/net/core/busy_read': '0\n',
    '/proc/sys/net/core/netdev_budget': '300\n',
    '/sys/class/net/eth0/ifindex': '2\n',
    '/sys/class/net/eth0/device@': `${PCI}/virtio2`,
    [`${PCI}/virtio2/uevent`]: '',
    [`${PCI}/msi_irqs/37`]: '',
    [`${PCI}/msi_irqs/38`]: '',
    [`${PCI}/msi_irqs/39`]: '',
    '/sys/class/net/lo/ifindex': '1\n',
    '/proc/4242/task/4242/status': 'Name:\tsh\nCpus_allowed_list:\t0\n',
    '/proc/4242/task/4242/schedstat': '0 0 0\n',
    '/proc/4242/task/4242/stat': stat(4242, 'sh', 0, 0, 0),
  };

  it('two snapshots a sample apart: deltas of interrupts, softirqs and CPU time; affinities; sysctls', () => {
    const before = snapshot(new FixtureSource({ ...base, '/proc/interrupts': INTERRUPTS(80000, 92000), '/proc/softirqs': SOFTIRQS(100) }), () => 0n);
    const after = snapshot(
      new FixtureSource({ ...base, '/proc/interrupts': INTERRUPTS(80120, 92080), '/proc/softirqs': SOFTIRQS(350), '/proc/4242/task/4242/schedstat': '930000000 50000000 0\n', '/proc/net/softnet_stat': '00000010 00000000 00000004 0 0 0 0 0 0 0 0 0 00000000\n00000010 00000000 00000005 0 0 0 0 0 0 0 0 0 00000001\n' }),
      () => 1_000_000_000n,
    );
    const src = new FixtureSource(base);
    const netIrqs = netIrqsHere(src);
    expect(netIrqs).toEqual([
      { irq: 37, device: 'eth0' },
      { irq: 38, device: 'eth0' },
      { irq: 39, device: 'eth0' },
    ]);
    const h = hostFacts(src, before, after, netIrqs);
    expect(h.sampleS).toBe(1);
    expect(h.online).toEqual({ ok: true, from: '/sys/devices/system/cpu/online', value: [0, 1] });
    expect(h.nodes).toEqual({ ok: true, from: '/sys/devices/system/node', value: [{ node: 0, cpus: [0, 1] }] });
    const irqs = h.interrupts.ok ? h.interrupts.value : [];
    expect(irqs.find((i) => i.irq === 38)).toEqual({ irq: 38, name: 'virtio2-input.0', total: 80120 + 39783, sample: [120, 0], cpus: { ok: true, from: '/proc/irq/38/effective_affinity_list', value: [0] } });
    // No effective affinity file: the configured one.
    expect(irqs.find((i) => i.irq === 24)!.cpus).toEqual({ ok: true, from: '/proc/irq/24/smp_affinity_list', value: [0, 1] });
    expect(h.netRx).toEqual({ ok: true, from: '/proc/softirqs', value: [250, 0] });
    expect(h.timeSqueeze).toEqual({ ok: true, from: '/proc/net/softnet_stat', value: [1, 0] });
    expect(h.threads).toEqual({ ok: true, from: '/proc/PID/task/TID/{stat,schedstat}', value: [{ pid: 4242, tid: 4242, comm: 'sh', processComm: 'sh', kernelThread: false, allowed: [0], cpuMs: 930, waitMs: 50 }] });
    // busy_poll is absent (a kernel without it): not judged; the others are read.
    expect(Object.keys(h.sysctls)).toEqual(['net.core.busy_read', 'net.core.netdev_budget']);
  });

  it('what cannot be read is said', () => {
    const src = new FixtureSource({ '/proc/interrupts': FixtureSource.errno('EACCES') });
    const s = snapshot(src, () => 0n);
    const h = hostFacts(src, s, s, []);
    expect(h.interrupts).toEqual({ ok: false, from: '/proc/interrupts', reason: 'permission denied (not root)' });
    expect(h.online).toEqual({ ok: false, from: '/sys/devices/system/cpu/online', reason: 'no such file' });
    // No node directory: a kernel without NUMA, one node in effect.
    expect(h.nodes).toEqual({ ok: true, from: '/sys/devices/system/node', value: [] });
    expect(h.sysctls['net.core.netdev_budget']).toEqual({ ok: false, from: 'net.core.netdev_budget', reason: 'no such file' });
  });
});
