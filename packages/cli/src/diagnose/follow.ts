/**
 * Layers 2 and 3, as commands built from layer 1's findings (pure), and what their records say
 * (pure): the details tool that catches the finding's packets, with the device, reason, direction
 * and threshold filled in; then the CPU tools on the threads that handled them.
 */
import { formatFlow, type Flow } from '@netstrata/bpf-common';
import type { Rec } from './children.ts';
import type { Finding } from './verdict.ts';

export interface Filters {
  ip?: string;
  srcIp?: string;
  dstIp?: string;
  port?: number;
  srcPort?: number;
  dstPort?: number;
  protocol?: string;
  netns?: string;
  interface?: string;
}

export interface Step {
  tool: string;
  args: string[];
  /** What it looks at, for people. */
  why: string;
  /** The finding it follows (index in the verdict's findings). */
  finding: number;
}

/** Options for the flow filters a tool of this kind takes. */
export function flowArgs(f: Filters): string[] {
  const out: string[] = [];
  const add = (k: string, v: string | number | undefined) => v !== undefined && out.push(`--${k}`, String(v));
  add('ip', f.ip);
  add('src-ip', f.srcIp);
  add('dst-ip', f.dstIp);
  add('port', f.port);
  add('src-port', f.srcPort);
  add('dst-port', f.dstPort);
  add('protocol', f.protocol);
  return out;
}

/** A finding's namespace as the tools take it: its ip netns name where it has one, else its inode;
 * the user's --netns when the finding has none. */
const netnsArg = (f: Finding, filters: Filters, names: ReadonlyMap<number, string>): string[] =>
  f.netns ? ['--netns', names.get(f.netns) ?? String(f.netns)] : filters.netns ? ['--netns', filters.netns] : [];

/** Layer 2: one details run per finding (the first `most`). */
export function layer2(findings: readonly Finding[], filters: Filters, latencyUs: number, names: ReadonlyMap<number, string> = new Map(), most = 3): Step[] {
  const steps: Step[] = [];
  findings.slice(0, most).forEach((f, i) => {
    const dev = f.device ? ['--interface', f.device] : [];
    if (f.kind === 'drops' && f.reason === 'FULL_RING') {
      steps.push({ tool: 'tun_ring_details', args: [...netnsArg(f, filters, names), ...dev, ...flowArgs(filters)], why: `each packet ${f.device} drops, with its ring and its reader`, finding: i });
    } else if (f.kind === 'drops' && f.reason !== 'OVS_UPCALL_FAILED') {
      steps.push({
        tool: 'packet_drop_details',
        args: ['--reason', f.reason!, ...netnsArg(f, filters, names), ...dev, ...flowArgs(filters)],
        why: `each packet dropped with ${f.reason}${f.device ? ` on ${f.device}` : ''}`,
        finding: i,
      });
    } else if (f.kind === 'latency' && f.stage === 'ovs_upcall') {
      steps.push({ tool: 'ovs_upcall_latency_summary', args: ['--by', 'handler', ...flowArgs(filters), ...(filters.netns ? ['--netns', filters.netns] : [])], why: "the upcalls' wait per ovs-vswitchd handler thread", finding: i });
    } else if (f.kind === 'latency') {
      steps.push({
        tool: 'system_network_latency_details',
        args: ['--direction', f.direction!, '--latency-threshold-us', String(latencyUs), ...flowArgs(filters), ...(filters.netns ? ['--netns', filters.netns] : []), ...(filters.interface ? ['--interface', filters.interface] : [])],
        why: `each ${f.direction} packet that took ${latencyUs} µs or more, stage by stage`,
        finding: i,
      });
    }
  });
  return steps;
}

export interface Task {
  pid: number;
  comm: string;
}

/** What a details run caught: how many, the top flows, and the threads that handled them. */
export interface Caught {
  tool: string;
  events: number;
  flows: { text: string; count: number }[];
  /** Threads worth a look: a TAP queue's reader, the thread at a slow packet's slowest stage. */
  threads: (Task & { role: string; count: number })[];
  /** Tool-specific figures: the reader's last read before a drop, the slowest stage. */
  notes: string[];
}

