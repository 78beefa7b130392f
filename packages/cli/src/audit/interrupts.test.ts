import { describe, expect, it } from 'vitest';
import { got, unread } from './facts.ts';
import { facts, interrupt, nic } from './fixture.ts';
import { irqNuma, irqSpread, rps, xps } from './interrupts.ts';

const TWO_NODES = got('/sys/devices/system/node', [
  { node: 0, cpus: [0, 1, 2, 3] },
  { node: 1, cpus: [4, 5, 6, 7] },
]);
const EIGHT = got('/sys/devices/system/cpu/online', [0, 1, 2, 3, 4, 5, 6, 7]);

describe('irq-numa', () => {
  it("a queue interrupt on a CPU of another node than the NIC's is a finding", () => {
    const eth0 = nic('eth0', [40, 41, 42], { node: 1, rx: 2 });
    const irqs = [interrupt(40, 'eth0-TxRx-0', [5]), interrupt(41, 'eth0-TxRx-1', [2]), interrupt(42, 'eth0-config', [0], { total: 0 })];
    const r = irqNuma.check(facts({ ns: { devices: got('d', [eth0]) }, host: { nodes: TWO_NODES, online: EIGHT, interrupts: got('/proc/interrupts', irqs) } }));
    expect(r.findings).toHaveLength(1);
    const f = r.findings[0]!;
    expect(f.summary).toBe('1 of 2 queue interrupts land outside NUMA node 1 (CPUs 4-7): IRQ 41 (eth0-TxRx-1) on CPU 2');
    expect(f.fix).toBe('echo 4-7 > /proc/irq/41/smp_affinity_list (and keep irqbalance from moving them back)');
    expect(f.about).toEqual({ devices: ['eth0'], irqs: [41], cpus: [2] });
    expect(f.evidence).toEqual([
      { name: '/sys/devices/pci0000:00/0000:00:03.0/numa_node', value: 1 },
      { name: '/sys/devices/system/node/node1/cpulist', value: '4-7' },
      { name: '/proc/irq/41/effective_affinity_list', value: '2' },
    ]);
  });

  it('one node, or a device whose node the platform does not give, has nothing to compare', () => {
    const irqs = got('/proc/interrupts', [interrupt(40, 'eth0-TxRx-0', [5])]);
    expect(irqNuma.check(facts({ ns: { devices: got('d', [nic('eth0', [40], { node: 1 })]) }, host: { interrupts: irqs } })).findings).toEqual([]);
    const r = irqNuma.check(facts({ ns: { devices: got('d', [nic('eth0', [40], { node: -1 })]) }, host: { nodes: TWO_NODES, online: EIGHT, interrupts: irqs } }));
    expect(r.findings).toEqual([]);
    expect(r.checked).toEqual(['eth0']);
  });

  it('an interrupt whose affinity cannot be read is named', () => {
    const irqs = got('/proc/interrupts', [{ ...interrupt(40, 'eth0-TxRx-0', [5]), cpus: unread('/proc/irq/40/smp_affinity_list', 'permission denied (not root)') }]);
    const r = irqNuma.check(facts({ ns: { devices: got('d', [nic('eth0', [40], { node: 1 })]) }, host: { nodes: TWO_NODES, interrupts: irqs } }));
    expect(r.unread).toEqual([{ rule: 'irq-numa', scope: 'netns', what: '/proc/irq/40/smp_affinity_list', reason: 'permission denied (not root)' }]);
  });
});

describe('irq-spread', () => {
  it("every queue interrupt of a multi-queue NIC on one CPU is a finding, with a spread as the fix", () => {
    const eth0 = nic('eth0', [40, 41, 42], { rx: 3 });
    const irqs = got('/proc/interrupts', [interrupt(40, 'q0', [1]), interrupt(41, 'q1', [1]), interrupt(42, 'q2', [1])]);
    const r = irqSpread.check(facts({ ns: { devices: got('d', [eth0]) }, host: { interrupts: irqs } }));
    expect(r.findings.map((f) => [f.summary, f.fix])).toEqual([
      ['all 3 queue interrupts of eth0 (3 RX queues) land on CPU 1', 'echo 0 > /proc/irq/40/smp_affinity_list; echo 1 > /proc/irq/41/smp_affinity_list; echo 2 > /proc/irq/42/smp_affinity_list'],
    ]);
  });

  it('spread interrupts, or a single queue, are fine', () => {
    const irqs = got('/proc/interrupts', [interrupt(40, 'q0', [0]), interrupt(41, 'q1', [1])]);
    expect(irqSpread.check(facts({ ns: { devices: got('d', [nic('eth0', [40, 41], { rx: 2 })]) }, host: { interrupts: irqs } })).findings).toEqual([]);
    const one = got('/proc/interrupts', [interrupt(40, 'input.0', [0]), interrupt(41, 'output.0', [0])]);
    expect(irqSpread.check(facts({ ns: { devices: got('d', [nic('eth0', [40, 41], { rx: 1 })]) }, host: { interrupts: one } })).findings).toEqual([]);
  });
});

