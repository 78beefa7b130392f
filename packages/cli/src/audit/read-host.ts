/**
 * Reads what the host rules judge: CPUs and NUMA nodes, interrupts and where they land, softirqs,
 * threads with their affinity, and the host-wide net.core sysctls. Counters that only mean something
 * over time (interrupts, softirqs, CPU time) are read twice, a sample apart: `snapshot` then
 * `hostFacts`.
 */
import { parseCpuList } from './cpus.ts';
import { got, unread, type HostFacts, type InterruptFact, type NetIrq, type Reading, type ThreadFact } from './facts.ts';
import { busIrqs, mapReading, readInt } from './read-namespace.ts';
import type { Source } from './source.ts';

/** /proc/interrupts or /proc/softirqs: a header of CPU columns, then a row per source. */
export function parseCpuTable(text: string): { cpus: number[]; rows: Map<string, { counts: number[]; name: string }> } | undefined {
  const [header, ...lines] = text.split('\n');
  if (!header) return undefined;
  const cpus = header
    .trim()
    .split(/\s+/)
    .map((c) => /^CPU(\d+)$/.exec(c)?.[1])
    .filter((c): c is string => c !== undefined)
    .map(Number);
  if (!cpus.length) return undefined;
  const width = Math.max(...cpus) + 1;
  const rows = new Map<string, { counts: number[]; name: string }>();
  for (const l of lines) {
    const m = /^\s*([^:\s]+):(.*)$/.exec(l);
    if (!m) continue;
    const fields = m[2]!.trim().split(/\s+/);
    const counts = Array.from({ length: width }, () => 0);
    cpus.forEach((cpu, i) => (counts[cpu] = /^\d+$/.test(fields[i] ?? '') ? Number(fields[i]) : 0));
    // After the counts: the chip, the hardware IRQ and trigger, then, after two spaces, the names of
    // its handlers (comma-separated when it is shared).
    const name = fields.length > cpus.length ? (m[2]!.trim().split(/\s{2,}/).pop() ?? '') : '';
    rows.set(m[1]!, { counts, name });
  }
  return { cpus, rows };
}

/** time_squeeze per CPU of /proc/net/softnet_stat (hex columns; the 13th, where present, is the CPU). */
export function parseSoftnet(text: string, online: readonly number[]): number[] | undefined {
  const rows = text.trim().split('\n').filter(Boolean);
  if (!rows.length) return undefined;
  const out: number[] = [];
  rows.forEach((row, i) => {
    const cols = row.trim().split(/\s+/).map((v) => Number.parseInt(v, 16));
    const cpu = cols.length >= 13 ? cols[12]! : online[i];
    if (cpu !== undefined) out[cpu] = cols[2] ?? 0;
  });
  return Array.from({ length: out.length }, (_, i) => out[i] ?? 0);
}

const PF_KTHREAD = 0x00200000;
/** /proc's clock ticks (USER_HZ), fixed at 100 by the kernel's ABI. */
const USER_HZ = 100;

interface ThreadSample {
  pid: number;
  tid: number;
  comm: string;
  kernelThread: boolean;
  runNs: number;
  waitNs: number;
}

/** One thread's /proc/PID/task/TID/stat and schedstat; undefined if it is gone. */
export function readThread(src: Source, pid: number, tid: number): ThreadSample | undefined {
  const stat = src.read(`/proc/${pid}/task/${tid}/stat`);
  if (!stat.ok) return undefined;
  const open = stat.value.indexOf('(');
  const close = stat.value.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const comm = stat.value.slice(open + 1, close);
  const f = stat.value.slice(close + 2).split(' ');
  const flags = Number(f[6]);
  const sched = src.read(`/proc/${pid}/task/${tid}/schedstat`);
  // schedstat: ns on CPU, ns waiting on a run queue, timeslices. Without it (no CONFIG_SCHED_INFO):
  // user and system time in clock ticks, and no wait.
  const [run, wait] = sched.ok ? sched.value.split(' ').map(Number) : [((Number(f[11]) + Number(f[12])) * 1e9) / USER_HZ, 0];
  return { pid, tid, comm, kernelThread: (flags & PF_KTHREAD) !== 0, runNs: run ?? 0, waitNs: wait ?? 0 };
}

export interface Snapshot {
  /** When it was taken: the middle of the time it took to read. */
  atNs: bigint;
  interrupts: Reading<Map<string, { counts: number[]; name: string }>>;
  netRx: Reading<number[]>;
  softnet: Reading<string>;
  threads: Reading<Map<number, ThreadSample>>;
}

function readThreads(src: Source): Reading<Map<number, ThreadSample>> {
  const procs = src.list('/proc');
  if (!procs.ok) return procs;
  const out = new Map<number, ThreadSample>();
  for (const p of procs.value) {
    if (!/^\d+$/.test(p)) continue;
    const tasks = src.list(`/proc/${p}/task`);
    if (!tasks.ok) continue; // gone meanwhile
    for (const t of tasks.value) {
      const s = readThread(src, Number(p), Number(t));
      if (s) out.set(s.tid, s);
    }
  }
  return got('/proc/PID/task/TID/{stat,schedstat}', out);
}

export function snapshot(src: Source, now: () => bigint = () => process.hrtime.bigint()): Snapshot {
  const start = now();
  const irqs = mapReading(src.read('/proc/interrupts'), (t) => parseCpuTable(t)?.rows, 'unexpected /proc/interrupts');
  const softirqs = mapReading(src.read('/proc/softirqs'), (t) => parseCpuTable(t)?.rows.get('NET_RX')?.counts, 'no NET_RX row');
  const softnet = src.read('/proc/net/softnet_stat');
  const threads = readThreads(src);
  return { atNs: (start + now()) / 2n, interrupts: irqs, netRx: softirqs, softnet, threads };
}

