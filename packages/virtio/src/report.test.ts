/** The virtio records from rows and states: what a stalled queue looks like, and the vectors' sums. */
import { describe, expect, it } from 'vitest';
import { SLOTS } from '@netstrata/bpf-common';
import { queueId, type IrqEntry, type PollEntry, type QueueKey, type QueueState } from './layout.ts';
import { countBounds, pollFields } from './poll/report.ts';
import { irqFields } from './irq/report.ts';
import { STALL_MS, formatState, stateField } from './state.ts';

const NOW = 10_000_000_000n;
const key = (queue: number, dir: 'rx' | 'tx' = 'rx'): QueueKey => ({ ifindex: 3, netns: 42, queue, dir });
const state = (o: Partial<QueueState> & { agoMs: number }): QueueState => ({ lastNs: NOW - BigInt(o.agoMs * 1e6), irqOff: o.irqOff ?? false, pending: o.pending ?? 0, known: o.known ?? true });
const slots = (values: number[]) => {
  const s = new Array<bigint>(SLOTS).fill(0n);
  for (const v of values) s[v] = (s[v] ?? 0n) + 1n;
  return s;
};
const poll = (queue: number, polls: number[], packets: number[], perPoll: number[]): PollEntry => ({
  key: key(queue),
  val: { name: 'eth1', polls, packets, exhausted: 0, empty: perPoll.filter((v) => !v).length, irqOff: polls[1] ?? 0, budget: 64, perPoll: slots(perPoll) },
});

describe('stateField', () => {
  it('is stalled only with interrupts off, buffers waiting and no poll for STALL_MS', () => {
    expect(stateField(state({ agoMs: STALL_MS, irqOff: true, pending: 3 }), NOW)!.stalled).toBe(true);
    expect(stateField(state({ agoMs: STALL_MS - 1, irqOff: true, pending: 3 }), NOW)!.stalled).toBe(false);
    expect(stateField(state({ agoMs: 5000, irqOff: true, pending: 0 }), NOW)!.stalled).toBe(false);
    expect(stateField(state({ agoMs: 5000, irqOff: false, pending: 9 }), NOW)!.stalled).toBe(false);
    expect(stateField(state({ agoMs: 5000, known: false }), NOW)!.interrupts).toBe('unknown');
    expect(stateField({ lastNs: 0n, irqOff: false, pending: 0, known: true }, NOW)).toBeNull();
  });

  it('reads as a user wants it at 3 a.m.', () => {
    expect(formatState(stateField(state({ agoMs: 4000, irqOff: true, pending: 7 }), NOW))).toBe('STALLED: off, 7 waiting, no poll for 4.0 s');
    expect(formatState(stateField(state({ agoMs: 12, irqOff: true, pending: 0 }), NOW))).toBe('off (0 waiting, last poll 12 ms ago)');
    expect(formatState(stateField(state({ agoMs: 12 }), NOW))).toBe('on');
  });
});

describe('pollFields', () => {
  it('sums polls and packets by what ran them, and joins each queue to its state', () => {
    const states = new Map([[queueId(key(0)), { key: key(0), state: state({ agoMs: 5 }) }]]);
    const f = pollFields([poll(0, [3, 5, 0], [4, 2, 0], [1, 1, 2, 0, 0, 0, 1, 1])], { states, names: new Map() }, { top: 10, nowNs: NOW });
    expect(f).toMatchObject({ polls: 8, packets: 6, more_queues: 0 });
    const row = f.queues[0]!;
    expect(row.polls).toEqual({ softirq: 3, busy_poll: 5, threaded: 0, total: 8 });
    expect(row.packets).toEqual({ softirq: 4, busy_poll: 2, threaded: 0, total: 6 });
    expect(row.per_poll.count).toBe(8);
    expect(row.state).toMatchObject({ interrupts: 'on', last_poll_ms_ago: 5, stalled: false });
  });

  it('lists a stalled queue first, even with no poll in the span, named from an earlier row', () => {
    const states = new Map([
      [queueId(key(0)), { key: key(0), state: state({ agoMs: 2 }) }],
      [queueId(key(1)), { key: key(1), state: state({ agoMs: 3000, irqOff: true, pending: 5 }) }],
    ]);
    const f = pollFields([poll(0, [10, 0, 0], [10, 0, 0], [1, 1, 1, 1, 1, 1, 1, 1, 1, 1])], { states, names: new Map([['42/3', 'eth1']]) }, { top: 10, nowNs: NOW });
    expect(f.queues.map((q) => [q.device, q.queue, q.polls.total, q.state?.stalled])).toEqual([
      ['eth1', 1, 0, true],
      ['eth1', 0, 10, false],
    ]);
    expect(f.packets).toBe(10);
  });

  it('shows a count bucket as its value, or the values it holds', () => {
    expect(countBounds({ low: 3, high: 4 })).toBe('3');
    expect(countBounds({ low: 16, high: 18 })).toBe('16-17');
    expect(countBounds(undefined)).toBe('-');
  });
});

describe('irqFields', () => {
  const irqs = [
    { irq: 38, name: 'virtio2-input.0', virtio: 'virtio2', role: 'rx' as const, queue: 0 },
    { irq: 39, name: 'virtio2-output.0', virtio: 'virtio2', role: 'tx' as const, queue: 0 },
    { irq: 37, name: 'virtio2-config', virtio: 'virtio2', role: 'config' as const, queue: null },
  ];
  const rows: IrqEntry[] = [
    { key: { irq: 38, cpu: 0 }, val: { runs: 7, none: 1 } },
    { key: { irq: 38, cpu: 1 }, val: { runs: 3, none: 0 } },
    { key: { irq: 39, cpu: 1 }, val: { runs: 2, none: 0 } },
  ];
  const devices = new Map([['virtio2', { ifname: 'eth1', ifindex: 3, netns: 42 }]]);

  it('adds each vector over its CPUs, with the IRQ_NONE share, and leaves out the ones that did not run', () => {
    const states = new Map([[queueId(key(0)), { key: key(0), state: state({ agoMs: 1, irqOff: true }) }]]);
    const f = irqFields(rows, { irqs, devices, states }, { top: 10, nowNs: NOW });
    expect(f).toMatchObject({ runs: 12, irq_none: 1, more_interrupts: 0 });
    expect(f.interrupts.map((r) => [r.irq, r.device, r.runs, r.irq_none, r.cpus])).toEqual([
      [38, 'eth1', 10, 1, { '0': 7, '1': 3 }],
      [39, 'eth1', 2, 0, { '1': 2 }],
    ]);
    expect(f.interrupts[0]!.irq_none_share).toBeCloseTo(0.1);
    // The RX vector's queue state; the TX queue's was never polled.
    expect(f.interrupts[0]!.state).toMatchObject({ interrupts: 'off', stalled: false });
    expect(f.interrupts[1]!.state).toBeNull();
  });
});