describe('rps', () => {
  const irqs = got('/proc/interrupts', [interrupt(38, 'virtio2-input.0', [0]), interrupt(39, 'virtio2-output.0', [0])]);

  it('a single-queue NIC with RPS off on a host of several CPUs: info, with a mask of the CPUs as the fix', () => {
    const r = rps.check(facts({ ns: { devices: got('d', [nic('eth0', [38, 39])]) }, host: { interrupts: irqs } }));
    expect(r.findings.map((f) => [f.severity, f.summary, f.fix])).toEqual([
      ['info', 'one RX queue and RPS off: all receive processing of eth0 runs on CPU 0, where its interrupt lands', 'echo f > /sys/class/net/eth0/queues/rx-0/rps_cpus (CPUs 0-3)'],
    ]);
  });

  it('RPS on, or a single CPU, is fine; RPS on a queue per CPU is redundant; RPS off the NUMA node is a warning', () => {
    expect(rps.check(facts({ ns: { devices: got('d', [nic('eth0', [38, 39], { rps: [[1, 2, 3]] })]) }, host: { interrupts: irqs } })).findings).toEqual([]);
    expect(rps.check(facts({ ns: { devices: got('d', [nic('eth0', [38, 39])]) }, host: { interrupts: irqs, online: got('o', [0]) } })).findings).toEqual([]);
    const perCpu = nic('eth0', [38, 39], { rx: 4, rps: [[1], [], [], []] });
    expect(rps.check(facts({ ns: { devices: got('d', [perCpu]) }, host: { interrupts: irqs } })).findings.map((f) => f.summary)).toEqual(['RPS is on for 1 of 4 RX queues, though the NIC has a queue per CPU']);
    const remote = nic('eth0', [38, 39], { node: 0, rx: 2, rps: [[0, 5], [1]] });
    const r = rps.check(facts({ ns: { devices: got('d', [remote]) }, host: { interrupts: irqs, nodes: TWO_NODES, online: EIGHT } }));
    expect(r.findings.map((f) => [f.severity, f.fix])).toEqual([['warning', 'echo f > /sys/class/net/eth0/queues/rx-0/rps_cpus']]);
  });

  it('virtual devices (no interrupts) are not judged', () => {
    const r = rps.check(facts({ ns: { devices: got('d', [nic('veth0', [])]) }, host: { interrupts: irqs } }));
    expect(r).toEqual({ findings: [], unread: [], checked: [] });
  });
});

describe('xps', () => {
  const irqs = got('/proc/interrupts', [interrupt(40, 'q0', [0]), interrupt(41, 'q1', [1])]);

  it('a multi-queue NIC with no XPS map: info, with a map of CPUs to queues as the fix', () => {
    const r = xps.check(facts({ ns: { devices: got('d', [nic('eth0', [40, 41], { rx: 2, tx: 2 })]) }, host: { interrupts: irqs } }));
    expect(r.findings.map((f) => f.fix)).toEqual(['echo 5 > /sys/class/net/eth0/queues/tx-0/xps_cpus; echo a > /sys/class/net/eth0/queues/tx-1/xps_cpus']);
  });

  it('an XPS map, or a single TX queue, is fine', () => {
    expect(xps.check(facts({ ns: { devices: got('d', [nic('eth0', [40, 41], { tx: 2, xps: [[0, 2], [1, 3]] })]) }, host: { interrupts: irqs } })).findings).toEqual([]);
    expect(xps.check(facts({ ns: { devices: got('d', [nic('eth0', [40, 41], { tx: 1 })]) }, host: { interrupts: irqs } })).findings).toEqual([]);
  });
});
