import { describe, expect, it } from 'vitest';
import type { Histogram } from '@netstrata/bpf-common';
import { benignWhy, isGroupAddress } from './benign.ts';
import { atLeast, decide, type Layer1 } from './verdict.ts';

/** A histogram from [start, end, count] buckets; percentiles by rank ⌈q × n⌉ as the tools do. */
function hist(unit: string, buckets: [number, number, number][]): Histogram {
  const count = buckets.reduce((s, b) => s + b[2], 0);
  const at = (q: number) => {
    const rank = Math.ceil(q * count);
    let seen = 0;
    for (const [start, end, c] of buckets) {
      seen += c;
      if (seen >= rank) return { low: start, high: end };
    }
    return null!;
  };
  return {
    unit,
    count,
    relative_error: 0.125,
    buckets: buckets.map(([start, end, c]) => ({ start, end, count: c })),
    percentiles: count ? { p50: at(0.5), p90: at(0.9), p99: at(0.99), p999: at(0.999) } : null,
  };
}

const flow = (dst: string, dport: number) => ({ src: '10.201.1.1', dst, sport: 40000, dport, protocol: 'UDP' });
const dev = { device: 'ra', ifindex: 7, netns: 4026532305 };

const base = (over: Partial<Layer1>): Layer1 => ({
  durationS: 10,
  drops: { total_drops: 0, rows: [], more_drops: 0, lost: 0, missed: 0 },
  devices: [{ ...dev, rx_packets: 850, tx_packets: 700 }],
  latency: [],
  ...over,
});
const opts = { latencyUs: 10_000, minDrops: 1 };

describe('benign drops', () => {
  it('knows frames for other hosts, neighbour discovery and group addresses no socket joined', () => {
    expect(benignWhy({ reason: 'OTHERHOST', symbol: 'ip_rcv_core' })).toBeTruthy();
    expect(benignWhy({ reason: 'IPV6_NDISC_NS_OTHERHOST', symbol: 'ndisc_rcv' })).toBeTruthy();
    expect(benignWhy({ reason: 'NO_SOCKET', symbol: '__udp4_lib_rcv', dst: '224.0.0.251' })).toBeTruthy();
    expect(benignWhy({ reason: 'NO_SOCKET', symbol: '__udp6_lib_rcv', dst: 'ff02::fb' })).toBeTruthy();
    expect(benignWhy({ reason: 'NO_SOCKET', symbol: '__udp4_lib_rcv', dst: '10.201.2.1' })).toBeUndefined();
    expect(benignWhy({ reason: 'NETFILTER_DROP', symbol: 'nft_do_chain', dst: '224.0.0.1' })).toBeUndefined();
    expect(isGroupAddress('239.255.255.250')).toBe(true);
    expect(isGroupAddress('255.255.255.255')).toBe(true);
    expect(isGroupAddress('10.0.0.255')).toBe(false);
    expect(isGroupAddress('fe80::1')).toBe(false);
  });
});

