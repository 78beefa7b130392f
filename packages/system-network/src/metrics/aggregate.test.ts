import { describe, expect, it } from 'vitest';
import { COUNTERS, devKey, devStats } from '../layout.ts';
import { DeviceAggregator } from './aggregate.ts';

const NO_LOSS = { lost: 0, map_full: 0, stack_failed: 0, evicted: 0, missed: 0 };
import { metricsFields, renderMetricsText } from './render.ts';

function key(ifindex: number, netns: number): Uint8Array {
  return devKey.encode({ ifindex, netns });
}

function stats(name: string, c: number[]): Uint8Array {
  return devStats.encode({ name, ...Object.fromEntries(COUNTERS.map((k, i) => [k, BigInt(c[i]!)])) });
}

describe('device counters', () => {
  it('sum CPUs, report intervals as differences and totals since start', () => {
    const agg = new DeviceAggregator();
    const first = agg.update([[key(2, 7), [stats('eth0', [10, 1000, 5, 500, 0]), stats('', [1, 100, 0, 0, 1])]]]);
    expect(first.total[0]).toMatchObject({ name: 'eth0', ifindex: 2, netns: 7, rx_packets: 11, rx_bytes: 1100, tx_packets: 5, tx_errors: 1 });
    const second = agg.update([
      [key(2, 7), [stats('eth0', [15, 1500, 5, 500, 0]), stats('', [1, 100, 0, 0, 1])]],
      [key(3, 7), [stats('eth1', [0, 0, 0, 0, 0])]],
    ]);
    expect(second.interval).toHaveLength(1);
    expect(second.interval[0]).toMatchObject({ rx_packets: 5, rx_bytes: 500, tx_packets: 0 });
    const rec = { type: 'interval' as const, tool: 'system_network_metrics_summary', time: new Date(0).toISOString(), interval_s: 1, ...metricsFields(second.interval, { top: 10 }), ...NO_LOSS };
    expect(rec.devices[0]).toMatchObject({ device: 'eth0', rx_packets: 5 });
    expect(rec.devices[0]).not.toHaveProperty('name');
    expect(renderMetricsText(rec)).toMatch(/eth0\s+7\s+5\s+500\s+0\s+0\s+0/);
  });
});
