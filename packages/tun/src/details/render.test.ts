import { describe, expect, it } from 'vitest';
import { timeOfDay } from '@netstrata/bpf-common';
import { renderEventText, type TunEventRecord } from './render.ts';

const drop: TunEventRecord = {
  type: 'event',
  tool: 'tun_ring_details',
  time: '2026-12-07T20:00:01.000042Z',
  kind: 'drop',
  device: 'tap0',
  ifindex: 5,
  netns: 4026531840,
  queue: 1,
  queues: 2,
  reason: 'FULL_RING',
  reason_code: 30,
  location: { symbol: 'tun_net_xmit', offset: 0x1ab, address: '0xffffffff81a00000' },
  ring: { size: 256, producer: 7, consumer_head: 8, consumer_tail: 8, packets: 256, full: true },
  flow: { src: '10.0.0.1', dst: '10.0.0.2', sport: 5000, dport: 53, protocol: 'UDP' },
  len: 60,
  sender: { pid: 10, tid: 11, comm: 'iperf3', cpu: 1 },
  reader: null,
};

describe('tun_ring_details text', () => {
  it('names where a drop happened as symbol+0xoffset, and nothing for a location without a symbol', () => {
    const tail = ': ring 256/256 full (producer 7, consumer 8/8); 10.0.0.1:5000 -> 10.0.0.2:53 (UDP) len 60, sent by iperf3(11) on CPU 1; no read seen';
    expect(renderEventText(drop)).toBe(`${timeOfDay(drop.time, true)} tap0 q1 FULL_RING drop at tun_net_xmit+0x1ab${tail}`);
    expect(renderEventText({ ...drop, location: { symbol: '?', offset: 0, address: '0x1' } })).toBe(`${timeOfDay(drop.time, true)} tap0 q1 FULL_RING drop${tail}`);
  });
});
