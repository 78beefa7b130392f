/**
 * CPUs shared by packet work and other work: busy threads pinned where network interrupts land,
 * vhost workers that can only run where vCPUs are pinned, softirq work overflowing to ksoftirqd,
 * and NET_RX softirqs all on one CPU.
 */
import { formatCpuList, subsetOf } from './cpus.ts';
import type { Facts, InterruptFact, ThreadFact } from './facts.ts';
import { rule } from './findings.ts';

/** Share of the sample a thread spent on a CPU or waiting on a run queue for one, from which it
 * counts as busy. Running plus waiting: what it asked for, whatever else competed for the CPU. */
export const BUSY_SHARE = 0.5;
/** Share of its CPU from which ksoftirqd is reported: softirq work no longer fits in interrupt exits. */
export const KSOFTIRQD_SHARE = 0.1;
/** NET_RX softirqs per second over which their spread over CPUs is judged, and the share of one
 * CPU from which it is reported. */
export const NET_RX_MIN_RATE = 1000;
export const NET_RX_ONE_CPU_SHARE = 0.9;

const VHOST = /^vhost-(\d+)$/;
const VCPU = /^CPU \d+\/KVM$/;
const KSOFTIRQD = /^ksoftirqd\/(\d+)$/;

const threadLabel = (t: ThreadFact) => `${t.comm} (pid ${t.pid}${t.tid !== t.pid ? `, tid ${t.tid}` : ''}${t.processComm !== t.comm ? `, ${t.processComm}` : ''})`;
const pct = (share: number) => `${Math.round(share * 100)} %`;

/** Network interrupts by the CPUs they land on. */
function netIrqCpus(facts: Facts, interrupts: readonly InterruptFact[]): Map<number, { irq: InterruptFact; device: string }[]> {
  const byCpu = new Map<number, { irq: InterruptFact; device: string }[]>();
  for (const n of facts.host.netIrqs) {
    const irq = interrupts.find((i) => i.irq === n.irq);
    if (!irq || irq.total === 0 || !irq.cpus.ok) continue;
    for (const cpu of irq.cpus.value) {
      const list = byCpu.get(cpu) ?? [];
      if (!list.some((x) => x.irq.irq === irq.irq)) list.push({ irq, device: n.device });
      byCpu.set(cpu, list);
    }
  }
  return byCpu;
}

export const irqCpuBusyThread = rule(
  {
    name: 'irq-cpu-busy-thread',
    scope: 'host',
    title: 'no busy thread is pinned to the CPUs where network interrupts land',
    source: 'Documentation/core-api/irq/irq-affinity.rst; Documentation/networking/scaling.rst; taskset(1), sched_setaffinity(2); Red Hat Enterprise Linux Network Performance Tuning Guide (interrupt and process affinity)',
  },
  (facts, c) => {
    const online = c.need(facts.host.online);
    const interrupts = c.need(facts.host.interrupts);
    const threads = c.need(facts.host.threads);
    if (!online || !interrupts || !threads) return;
    // Whether an interrupt could not be placed is said once per interrupt.
    for (const n of facts.host.netIrqs) {
      const irq = interrupts.find((i) => i.irq === n.irq);
      if (irq && irq.total > 0) c.need(irq.cpus);
    }
    const byCpu = netIrqCpus(facts, interrupts);
    if (!byCpu.size) return;
    for (const cpu of byCpu.keys()) c.check(`CPU ${cpu}`);
    const irqCpus = [...byCpu.keys()];
    const sampleMs = facts.host.sampleS * 1000;
    for (const t of threads) {
      if (t.kernelThread && !VHOST.test(t.comm)) continue;
      const share = (t.cpuMs + t.waitMs) / sampleMs;
      if (share < BUSY_SHARE) continue;
      // Pinned (not free to run on every CPU) and only where network interrupts land: the scheduler
      // cannot move it away from them.
      if (t.allowed.length === 0 || t.allowed.length >= online.length || !subsetOf(t.allowed, irqCpus)) continue;
      const shared = t.allowed.flatMap((cpu) => (byCpu.get(cpu) ?? []).map((x) => ({ cpu, ...x })));
      const irqs = [...new Map(shared.map((s) => [s.irq.irq, s])).values()];
      const others = online.filter((cpu) => !byCpu.has(cpu));
      const cpus = formatCpuList(t.allowed);
      c.find({
        severity: 'warning',
        subject: `CPU ${cpus}`,
        summary: `busy thread ${threadLabel(t)}, running or waiting to run ${pct(Math.min(share, 1))} of the sample, is pinned to CPU ${cpus}, where ${irqs.map((s) => `IRQ ${s.irq.irq} (${s.irq.name}, ${s.device})`).join(', ')} land${irqs.length === 1 ? 's' : ''}`,
        why: `Each interrupt of the NIC and the NET_RX softirq it raises run on CPU ${cpus} first, preempting the thread; what the softirq cannot finish goes to ksoftirqd, which then waits behind the busy thread for the scheduler. Packets sit in the ring and the backlog meanwhile (delay, then drops when they fill), and the thread loses the time the interrupts take. Pinned, the thread cannot be moved away by the scheduler.`,
        fix: others.length
          ? `taskset -pc ${formatCpuList(others)} ${t.tid}${t.tid !== t.pid ? ` (or taskset -apc ${formatCpuList(others)} ${t.pid} for the whole process)` : ''}, or move the interrupts: ${irqs.map((s) => `echo ${formatCpuList(others)} > /proc/irq/${s.irq.irq}/smp_affinity_list`).join('; ')}`
          : `network interrupts land on every CPU: keep them off some (${irqs.map((s) => `/proc/irq/${s.irq.irq}/smp_affinity_list`).join(', ')}) and pin ${t.tid} there`,
        evidence: [
          { name: `/proc/${t.pid}/task/${t.tid}/status: Cpus_allowed_list`, value: cpus },
          { name: `/proc/${t.pid}/task/${t.tid}/schedstat: on CPU over ${facts.host.sampleS} s`, value: `${Math.round(t.cpuMs)} ms` },
          { name: `/proc/${t.pid}/task/${t.tid}/schedstat: waiting for a CPU over ${facts.host.sampleS} s`, value: `${Math.round(t.waitMs)} ms` },
          ...irqs.map((s) => ({ name: s.irq.cpus.ok ? s.irq.cpus.from : `/proc/irq/${s.irq.irq}`, value: formatCpuList(s.irq.cpus.ok ? s.irq.cpus.value : []) })),
          ...irqs.map((s) => ({ name: `/proc/interrupts: IRQ ${s.irq.irq} on CPU ${s.cpu} over ${facts.host.sampleS} s`, value: s.irq.sample[s.cpu] ?? 0 })),
        ],
        about: { cpus: t.allowed, irqs: irqs.map((s) => s.irq.irq), devices: [...new Set(irqs.map((s) => s.device))], pids: [t.pid], tids: [t.tid] },
      });
    }
  },
);