describe('decide', () => {
  it('drops: one finding per reason, location and device, flows summed, share of what the device received, benign apart', () => {
    const v = decide(
      base({
        drops: {
          total_drops: 462,
          more_drops: 0,
          lost: 0,
          missed: 0,
          rows: [
            { count: 100, reason: 'NETFILTER_DROP', location: { symbol: 'nft_do_chain', offset: 0x46f }, ...dev, flow: flow('10.201.2.1', 5353) },
            { count: 50, reason: 'NETFILTER_DROP', location: { symbol: 'nft_do_chain', offset: 0x46f }, ...dev, flow: flow('10.201.2.2', 5353) },
            { count: 300, reason: 'IP_INHDR', location: { symbol: 'ip_forward', offset: 0x2c0 }, ...dev, flow: flow('10.201.2.1', 8080) },
            { count: 12, reason: 'NO_SOCKET', location: { symbol: '__udp4_lib_rcv', offset: 0x4bc }, ...dev, flow: flow('224.0.0.251', 5353) },
          ],
        },
      }),
      opts,
    );
    expect(v.kind).toBe('drops');
    expect(v.findings.map((f) => [f.reason, f.count])).toEqual([
      ['IP_INHDR', 300],
      ['NETFILTER_DROP', 150],
    ]);
    const nf = v.findings[1]!;
    expect(nf.location).toEqual({ symbol: 'nft_do_chain', offset: 0x46f });
    expect(nf.flows.map((f) => f.count)).toEqual([100, 50]);
    expect(nf.share).toBe(Math.round((150 / 850) * 10_000) / 10_000);
    expect(nf.share_of).toBe('packets ra received');
    expect(v.benign).toEqual([{ reason: 'NO_SOCKET', location: { symbol: '__udp4_lib_rcv' }, count: 12, why: expect.any(String) }]);
    expect(v.figures.benign_drops).toBe(12);
  });

  it('benign drops alone are healthy; --min-drops keeps a few real ones from a verdict', () => {
    const rows = [
      { count: 40, reason: 'OTHERHOST', location: { symbol: 'ip_rcv_core', offset: 1 }, ...dev },
      { count: 2, reason: 'NO_SOCKET', location: { symbol: '__udp4_lib_rcv', offset: 1 }, ...dev, flow: flow('10.201.2.1', 7000) },
    ];
    const l = base({ drops: { total_drops: 42, rows, more_drops: 0, lost: 0, missed: 0 } });
    expect(decide(l, opts).kind).toBe('drops');
    const v = decide(l, { ...opts, minDrops: 3 });
    expect(v.kind).toBe('healthy');
    expect(v.findings).toEqual([]);
  });

  it('a TAP full ring: share of what was sent to the TAP, with the queues from the ring tool', () => {
    const tap = { device: 'tap0', ifindex: 9, netns: 4026532400 };
    const v = decide(
      base({
        devices: [{ ...tap, rx_packets: 0, tx_packets: 200 }],
        drops: { total_drops: 300, rows: [{ count: 300, reason: 'FULL_RING', location: { symbol: 'tun_net_xmit', offset: 0x1a0 }, ...tap }], more_drops: 0, lost: 0, missed: 0 },
        tun: [{ ...tap, queue: 0, ring_size: 16, xmits: 500, full: 300, drops: [{ reason: 'FULL_RING', count: 300 }] }],
      }),
      opts,
    );
    expect(v.findings).toHaveLength(1);
    expect(v.findings[0]).toMatchObject({ reason: 'FULL_RING', count: 300, share: 0.6, queues: [{ queue: 0, ring_size: 16, full: 300, xmits: 500 }] });
  });

  it('latency: the network stage whose p99.9 reaches the threshold, with the samples above it and its neighbours', () => {
    const fast = hist('us', [[8, 9, 297]]);
    const tail = hist('us', [[8, 9, 297], [294912, 327680, 3]]);
    const v = decide(
      base({
        latency: [{ direction: 'tx', pairs: [{ from: 'socket_send', to: 'dev_queue', count: 300, histogram: fast }, { from: 'dev_queue', to: 'xmit', count: 300, histogram: tail }], end_to_end: null }],
      }),
      opts,
    );
    expect(v.kind).toBe('latency');
    expect(v.findings).toEqual([
      expect.objectContaining({ kind: 'latency', stage: 'dev_queue -> xmit', direction: 'tx', count: 300, slow: 3, p99_us: 8, p999_us: 294912, around: [{ stage: 'socket_send -> dev_queue', p99_us: 8 }] }),
    ]);
  });

  it("an application's read is a finding only when its p99 reaches the threshold", () => {
    const someSlow = hist('us', [[20, 22, 995], [20480, 22528, 5]]);
    const l = base({ latency: [{ direction: 'rx', pairs: [{ from: 'socket_queue', to: 'read', count: 1000, histogram: someSlow }], end_to_end: null }] });
    expect(decide(l, opts).kind).toBe('healthy');
    const manySlow = hist('us', [[20, 22, 950], [20480, 22528, 50]]);
    const l2 = base({ latency: [{ direction: 'rx', pairs: [{ from: 'socket_queue', to: 'read', count: 1000, histogram: manySlow }], end_to_end: null }] });
    expect(decide(l2, opts).findings[0]).toMatchObject({ stage: 'socket_queue -> read', slow: 50 });
  });

  it('drops rank before latency; OVS upcall tails (ns histograms) and failed upcalls count', () => {
    const upcalls = hist('ns', [[100_000, 112_500, 9], [201_326_592, 218_103_808, 1]]);
    const v = decide(
      base({
        drops: { total_drops: 2, rows: [{ count: 2, reason: 'NO_SOCKET', location: { symbol: '__udp4_lib_rcv', offset: 1 }, ...dev }], more_drops: 0, lost: 0, missed: 0 },
        ovs: { upcalls: 12, executed: 10, failed: 2, unanswered: 0, latency: upcalls },
      }),
      opts,
    );
    expect(v.kind).toBe('drops');
    expect(v.findings.map((f) => f.reason ?? f.stage)).toEqual(['NO_SOCKET', 'OVS_UPCALL_FAILED', 'ovs_upcall']);
    expect(v.findings[2]).toMatchObject({ slow: 1, p999_us: 201326, p99_us: 201326 });
  });

  it('healthy carries the figures that say so', () => {
    const v = decide(base({ latency: [{ direction: 'rx', pairs: [{ from: 'device', to: 'socket_queue', count: 10, histogram: hist('us', [[16, 18, 10]]) }], end_to_end: null }] }), opts);
    expect(v).toMatchObject({ kind: 'healthy', findings: [], figures: { rx_packets: 850, tx_packets: 700, drops: 0, slowest_stage: { stage: 'device -> socket_queue', p99_us: 16, p999_us: 16 } } });
  });

  it('atLeast counts only buckets that start at the threshold or above', () => {
    expect(atLeast(hist('us', [[9000, 10240, 4], [10240, 11264, 2], [20480, 22528, 1]]), 10_000)).toBe(3);
  });
});
