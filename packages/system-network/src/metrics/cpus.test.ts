import { describe, expect, it } from 'vitest';
import { parseSoftirqs, parseSoftnet, parseStatSoftirq } from './cpus.ts';

const SOFTIRQS = `                    CPU0       CPU1
          HI:          0          0
       TIMER:     383792     316800
      NET_TX:       8269       6610
      NET_RX:   53506487     402132
       BLOCK:          0     438620
`;
const STAT = `cpu  899783 0 184275 647589 3624 0 15032 2392 0 0
cpu0 433381 0 95191 334793 364 0 12501 1201 0 0
cpu1 466402 0 89083 312795 3259 0 2531 1191 0 0
intr 1 2 3
`;
const SOFTNET = `032f6f6b 00000002 00000001 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000
0006a863 00000000 00000003 00000000 00000000 00000000 00000000 00000000 00000000 00000005 00000000 00000000 00000001 00000000 00000000
`;

describe('per-CPU softirq and softnet counters', () => {
  it('reads NET_RX/NET_TX runs, softirq time and softnet_stat per CPU', () => {
    expect(parseSoftirqs(SOFTIRQS, ['NET_RX', 'NET_TX'])).toEqual([
      { cpu: 0, vector: 'NET_TX', count: 8269 },
      { cpu: 1, vector: 'NET_TX', count: 6610 },
      { cpu: 0, vector: 'NET_RX', count: 53506487 },
      { cpu: 1, vector: 'NET_RX', count: 402132 },
    ]);
    const us = parseStatSoftirq(STAT);
    expect([...us]).toEqual([
      [0, 125_010_000],
      [1, 25_310_000],
    ]);
    expect(parseSoftnet(SOFTNET, us)).toEqual([
      { cpu: 0, softirq_us: 125_010_000, processed: 0x032f6f6b, dropped: 2, time_squeeze: 1, received_rps: 0, flow_limit: 0 },
      { cpu: 1, softirq_us: 25_310_000, processed: 0x0006a863, dropped: 0, time_squeeze: 3, received_rps: 5, flow_limit: 0 },
    ]);
  });
});