export const vhostVcpu = rule(
  {
    name: 'vhost-vcpu',
    scope: 'host',
    title: 'a vhost worker can run on a CPU that no vCPU thread is pinned to',
    source: 'libvirt Domain XML format (cputune: vcpupin, emulatorpin); Red Hat Virtualization Tuning and Optimization Guide (vCPU pinning, emulator threads); drivers/vhost/vhost.c (the worker thread vhost-<owner pid>)',
  },
  (facts, c) => {
    const online = c.need(facts.host.online);
    const threads = c.need(facts.host.threads);
    if (!online || !threads) return;
    const pinnedVcpus = threads.filter((t) => VCPU.test(t.comm) && t.allowed.length > 0 && t.allowed.length < online.length);
    for (const v of threads) {
      const m = VHOST.exec(v.comm);
      if (!m) continue;
      c.check(`${v.comm} (tid ${v.tid})`);
      const sharing = pinnedVcpus.filter((t) => t.allowed.some((cpu) => v.allowed.includes(cpu)));
      if (!sharing.length || !subsetOf(v.allowed, sharing.flatMap((t) => t.allowed))) continue;
      const vcpuCpus = new Set(pinnedVcpus.flatMap((t) => t.allowed));
      const free = online.filter((cpu) => !vcpuCpus.has(cpu));
      const cpus = formatCpuList(v.allowed);
      c.find({
        severity: 'warning',
        subject: `${v.comm} (tid ${v.tid})`,
        summary: `vhost worker of process ${m[1]} can only run on CPU ${cpus}, which ${sharing.length === 1 ? 'is' : 'are'} pinned to vCPU thread${sharing.length === 1 ? '' : 's'} ${sharing.map((t) => `${t.comm} (pid ${t.pid}, tid ${t.tid}, CPU ${formatCpuList(t.allowed)})`).join(', ')}`,
        why: "The vhost worker moves the VM's packets between its TAP device and its virtqueues. Sharing a CPU with a vCPU, each waits for the other: while the vCPU runs, packets wait in the TAP's ring (dropped when it fills) and in the virtqueue; while the worker runs, that vCPU is stopped. With libvirt, vhost workers follow the emulator threads' pinning.",
        fix: free.length
          ? `taskset -pc ${formatCpuList(free)} ${v.tid} (libvirt: <emulatorpin cpuset='${formatCpuList(free)}'/>)`
          : 'leave some CPUs to no vCPU (vcpupin) and pin the emulator threads and vhost workers there (emulatorpin)',
        evidence: [
          { name: `/proc/${v.pid}/task/${v.tid}/status: Cpus_allowed_list`, value: cpus },
          ...sharing.map((t) => ({ name: `/proc/${t.pid}/task/${t.tid}/status: Cpus_allowed_list (${t.comm})`, value: formatCpuList(t.allowed) })),
        ],
        about: { cpus: v.allowed, pids: [v.pid, ...new Set(sharing.map((t) => t.pid))].filter((p, i, a) => a.indexOf(p) === i), tids: [v.tid, ...sharing.map((t) => t.tid)] },
      });
    }
  },
);

