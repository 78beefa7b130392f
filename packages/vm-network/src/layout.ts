/**
 * The records of bpf/vm_network.h, declared member by member in C order. Offsets follow from C's
 * rules; layout.test.ts checks every member against the built object's BTF.
 */
import { chars, flowFromRaw, nstFlow, nstHist, struct, type Flow } from '@netstrata/bpf-common';

export const vmnetKey = struct('vmnet_key', { vm_ifindex: 'u32', dir: 'u32' });
export const vmnetStats = struct('vmnet_stats', {
  started: 'u64',
  completed: 'u64',
  dropped: 'u64',
  lost: 'u64',
  backlog_ns: nstHist,
  forward_ns: nstHist,
  upcall_ns: nstHist,
  qdisc_ns: nstHist,
  out_ns: nstHist,
  total_ns: nstHist,
});

export const vmnetEvent = struct('vmnet_event', {
  ts: { array: 'u64', length: 7 },
  flow: nstFlow,
  vm_ifindex: 'u32',
  dir: 'u32',
  out_ifindex: 'u32',
  cpu: 'u32',
  pid: 'u32',
  tid: 'u32',
  comm: chars(16),
});

/** Every struct the tools decode, for the layout test. */
export const LAYOUTS = [nstHist, vmnetKey, vmnetStats, vmnetEvent];

/** bpf/vm_network.h VMNET_DIR_*. */
export type Direction = 'tx' | 'rx';
const DIRS: Direction[] = ['tx', 'rx'];

/** The stages of a path, in order; together they make its total. forward is the kernel's own
 * forwarding time; an OVS upcall's time (in ovs-vswitchd) is the upcall stage. */
export const STAGES = ['backlog', 'forward', 'upcall', 'qdisc', 'out'] as const;
export type Stage = (typeof STAGES)[number];

export interface PathEntry {
  key: { vmIfindex: number; dir: Direction };
  val: { started: number; completed: number; dropped: number; lost: number; stages: Record<Stage, bigint[]>; total: bigint[] };
}

export function decodePath(k: Uint8Array, v: Uint8Array): PathEntry {
  const key = vmnetKey.decode(k);
  const val = vmnetStats.decode(v);
  return {
    key: { vmIfindex: key.vm_ifindex, dir: DIRS[key.dir] ?? 'tx' },
    val: {
      started: Number(val.started),
      completed: Number(val.completed),
      dropped: Number(val.dropped),
      lost: Number(val.lost),
      stages: { backlog: val.backlog_ns.slots, forward: val.forward_ns.slots, upcall: val.upcall_ns.slots, qdisc: val.qdisc_ns.slots, out: val.out_ns.slots },
      total: val.total_ns.slots,
    },
  };
}

/** bpf/vm_network.h VMNET_T_*: the stamps of a path, in order. */
export const STAMPS = ['backlog', 'receive', 'upcall', 'execute', 'queue', 'xmit', 'done'] as const;
const T = Object.fromEntries(STAMPS.map((s, i) => [s, i])) as Record<(typeof STAMPS)[number], number>;

/** Each stage's time from a path's stamps, ns, for the stages the packet went through (as the
 * summary's kernel side computes them). */
export function stageSpans(ts: readonly bigint[]): Partial<Record<Stage, bigint>> {
  const span = (a: number, b: number) => (ts[a] && ts[b] && ts[b]! >= ts[a]! ? ts[b]! - ts[a]! : undefined);
  const upcall = span(T.upcall, T.execute);
  const forward = span(T.receive, T.queue);
  const out: Partial<Record<Stage, bigint>> = {};
  const backlog = span(T.backlog, T.receive);
  if (backlog !== undefined) out.backlog = backlog;
  if (forward !== undefined && forward >= (upcall ?? 0n)) out.forward = forward - (upcall ?? 0n);
  if (upcall !== undefined) out.upcall = upcall;
  const qdisc = span(T.queue, T.xmit);
  if (qdisc !== undefined) out.qdisc = qdisc;
  const done = span(T.xmit, T.done);
  if (done !== undefined) out.out = done;
  return out;
}

/** The first stamp of a path and its end, ns. */
export const pathEnds = (ts: readonly bigint[]): { first: bigint; done: bigint } => ({ first: ts[T.backlog] || ts[T.receive]!, done: ts[T.done]! });

export interface PathEvent {
  /** Each stamp, kernel ns (0: not on this path). */
  ts: bigint[];
  flow: Flow | undefined;
  vmIfindex: number;
  dir: Direction;
  cpu: number;
  pid: number;
  tid: number;
  comm: string;
}

export function decodeEvent(data: Uint8Array): PathEvent {
  const e = vmnetEvent.decode(data);
  return { ts: e.ts, flow: flowFromRaw(e.flow), vmIfindex: e.vm_ifindex, dir: DIRS[e.dir] ?? 'tx', cpu: e.cpu, pid: e.pid, tid: e.tid, comm: e.comm };
}
