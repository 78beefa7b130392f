/**
 * What each CPU's network softirqs did, as the kernel counts it: NET_RX/NET_TX runs
 * (/proc/softirqs), time in softirqs of every vector (/proc/stat), and the receive path's
 * per-CPU counters (/proc/net/softnet_stat: packets processed, backlog drops, time squeezes).
 * Host-wide, read once per interval: no BPF program runs per packet for them.
 */
import { readFileSync } from 'node:fs';

/** /proc/stat counts in USER_HZ ticks, 100 per second on every Linux ABI. */
const USER_HZ = 100;

export const SOFTNET_COUNTERS = ['processed', 'dropped', 'time_squeeze', 'received_rps', 'flow_limit'] as const;
export const CPU_COUNTERS = ['softirq_us', ...SOFTNET_COUNTERS] as const;
export type CpuCounter = (typeof CPU_COUNTERS)[number];

export interface CpuRow extends Record<CpuCounter, number> {
  cpu: number;
}

export interface SoftirqCountRow {
  cpu: number;
  vector: string;
  count: number;
  /** Time in the vector, with --softirq-time only (measured at irq:softirq_entry/exit). */
  time_us?: number;
}

/** /proc/softirqs: the vectors asked for, per CPU (pure). */
export function parseSoftirqs(text: string, vectors: readonly string[]): SoftirqCountRow[] {
  const lines = text.split('\n');
  const cpus = lines[0]!.trim().split(/\s+/).map((c) => Number(c.replace(/^CPU/, '')));
  const rows: SoftirqCountRow[] = [];
  for (const l of lines.slice(1)) {
    const [name, ...counts] = l.trim().split(/\s+/);
    const vector = name?.replace(/:$/, '');
    if (!vector || !vectors.includes(vector)) continue;
    counts.forEach((c, i) => rows.push({ cpu: cpus[i]!, vector, count: Number(c) }));
  }
  return rows;
}

/** /proc/stat's softirq column per CPU, in microseconds (pure). */
export function parseStatSoftirq(text: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const l of text.split('\n')) {
    const m = /^cpu(\d+)\s+(.*)$/.exec(l);
    // user nice system idle iowait irq softirq ...
    if (m) out.set(Number(m[1]), (Number(m[2]!.trim().split(/\s+/)[6] ?? 0) * 1e6) / USER_HZ);
  }
  return out;
}

/** /proc/net/softnet_stat, one line of hex u32 per online CPU (pure). The CPU is column 13 where
 * the kernel prints it (5.10+), else the line's position. */
export function parseSoftnet(text: string, softirqUs: Map<number, number>): CpuRow[] {
  return text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l, i) => {
      const c = l.trim().split(/\s+/).map((v) => parseInt(v, 16));
      const cpu = c.length >= 13 ? c[12]! : i;
      return { cpu, softirq_us: softirqUs.get(cpu) ?? 0, processed: c[0] ?? 0, dropped: c[1] ?? 0, time_squeeze: c[2] ?? 0, received_rps: c[9] ?? 0, flow_limit: c[10] ?? 0 };
    });
}

export interface HostReading {
  cpus: CpuRow[];
  softirqs: SoftirqCountRow[];
}

export function readHost(vectors: readonly string[]): HostReading {
  const read = (p: string) => {
    try {
      return readFileSync(p, 'utf8');
    } catch {
      return '';
    }
  };
  const softirqs = read('/proc/softirqs');
  return {
    cpus: parseSoftnet(read('/proc/net/softnet_stat'), parseStatSoftirq(read('/proc/stat'))),
    softirqs: softirqs ? parseSoftirqs(softirqs, vectors) : [],
  };
}

export const cpuId = (r: CpuRow) => String(r.cpu);
export const byCpu = (a: { cpu: number }, b: { cpu: number }) => a.cpu - b.cpu;
export const softirqId = (r: SoftirqCountRow) => `${r.cpu}/${r.vector}`;
export const bySoftirq = (a: SoftirqCountRow, b: SoftirqCountRow) => a.vector.localeCompare(b.vector) || a.cpu - b.cpu;