export const ksoftirqd = rule(
  {
    name: 'ksoftirqd',
    scope: 'host',
    title: "softirq work fits in interrupt exits: no ksoftirqd thread takes 10 % or more of its CPU",
    source: 'Documentation/admin-guide/sysctl/net.rst (netdev_budget, netdev_budget_usecs); Documentation/networking/scaling.rst; Red Hat Enterprise Linux Network Performance Tuning Guide (softnet_stat time_squeeze)',
  },
  (facts, c) => {
    const threads = c.need(facts.host.threads);
    if (!threads) return;
    const netRx = facts.host.netRx.ok ? facts.host.netRx.value : undefined;
    const squeeze = facts.host.timeSqueeze.ok ? facts.host.timeSqueeze.value : undefined;
    const sampleMs = facts.host.sampleS * 1000;
    for (const t of threads) {
      const m = KSOFTIRQD.exec(t.comm);
      if (!m || !t.kernelThread) continue;
      const cpu = Number(m[1]);
      c.check(`CPU ${cpu}`);
      const share = t.cpuMs / sampleMs;
      if (share < KSOFTIRQD_SHARE) continue;
      c.find({
        severity: 'warning',
        subject: `CPU ${cpu}`,
        summary: `ksoftirqd/${cpu} ran ${pct(share)} of CPU ${cpu} over the sample: softirq work overflows to a thread`,
        why: `The kernel runs softirqs as interrupts exit, up to net.core.netdev_budget packets or netdev_budget_usecs per run, and hands the rest to ksoftirqd/${cpu}, a thread of normal priority: packets then wait for the scheduler behind the other threads of CPU ${cpu} (milliseconds), while the rings and the backlog fill and drop.`,
        fix: `spread the receive work off CPU ${cpu} (queue interrupts, RPS) and move busy threads away from it; or let each softirq run do more: sysctl -w net.core.netdev_budget=600 net.core.netdev_budget_usecs=4000`,
        evidence: [
          { name: `/proc/${t.pid}/schedstat: ksoftirqd/${cpu} on CPU over ${facts.host.sampleS} s`, value: `${Math.round(t.cpuMs)} ms` },
          { name: `/proc/${t.pid}/schedstat: ksoftirqd/${cpu} waiting for a CPU over ${facts.host.sampleS} s`, value: `${Math.round(t.waitMs)} ms` },
          ...(netRx ? [{ name: `/proc/softirqs: NET_RX on CPU ${cpu} over ${facts.host.sampleS} s`, value: netRx[cpu] ?? 0 }] : []),
          ...(squeeze ? [{ name: `/proc/net/softnet_stat: time_squeeze on CPU ${cpu} over ${facts.host.sampleS} s`, value: squeeze[cpu] ?? 0 }] : []),
        ],
        about: { cpus: [cpu], pids: [t.pid] },
      });
    }
  },
);

export const netRxSpread = rule(
  {
    name: 'net-rx-spread',
    scope: 'host',
    title: 'NET_RX softirqs are not all on one CPU while others are online',
    source: 'Documentation/networking/scaling.rst (RSS, RPS); Documentation/core-api/irq/irq-affinity.rst',
  },
  (facts, c) => {
    const online = c.need(facts.host.online);
    const netRx = c.need(facts.host.netRx);
    if (!online || !netRx) return;
    c.check('NET_RX');
    const total = netRx.reduce((s, n) => s + n, 0);
    if (online.length < 2 || total / facts.host.sampleS < NET_RX_MIN_RATE) return;
    const top = netRx.reduce((best, n, cpu) => (n > netRx[best]! ? cpu : best), 0);
    const share = netRx[top]! / total;
    if (share < NET_RX_ONE_CPU_SHARE) return;
    c.find({
      severity: 'info',
      subject: `CPU ${top}`,
      summary: `CPU ${top} ran ${pct(share)} of the ${total} NET_RX softirqs of the sample (${Math.round(total / facts.host.sampleS)} per second)`,
      why: `Receive processing of every device runs in CPU ${top}'s softirqs: that one CPU bounds the host's packet rate, and the threads pinned there wait behind it.`,
      fix: 'spread receive queues over CPUs (queue interrupt affinity, RSS), or steer flows with RPS for single-queue devices (/sys/class/net/DEV/queues/rx-N/rps_cpus)',
      evidence: netRx.map((n, cpu) => ({ name: `/proc/softirqs: NET_RX on CPU ${cpu} over ${facts.host.sampleS} s`, value: n })),
      about: { cpus: [top] },
    });
  },
);