function tally<T>(items: readonly T[], key: (t: T) => string | undefined): Map<string, { item: T; count: number }> {
  const m = new Map<string, { item: T; count: number }>();
  for (const it of items) {
    const k = key(it);
    if (k === undefined) continue;
    const e = m.get(k) ?? { item: it, count: 0 };
    e.count++;
    m.set(k, e);
  }
  return m;
}

const top = <T>(m: Map<string, { item: T; count: number }>, n: number) => [...m.values()].sort((a, b) => b.count - a.count).slice(0, n);

/** `total`: events the tool printed, when `records` keeps only the first of them. */
export function caught(tool: string, records: readonly Rec[], total?: number): Caught {
  const events = records.filter((r) => r.type === 'event');
  const flows = top(tally(events, (e) => (e.flow ? formatFlow(e.flow as Flow) : undefined)), 5).map(({ item, count }) => ({ text: formatFlow(item.flow as Flow), count }));
  const out: Caught = { tool, events: total ?? events.length, flows, threads: [], notes: [] };
  if (total !== undefined && total > events.length) out.notes.push(`flows and threads from the first ${events.length} of ${total} events`);
  if (tool === 'tun_ring_details') {
    const readers = tally(events, (e) => {
      const r = e.reader as { pid: number; comm: string } | null;
      return r ? `${r.pid}` : undefined;
    });
    for (const { item, count } of top(readers, 3)) {
      const r = item.reader as { pid: number; comm: string };
      out.threads.push({ pid: r.pid, comm: r.comm, role: 'TAP queue reader', count });
    }
    const since = events.map((e) => (e.reader as { last_read_us?: number } | null)?.last_read_us).filter((x): x is number => typeof x === 'number');
    if (since.length) out.notes.push(`the reader's last read came ${Math.min(...since)}–${Math.max(...since)} µs before each drop`);
    if (!readers.size && events.length) out.notes.push('no read of the queue was seen while the tool ran: the reader is stalled or gone');
  } else if (tool === 'system_network_latency_details') {
    const slowest = tally(events, (e) => {
      const st = (e.stages as { from: string; to: string; delta_us: number }[] | undefined) ?? [];
      const s = st.reduce<{ from: string; to: string; delta_us: number } | undefined>((a, b) => (!a || b.delta_us > a.delta_us ? b : a), undefined);
      return s ? `${s.from} -> ${s.to}` : undefined;
    });
    for (const [stage, { count }] of [...slowest.entries()].sort((a, b) => b[1].count - a[1].count).slice(0, 3)) out.notes.push(`${count} slowest at ${stage}`);
    const readers = tally(events, (e) => {
      const l = e.last as { pid?: number; stage?: string } | undefined;
      return l?.stage === 'read' && l.pid ? String(l.pid) : undefined;
    });
    for (const { item, count } of top(readers, 2)) {
      const l = item.last as { pid: number; comm: string };
      out.threads.push({ pid: l.pid, comm: l.comm, role: 'reading process', count });
    }
  } else if (tool === 'ovs_upcall_latency_summary') {
    const fin = [...records].reverse().find((r) => r.type === 'final') as { rows?: { handler?: { tid: number; comm: string }; upcalls: number }[] } | undefined;
    for (const row of (fin?.rows ?? []).slice(0, 3)) {
      if (row.handler) out.threads.push({ pid: row.handler.tid, comm: row.handler.comm, role: 'OVS handler', count: row.upcalls });
    }
    out.events = (fin?.rows ?? []).reduce((s, r) => s + r.upcalls, 0);
  }
  return out;
}

