/**
 * NIC queue interrupts and where their work runs: interrupt CPUs against the device's NUMA node,
 * the queues' interrupts spread over CPUs, and RPS/XPS.
 */
import { formatCpuList, formatCpuMask, subsetOf } from './cpus.ts';
import type { Device, Facts, InterruptFact, RxQueue } from './facts.ts';
import { aboutDevice, rule, type Collector } from './findings.ts';

/** A device with a bus device behind it (PCI, virtio): a NIC, whose queues have interrupts. */
type Nic = Device & { bus: NonNullable<Device['bus']> };

/** An interrupt that has fired, with the CPUs it lands on. */
interface FiredIrq {
  irq: InterruptFact;
  cpus: number[];
}

/** The device's interrupts that have fired at least once (a vector never used, such as a
 * configuration vector, says nothing about where packets are handled), with where each lands. */
export function firedIrqs(d: Device, facts: Facts, c: Collector): FiredIrq[] {
  if (!d.bus) return [];
  const irqs = c.need(d.bus.irqs);
  const all = c.need(facts.host.interrupts);
  if (!irqs || !all) return [];
  const out: FiredIrq[] = [];
  for (const n of irqs) {
    const irq = all.find((i) => i.irq === n);
    if (!irq || irq.total === 0) continue;
    const cpus = c.need(irq.cpus);
    if (cpus) out.push({ irq, cpus });
  }
  return out;
}

/** The CPUs of the device's NUMA node, when the host has more than one node and the platform says
 * which the device is on. */
function nodeCpus(d: Device, facts: Facts, c: Collector): { node: number; cpus: number[] } | undefined {
  if (!d.bus) return undefined;
  const nodes = c.need(facts.host.nodes);
  if (!nodes || nodes.length < 2) return undefined;
  const node = c.need(d.bus.numaNode);
  if (node === undefined || node < 0) return undefined;
  const n = nodes.find((x) => x.node === node);
  return n ? { node, cpus: n.cpus } : undefined;
}

const irqLabel = (i: InterruptFact) => `IRQ ${i.irq} (${i.name})`;

/** The NICs of the audited namespace. */
function nics(facts: Facts, c: Collector): Nic[] {
  return (c.need(facts.ns.devices) ?? []).filter((d): d is Nic => d.bus !== undefined);
}

/** Each NIC whose RX queues could be read and whose queue interrupts have fired, with both: what
 * the rules on where receive processing runs look at. */
function* receivingNics(facts: Facts, c: Collector): Generator<{ d: Nic; rx: RxQueue[]; fired: FiredIrq[] }> {
  for (const d of nics(facts, c)) {
    const rx = c.need(d.rxQueues);
    const fired = firedIrqs(d, facts, c);
    if (rx && fired.length) yield { d, rx, fired };
  }
}

export const irqNuma = rule(
  {
    name: 'irq-numa',
    scope: 'netns',
    title: "a NIC's queue interrupts land on CPUs of the NIC's NUMA node",
    source: 'Documentation/networking/scaling.rst (RSS IRQ configuration); Documentation/core-api/irq/irq-affinity.rst; Red Hat Enterprise Linux Network Performance Tuning Guide (NUMA locality)',
  },
  (facts, c) => {
    for (const d of nics(facts, c)) {
      const fired = firedIrqs(d, facts, c);
      if (!fired.length) continue;
      c.check(d.name);
      const node = nodeCpus(d, facts, c);
      if (!node) continue;
      const remote = fired.filter((f) => !subsetOf(f.cpus, node.cpus));
      if (!remote.length) continue;
      c.find({
        severity: 'warning',
        subject: d.name,
        about: { devices: [d.name], irqs: remote.map((f) => f.irq.irq), cpus: [...new Set(remote.flatMap((f) => f.cpus))] },
        summary: `${remote.length} of ${fired.length} queue interrupts land outside NUMA node ${node.node} (CPUs ${formatCpuList(node.cpus)}): ${remote.map((f) => `${irqLabel(f.irq)} on CPU ${formatCpuList(f.cpus)}`).join(', ')}`,
        why: `The NIC's descriptor rings and receive buffers are on node ${node.node}. An interrupt and the NAPI poll it starts on a CPU of another node reach them across the interconnect for every packet: slower polls, a lower packet rate per CPU, and a ring that fills sooner.`,
        fix: remote.map((f) => `echo ${formatCpuList(node.cpus)} > /proc/irq/${f.irq.irq}/smp_affinity_list`).join('; ') + ' (and keep irqbalance from moving them back)',
        evidence: [
          { name: d.bus.numaNode.from, value: node.node },
          { name: `/sys/devices/system/node/node${node.node}/cpulist`, value: formatCpuList(node.cpus) },
          ...remote.map((f) => ({ name: f.irq.cpus.from, value: formatCpuList(f.cpus) })),
        ],
      });
    }
  },
);

