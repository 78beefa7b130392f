/**
 * The records of bpf/virtio.h, declared member by member in C order. Offsets follow from C's rules;
 * layout.test.ts checks every member against the built objects' BTF.
 */
import { array, chars, nstHist, struct } from '@netstrata/bpf-common';

const NAME_LEN = 16;
/** bpf/virtio.h VIRTIO_POLL_*: what ran a poll, in the order of the rows' arrays. */
export const POLL_KINDS = ['softirq', 'busy_poll', 'threaded'] as const;
export type PollKind = (typeof POLL_KINDS)[number];
export const DIRS = ['rx', 'tx'] as const;
export type Dir = (typeof DIRS)[number];

export const virtioQKey = struct('virtio_q_key', { ifindex: 'u32', netns: 'u32', queue: 's32', dir: 'u32' });
export const virtioQState = struct('virtio_q_state', { last_ns: 'u64', irq_off: 'u32', pending: 'u32', known: 'u32', _pad: 'u32' });
export const virtioPollRow = struct('virtio_poll_row', {
  name: chars(NAME_LEN),
  polls: array('u64', POLL_KINDS.length),
  packets: array('u64', POLL_KINDS.length),
  exhausted: 'u64',
  empty: 'u64',
  irq_off: 'u64',
  budget: 'u32',
  _pad: 'u32',
  per_poll: nstHist,
});
export const virtioIrqKey = struct('virtio_irq_key', { irq: 'u32', cpu: 'u32' });
export const virtioIrqRow = struct('virtio_irq_row', { runs: 'u64', none: 'u64' });

export const POLL_LAYOUTS = [virtioQKey, virtioQState, virtioPollRow, nstHist];
export const IRQ_LAYOUTS = [virtioQKey, virtioQState, virtioIrqKey, virtioIrqRow];

export interface QueueKey {
  ifindex: number;
  netns: number;
  /** Queue pair index; -1 when the driver's structs are not in the kernel's BTF. */
  queue: number;
  dir: Dir;
}

/** A queue's interrupt state as the driver left it after its last poll. */
export interface QueueState {
  lastNs: bigint;
  irqOff: boolean;
  pending: number;
  known: boolean;
}

export function decodeQueueKey(k: Uint8Array): QueueKey {
  const key = virtioQKey.decode(k);
  return { ifindex: key.ifindex, netns: key.netns, queue: key.queue, dir: DIRS[key.dir] ?? 'rx' };
}

export function decodeState(v: Uint8Array): QueueState {
  const s = virtioQState.decode(v);
  return { lastNs: s.last_ns, irqOff: s.irq_off !== 0, pending: s.pending, known: s.known !== 0 };
}

/** Each queue's state after its last poll (the `states` map), by queueId. */
export function readStates(map: { entries(): Iterable<[Uint8Array, Uint8Array]> }): Map<string, { key: QueueKey; state: QueueState }> {
  const out = new Map<string, { key: QueueKey; state: QueueState }>();
  for (const [k, v] of map.entries()) {
    const key = decodeQueueKey(k);
    out.set(queueId(key), { key, state: decodeState(v) });
  }
  return out;
}

export const queueId = (k: QueueKey): string => `${k.netns}/${k.ifindex}/${k.dir}/${k.queue}`;

export interface PollVal {
  name: string;
  polls: number[];
  packets: number[];
  exhausted: number;
  empty: number;
  irqOff: number;
  budget: number;
  perPoll: bigint[];
}

export interface PollEntry {
  key: QueueKey;
  val: PollVal;
}

export function decodePoll(k: Uint8Array, v: Uint8Array): PollEntry {
  const r = virtioPollRow.decode(v);
  return {
    key: decodeQueueKey(k),
    val: {
      name: r.name,
      polls: r.polls.map(Number),
      packets: r.packets.map(Number),
      exhausted: Number(r.exhausted),
      empty: Number(r.empty),
      irqOff: Number(r.irq_off),
      budget: r.budget,
      perPoll: r.per_poll.slots,
    },
  };
}

export interface IrqEntry {
  key: { irq: number; cpu: number };
  val: { runs: number; none: number };
}

export function decodeIrq(k: Uint8Array, v: Uint8Array): IrqEntry {
  const key = virtioIrqKey.decode(k);
  const val = virtioIrqRow.decode(v);
  return { key: { irq: key.irq, cpu: key.cpu }, val: { runs: Number(val.runs), none: Number(val.none) } };
}