const minus = (a: readonly number[], b: readonly number[]) => a.map((v, i) => Math.max(0, v - (b[i] ?? 0)));

/** The interrupts of the network devices of this process's namespace. */
export function netIrqsHere(src: Source): NetIrq[] {
  const names = src.list('/sys/class/net');
  if (!names.ok) return [];
  const out: NetIrq[] = [];
  for (const n of names.value) {
    if (!src.exists(`/sys/class/net/${n}/device`)) continue;
    const p = src.realpath(`/sys/class/net/${n}/device`);
    const irqs = busIrqs(src, p.ok ? p.value : `/sys/class/net/${n}/device`);
    if (irqs.ok) for (const irq of irqs.value) out.push({ irq, device: n });
  }
  return out;
}

/** Host facts from two snapshots `before` and `after`, a sample apart, and what does not change. */
export function hostFacts(src: Source, before: Snapshot, after: Snapshot, netIrqs: NetIrq[]): HostFacts {
  const sampleS = Math.round(Number(after.atNs - before.atNs) / 1e7) / 100;
  const online = mapReading(src.read('/sys/devices/system/cpu/online'), parseCpuList, 'not a CPU list');
  const nodeDir = src.list('/sys/devices/system/node');
  let nodes: HostFacts['nodes'];
  if (!nodeDir.ok) nodes = nodeDir.reason === 'no such file' ? got(nodeDir.from, []) : unread(nodeDir.from, nodeDir.reason);
  else {
    const list: { node: number; cpus: number[] }[] = [];
    let failed: Reading<never> | undefined;
    for (const d of nodeDir.value) {
      const m = /^node(\d+)$/.exec(d);
      if (!m) continue;
      const cpus = mapReading(src.read(`/sys/devices/system/node/${d}/cpulist`), parseCpuList, 'not a CPU list');
      if (cpus.ok) list.push({ node: Number(m[1]), cpus: cpus.value });
      else failed = cpus;
    }
    nodes = failed ?? got(nodeDir.from, list.sort((a, b) => a.node - b.node));
  }
  let interrupts: Reading<InterruptFact[]>;
  if (!after.interrupts.ok) interrupts = after.interrupts;
  else {
    const prev = before.interrupts.ok ? before.interrupts.value : new Map<string, { counts: number[] }>();
    const list: InterruptFact[] = [];
    for (const [k, row] of after.interrupts.value) {
      if (!/^\d+$/.test(k)) continue;
      const irq = Number(k);
      const eff = mapReading(src.read(`/proc/irq/${irq}/effective_affinity_list`), parseCpuList, 'not a CPU list');
      const cpus = eff.ok || eff.reason !== 'no such file' ? eff : mapReading(src.read(`/proc/irq/${irq}/smp_affinity_list`), parseCpuList, 'not a CPU list');
      list.push({ irq, name: row.name, total: row.counts.reduce((s, n) => s + n, 0), sample: minus(row.counts, prev.get(k)?.counts ?? row.counts), cpus });
    }
    interrupts = got(after.interrupts.from, list);
  }
  const netRx = after.netRx.ok && before.netRx.ok ? got(after.netRx.from, minus(after.netRx.value, before.netRx.value)) : after.netRx.ok ? (before.netRx as Reading<number[]>) : after.netRx;
  const onlineCpus = online.ok ? online.value : [];
  const squeezeOf = (r: Reading<string>) => mapReading(r, (t) => parseSoftnet(t, onlineCpus), 'unexpected /proc/net/softnet_stat');
  const sqA = squeezeOf(after.softnet);
  const sqB = squeezeOf(before.softnet);
  const timeSqueeze = sqA.ok && sqB.ok ? got(sqA.from, minus(sqA.value, sqB.value)) : sqA.ok ? sqB : sqA;
  let threads: Reading<ThreadFact[]>;
  if (!after.threads.ok) threads = after.threads;
  else {
    const prev = before.threads.ok ? before.threads.value : new Map<number, ThreadSample>();
    const list: ThreadFact[] = [];
    for (const t of after.threads.value.values()) {
      const status = src.read(`/proc/${t.pid}/task/${t.tid}/status`);
      if (!status.ok) continue; // gone meanwhile
      const allowed = parseCpuList(/^Cpus_allowed_list:\s*(\S*)/m.exec(status.value)?.[1] ?? '') ?? [];
      const was = prev.get(t.tid);
      list.push({
        pid: t.pid,
        tid: t.tid,
        comm: t.comm,
        processComm: after.threads.value.get(t.pid)?.comm ?? t.comm,
        kernelThread: t.kernelThread,
        allowed,
        // A thread born during the sample counts from zero.
        cpuMs: (t.runNs - (was?.runNs ?? 0)) / 1e6,
        waitMs: (t.waitNs - (was?.waitNs ?? 0)) / 1e6,
      });
    }
    threads = got(after.threads.from, list);
  }
  const sysctls: Record<string, Reading<number>> = {};
  for (const key of ['busy_read', 'busy_poll', 'netdev_budget']) {
    const r = readInt(src, `/proc/sys/net/core/${key}`);
    // No busy_read/busy_poll: a kernel without busy polling, so nothing to judge.
    if (!r.ok && r.reason === 'no such file' && key.startsWith('busy')) continue;
    sysctls[`net.core.${key}`] = { ...r, from: `net.core.${key}` };
  }
  return { sampleS, online, nodes, interrupts, netIrqs, netRx, timeSqueeze, threads, sysctls };
}