export const irqSpread = rule(
  {
    name: 'irq-spread',
    scope: 'netns',
    title: "a multi-queue NIC's queue interrupts do not all land on one CPU",
    source: 'Documentation/networking/scaling.rst (RSS: IRQ affinity per queue); Documentation/core-api/irq/irq-affinity.rst',
  },
  (facts, c) => {
    const online = c.need(facts.host.online);
    for (const { d, rx, fired } of receivingNics(facts, c)) {
      c.check(d.name);
      if (rx.length < 2 || fired.length < 2 || !online || online.length < 2) continue;
      const cpus = new Set(fired.flatMap((f) => f.cpus));
      if (cpus.size !== 1) continue;
      const cpu = [...cpus][0]!;
      const targets = nodeCpus(d, facts, c)?.cpus ?? online;
      c.find({
        severity: 'warning',
        subject: d.name,
        about: { devices: [d.name], irqs: fired.map((f) => f.irq.irq), cpus: [cpu] },
        summary: `all ${fired.length} queue interrupts of ${d.name} (${rx.length} RX queues) land on CPU ${cpu}`,
        why: `RSS spreads flows over ${rx.length} queues so that several CPUs share receive processing; with every queue's interrupt on CPU ${cpu}, that CPU runs every NAPI poll of the device, and its softirq time, not the queues, limits the packet rate: the rings fill and drop under load while other CPUs idle.`,
        fix: fired.map((f, i) => `echo ${targets[i % targets.length]} > /proc/irq/${f.irq.irq}/smp_affinity_list`).join('; '),
        evidence: [{ name: `${d.rxQueues.from}: RX queues`, value: rx.length }, ...fired.map((f) => ({ name: f.irq.cpus.from, value: formatCpuList(f.cpus) }))],
      });
    }
  },
);

