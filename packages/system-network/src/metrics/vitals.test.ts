import { describe, expect, it } from 'vitest';
import { DropReasons, SLOTS, slotOf } from '@netstrata/bpf-common';
import { QUEUE_COUNTERS, devKey, dropDevKey, nstHist, qdiscNapiStats, softirqStats } from '../layout.ts';
import { VitalsAggregator, softirqMask } from './vitals.ts';

const dev = (ifindex: number, netns: number) => devKey.encode({ ifindex, netns });
const u64 = (v: number) => new Uint8Array(new BigUint64Array([BigInt(v)]).buffer);
const softirq = (count: number, time_ns: number) => softirqStats.encode({ count: BigInt(count), time_ns: BigInt(time_ns) });

function queue(name: string, c: number[]): Uint8Array {
  return qdiscNapiStats.encode({ name, ...Object.fromEntries(QUEUE_COUNTERS.map((k, i) => [k, BigInt(c[i]!)])) });
}

function dropKey(ifindex: number, netns: number, reason: number, name: string): Uint8Array {
  return dropDevKey.encode({ ifindex, netns, reason, name });
}

describe('vitals', () => {
  it('sums CPUs, names reasons and vectors, and reports intervals as differences', () => {
    const agg = new VitalsAggregator(new DropReasons(new Map([[3, 'SKB_DROP_REASON_NO_SOCKET']])), [{ vec: 3, name: 'NET_RX' }]);
    const slots = new Array<bigint>(SLOTS).fill(0n);
    slots[slotOf(20)] = 10n; // 10 samples in [20, 22) µs
    const hist = nstHist.encode({ slots });
    const maps = (n: number) => ({
      queues: [[dev(2, 7), [queue('eth0', [10 * n, 0, 1, 4, 0]), queue('', [0, 1, 1, 4, 0])]]] as [Uint8Array, Uint8Array[]][],
      hists: [[dev(2, 7), hist]] as [Uint8Array, Uint8Array][],
      drops: [[dropKey(2, 7, 3, 'eth0'), u64(5 * n)]] as [Uint8Array, Uint8Array][],
      softirqs: () => [softirq(2 * n, 3000 * n), softirq(0, 0)],
    });
    const first = agg.update(maps(1));
    expect(first.total.queues[0]).toMatchObject({ device: 'eth0', ifindex: 2, netns: 7, qdisc_dequeued: 10, qdisc_unmatched: 1, napi_polls: 2, napi_packets: 8 });
    expect(first.total.queues[0]!.qdisc_sojourn_us.buckets).toEqual([{ start: 20, end: 22, count: 10 }]);
    expect(first.total.drops).toEqual([{ device: 'eth0', ifindex: 2, netns: 7, reason: 'NO_SOCKET', reason_code: 3, count: 5 }]);
    expect(first.total.softirqs).toEqual([{ cpu: 0, vector: 'NET_RX', count: 2, time_us: 3 }]);
    const second = agg.update(maps(2));
    expect(second.interval.queues[0]).toMatchObject({ qdisc_dequeued: 10, napi_polls: 0 });
    expect(second.interval.queues[0]!.qdisc_sojourn_us.count).toBe(0);
    expect(second.interval.drops[0]!.count).toBe(5);
    expect(second.interval.softirqs).toEqual([{ cpu: 0, vector: 'NET_RX', count: 2, time_us: 3 }]);
  });

  it('masks the vectors it was given', () => {
    expect(softirqMask([{ vec: 3, name: 'NET_RX' }, { vec: 2, name: 'NET_TX' }])).toBe(0b1100);
  });
});
