/** virtnet_poll_summary records: per virtio-net queue, from the kernel's cumulative rows. */
import { addCounts, diffSlots, spanHeading, textTable, toHistogram, type Bounds, type Histogram, type RowsOptions, type SummaryEnvelope } from '@netstrata/bpf-common';
import { POLL_KINDS, queueId, type Dir, type PollEntry, type PollKind, type QueueKey, type QueueState } from '../layout.ts';
import { formatState, queueName, stateField, type StateField } from '../state.ts';

type ByKind = Record<PollKind, number> & { total: number };

export interface PollRow {
  device: string;
  ifindex: number;
  netns: number;
  /** Queue pair index; -1 when the driver's structs are not in the kernel's BTF. */
  queue: number;
  dir: Dir;
  /** Polls by what ran them: the NET_RX softirq (after an interrupt, or again after a poll that
   * used its whole budget), a busy-polling socket, or the device's NAPI thread. */
  polls: ByKind;
  /** Packets taken (RX) or transmit completions (TX), by what ran the poll. */
  packets: ByKind;
  /** Packets (or completions) per poll. */
  per_poll: Histogram;
  /** The largest budget a poll was given (64 for the softirq, 8 for a busy poller by default). */
  budget: number;
  /** Polls that used their whole budget: more was waiting, NAPI runs the queue again. */
  exhausted: number;
  /** Polls that found nothing. */
  empty: number;
  /** Polls after which the queue's interrupts stayed off: NAPI (or the busy poller) kept the queue. */
  irq_off_after: number;
  /** The queue's interrupt state after its last poll. */
  state: StateField | null;
}

export interface PollFields {
  polls: number;
  packets: number;
  queues: PollRow[];
  more_queues: number;
}

export type PollRecord = SummaryEnvelope & PollFields;

const sub = (a: number[], b: number[]) => a.map((v, i) => v - (b[i] ?? 0));
const add = (a: number[], b: number[]) => a.map((v, i) => v + (b[i] ?? 0));

export const pollRowOps: Pick<RowsOptions<PollEntry>, 'sub' | 'add' | 'isEmpty'> = {
  sub: ({ key, val }, { val: b }) => ({
    key,
    val: { ...val, polls: sub(val.polls, b.polls), packets: sub(val.packets, b.packets), exhausted: val.exhausted - b.exhausted, empty: val.empty - b.empty, irqOff: val.irqOff - b.irqOff, perPoll: diffSlots(val.perPoll, b.perPoll) },
  }),
  // The state is the newer value's (b is the later incarnation).
  add: (a, { key, val }) => ({
    key,
    val: { ...val, polls: add(a.val.polls, val.polls), packets: add(a.val.packets, val.packets), exhausted: a.val.exhausted + val.exhausted, empty: a.val.empty + val.empty, irqOff: a.val.irqOff + val.irqOff, budget: Math.max(a.val.budget, val.budget), perPoll: addCounts(a.val.perPoll, val.perPoll) },
  }),
  isEmpty: ({ val }) => val.polls.every((n) => !n),
};

const byKind = (v: number[]): ByKind => {
  const o = Object.fromEntries(POLL_KINDS.map((k, i) => [k, v[i] ?? 0])) as Record<PollKind, number>;
  return { ...o, total: v.reduce((s, n) => s + n, 0) };
};

/** The queues' states after their last polls, by queueId, and the devices' names by ifindex/netns. */
export interface QueueStates {
  states: ReadonlyMap<string, { key: QueueKey; state: QueueState }>;
  names: ReadonlyMap<string, string>;
}

const devName = (names: ReadonlyMap<string, string>, k: QueueKey) => names.get(`${k.netns}/${k.ifindex}`) ?? `if${k.ifindex}`;

const zeroRow = (key: QueueKey, device: string): PollRow => ({
  device,
  ifindex: key.ifindex,
  netns: key.netns,
  queue: key.queue,
  dir: key.dir,
  polls: byKind([0, 0, 0]),
  packets: byKind([0, 0, 0]),
  per_poll: toHistogram([], 'packets'),
  budget: 0,
  exhausted: 0,
  empty: 0,
  irq_off_after: 0,
  state: null,
});

/**
 * The record's fields from one span's rows, each with its queue's state now (`nowNs`: the monotonic
 * clock at the report). A stalled queue is listed even when the span saw no poll of it: that is
 * what stalled means.
 */
export function pollFields(entries: readonly PollEntry[], q: QueueStates, o: { top: number; nowNs: bigint }): PollFields {
  const seen = new Set<string>();
  const rows = entries
    .filter(({ val }) => val.polls.some((n) => n))
    .map(({ key, val }): PollRow => {
      seen.add(queueId(key));
      const st = q.states.get(queueId(key));
      return {
        ...zeroRow(key, val.name || devName(q.names, key)),
        polls: byKind(val.polls),
        packets: byKind(val.packets),
        per_poll: toHistogram(val.perPoll, 'packets'),
        budget: val.budget,
        exhausted: val.exhausted,
        empty: val.empty,
        irq_off_after: val.irqOff,
        state: st ? stateField(st.state, o.nowNs) : null,
      };
    });
  for (const [id, { key, state }] of q.states) {
    const st = stateField(state, o.nowNs);
    if (!seen.has(id) && st?.stalled) rows.push({ ...zeroRow(key, devName(q.names, key)), state: st });
  }
  rows.sort((a, b) => Number(b.state?.stalled ?? false) - Number(a.state?.stalled ?? false) || b.packets.total - a.packets.total || b.polls.total - a.polls.total || a.device.localeCompare(b.device) || a.queue - b.queue);
  return {
    polls: rows.reduce((n, r) => n + r.polls.total, 0),
    packets: rows.reduce((n, r) => n + r.packets.total, 0),
    queues: rows.slice(0, o.top),
    more_queues: Math.max(0, rows.length - o.top),
  };
}

/** A count histogram's bucket: "3", or "16-17". */
export const countBounds = (b: Bounds | undefined): string => (!b ? '-' : b.high - b.low <= 1 ? String(b.low) : `${b.low}-${b.high - 1}`);

export function renderPollText(rec: PollRecord): string {
  const lines = [`${spanHeading(rec)}: ${rec.polls} poll${rec.polls === 1 ? '' : 's'}, ${rec.packets} packet${rec.packets === 1 ? '' : 's'}`];
  if (rec.queues.length) {
    const header = ['QUEUE', 'POLLS', 'SOFTIRQ', 'BUSY', 'THREADED', 'PACKETS', 'PER POLL p50', 'p99', 'BUDGET', 'EXHAUSTED', 'EMPTY', 'IRQ OFF AFTER', 'INTERRUPTS'];
    const body = rec.queues.map((r) => {
      const p = r.per_poll.percentiles;
      return [queueName(r.device, r), String(r.polls.total), String(r.polls.softirq), String(r.polls.busy_poll), String(r.polls.threaded), String(r.packets.total), countBounds(p?.p50), countBounds(p?.p99), String(r.budget), String(r.exhausted), String(r.empty), String(r.irq_off_after), formatState(r.state)];
    });
    lines.push(...textTable(header, body, new Set([0, 12])));
    if (rec.more_queues) lines.push(`  ... and ${rec.more_queues} more (--top)`);
  }
  return lines.join('\n');
}