export const rps = rule(
  {
    name: 'rps',
    scope: 'netns',
    title: "RPS spreads the receive work of a NIC with fewer queues than CPUs, stays off where RSS already does, and stays on the NIC's NUMA node",
    source: 'Documentation/networking/scaling.rst (RPS configuration)',
  },
  (facts, c) => {
    const online = c.need(facts.host.online);
    for (const { d, rx, fired } of receivingNics(facts, c)) {
      if (!online) continue;
      c.check(d.name);
      const withRps = rx.map((q) => ({ q, cpus: c.need(q.rps) })).filter((x): x is { q: typeof x.q; cpus: number[] } => x.cpus !== undefined);
      if (withRps.length !== rx.length) continue;
      const node = nodeCpus(d, facts, c);
      const irqCpus = [...new Set(fired.flatMap((f) => f.cpus))];
      if (rx.length === 1 && online.length > 1 && withRps[0]!.cpus.length === 0) {
        const targets = node?.cpus ?? online;
        c.find({
          severity: 'info',
          ...aboutDevice(d.name),
          summary: `one RX queue and RPS off: all receive processing of ${d.name} runs on CPU ${formatCpuList(irqCpus)}, where its interrupt lands`,
          why: 'With a single queue every packet is handled up the stack (IP, netfilter, bridge, TCP/UDP) in the softirq of the CPU that took the interrupt. When that CPU is busy the backlog and the ring fill and drop while other CPUs idle; RPS hashes flows to other CPUs after the driver.',
          fix: `echo ${formatCpuMask(targets)} > /sys/class/net/${d.name}/queues/rx-0/rps_cpus (CPUs ${formatCpuList(targets)}${node ? `, NUMA node ${node.node}` : ''})`,
          evidence: [
            { name: `${d.rxQueues.from}: RX queues`, value: 1 },
            { name: withRps[0]!.q.rps.from, value: '0 (off)' },
            ...fired.map((f) => ({ name: f.irq.cpus.from, value: formatCpuList(f.cpus) })),
            { name: facts.host.online.from, value: formatCpuList(online) },
          ],
        });
      }
      const on = withRps.filter((x) => x.cpus.length > 0);
      if (rx.length >= online.length && on.length) {
        c.find({
          severity: 'info',
          ...aboutDevice(d.name),
          summary: `RPS is on for ${on.length} of ${rx.length} RX queues, though the NIC has a queue per CPU`,
          why: 'With as many hardware queues as CPUs, RSS already spreads flows; RPS then moves packets from the CPU that polled them to another one, an inter-processor interrupt and a cache miss per batch for no gain.',
          fix: on.map((x) => `echo 0 > /sys/class/net/${d.name}/queues/${x.q.name}/rps_cpus`).join('; '),
          evidence: [{ name: `${d.rxQueues.from}: RX queues`, value: rx.length }, { name: facts.host.online.from, value: formatCpuList(online) }, ...on.map((x) => ({ name: x.q.rps.from, value: formatCpuList(x.cpus) }))],
        });
      }
      if (node) {
        const remote = on.filter((x) => !subsetOf(x.cpus, node.cpus));
        if (remote.length) {
          c.find({
            severity: 'warning',
            ...aboutDevice(d.name),
            summary: `RPS sends packets of ${remote.length} RX queues to CPUs outside NUMA node ${node.node} (CPUs ${formatCpuList(node.cpus)})`,
            why: `Packets steered to a CPU of another node are processed there while their buffers sit on node ${node.node}: remote memory access for every packet.`,
            fix: remote.map((x) => `echo ${formatCpuMask(node.cpus)} > /sys/class/net/${d.name}/queues/${x.q.name}/rps_cpus`).join('; '),
            evidence: [{ name: d.bus.numaNode.from, value: node.node }, ...remote.map((x) => ({ name: x.q.rps.from, value: formatCpuList(x.cpus) }))],
          });
        }
      }
    }
  },
);

export const xps = rule(
  {
    name: 'xps',
    scope: 'netns',
    title: 'a multi-queue NIC maps CPUs to transmit queues (XPS)',
    source: 'Documentation/networking/scaling.rst (XPS: Transmit Packet Steering)',
  },
  (facts, c) => {
    const online = c.need(facts.host.online);
    for (const d of nics(facts, c)) {
      const tx = c.need(d.txQueues);
      if (!tx || !online || !firedIrqs(d, facts, c).length) continue;
      c.check(d.name);
      if (tx.length < 2 || online.length < 2) continue;
      const maps = tx.map((q) => c.need(q.xps));
      if (maps.some((m) => m === undefined)) continue;
      if (maps.some((m) => m!.length > 0)) continue;
      c.find({
        severity: 'info',
        ...aboutDevice(d.name),
        summary: `${tx.length} TX queues and no XPS map: each packet's queue is chosen by a hash of its flow`,
        why: 'Without XPS, CPUs share transmit queues by hash: several CPUs contend for one queue lock, and a queue\'s completions (and their interrupt) come back to a CPU other than the sender. XPS gives each CPU its own queue.',
        fix: tx.map((q, i) => `echo ${formatCpuMask(online.filter((cpu) => cpu % tx.length === i))} > /sys/class/net/${d.name}/queues/${q.name}/xps_cpus`).filter((s) => !s.startsWith('echo 0 ')).join('; '),
        evidence: [{ name: `${d.txQueues.from}: TX queues`, value: tx.length }, ...tx.map((q) => ({ name: q.xps.from, value: '0 (no CPU)' }))],
      });
    }
  },
);