/** Layer 3: the CPU tools on the threads layer 2 found, and the softirqs for an in-stack delay. */
export function layer3(caughtRuns: readonly Caught[], findings: readonly Finding[], processOf: (tid: number) => number | undefined = () => undefined): Step[] {
  const steps: Step[] = [];
  const seen = new Set<number>();
  const locksSeen = new Set<number>();
  caughtRuns.forEach((c, i) => {
    for (const t of c.threads) {
      if (seen.has(t.pid)) continue;
      seen.add(t.pid);
      const who = t.role === 'OVS handler' ? ['--tid', String(t.pid)] : ['--pid', String(t.pid)];
      steps.push({ tool: 'offcpu_summary', args: who, why: `where ${t.comm} (${t.role}) waits off CPU`, finding: i });
      steps.push({ tool: 'sched_latency_summary', args: who, why: `how long ${t.comm} waits for a CPU`, finding: i });
      // ovs-vswitchd's handlers and revalidators share locks (the flow table's): the process's lock waits.
      const proc = t.role === 'OVS handler' ? processOf(t.pid) : undefined;
      if (proc !== undefined && !locksSeen.has(proc)) {
        locksSeen.add(proc);
        steps.push({ tool: 'lock_wait_summary', args: ['--pid', String(proc)], why: `which locks ${t.comm}'s process waits on`, finding: i });
      }
    }
  });
  const stackLatency = findings.some((f) => f.kind === 'latency' && f.stage !== 'ovs_upcall' && !/read|socket_send/.test(f.stage ?? ''));
  if (stackLatency) steps.push({ tool: 'softirq_latency_summary', args: ['--vector', 'net_rx,net_tx'], why: 'how late the network softirqs run', finding: 0 });
  return steps;
}

/** A layer-3 run's record, in a line or two. */
export function cpuSummary(tool: string, fin: Rec | undefined): string[] {
  if (!fin) return ['no record'];
  const p99 = (h: { percentiles?: { p99?: { low: number } } | null } | undefined) => (h?.percentiles?.p99 ? `${Math.round(h.percentiles.p99.low / 1000)} µs` : '-');
  if (tool === 'offcpu_summary') {
    const rows = (fin.rows as { comm: string; tid: number; state: string; total_us: number; count: number }[] | undefined) ?? [];
    if (!rows.length) return ['no stretch off CPU ended in the window: the threads ran throughout, or stayed off CPU throughout'];
    return rows.slice(0, 3).map((r) => `${r.comm} (tid ${r.tid}) off CPU ${(r.total_us / 1000).toFixed(1)} ms in state ${r.state}, ${r.count} times`);
  }
  if (tool === 'sched_latency_summary') {
    const th = (fin.threads as { comm: string; tid: number; wakeups: number; wait: { count: number; percentiles?: { p99?: { low: number } } | null } }[] | undefined) ?? [];
    if (!th.length) return ['no wait for a CPU in the window: the threads did not wake up'];
    return th.slice(0, 3).map((t) => `${t.comm} (tid ${t.tid}) waited for a CPU ${t.wait.count} times, p99 ${p99(t.wait)}`);
  }
  if (tool === 'lock_wait_summary') {
    const locks = (fin.locks as { lock: string; kind: string; waiters: number; count: number; total_us: number }[] | undefined) ?? [];
    const waited = locks.filter((l) => l.count > 0);
    if (!waited.length) return ['no lock wait in the window'];
    return waited.slice(0, 3).map((l) => `${l.kind} ${l.lock}: ${l.count} waits by ${l.waiters} threads, ${(l.total_us / 1000).toFixed(1)} ms in all`);
  }
  if (tool === 'softirq_latency_summary') {
    const v = (fin.vectors as { vector: string; latency: { count: number; percentiles?: { p99?: { low: number } } | null } }[] | undefined) ?? [];
    return v.map((x) => `${x.vector}: ${x.latency.count} runs, raise → run p99 ${p99(x.latency)}`);
  }
  return [];
}

/** A step as a command line a user can paste. */
export function commandLine(s: Step, durationS?: number): string {
  const q = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  return [s.tool, ...s.args, ...(durationS ? ['--duration', String(durationS)] : [])].map(q).join(' ');
}
