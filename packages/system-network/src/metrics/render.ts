/** Pure renderers of system_network_metrics_summary records. */
import type { DeviceRow } from './aggregate.ts';

export interface MetricsRecord {
  type: 'interval' | 'final';
  tool: 'system_network_metrics_summary';
  time: string;
  interval_s: number;
  devices: (Omit<DeviceRow, 'name'> & { device: string })[];
  more_devices: number;
  map_full: number;
}

export function metricsRecord(type: 'interval' | 'final', rows: DeviceRow[], o: { time: Date; intervalS: number; top: number; mapFull: number }): MetricsRecord {
  return {
    type,
    tool: 'system_network_metrics_summary',
    time: o.time.toISOString(),
    interval_s: o.intervalS,
    devices: rows.slice(0, o.top).map(({ name, ...r }) => ({ device: name, ...r })),
    more_devices: Math.max(0, rows.length - o.top),
    map_full: o.mapFull,
  };
}

export function renderMetricsText(rec: MetricsRecord): string {
  const when = new Date(rec.time).toTimeString().slice(0, 8);
  const lines = [`${when} ${rec.type === 'final' ? 'total since start' : `interval ${rec.interval_s.toFixed(1)} s`}: ${rec.devices.length} devices with traffic`];
  const table = [['DEVICE', 'NETNS', 'RX_PKTS', 'RX_BYTES', 'TX_PKTS', 'TX_BYTES', 'TX_ERRORS']];
  for (const d of rec.devices) {
    table.push([d.device || `ifindex ${d.ifindex}`, String(d.netns), String(d.rx_packets), String(d.rx_bytes), String(d.tx_packets), String(d.tx_bytes), String(d.tx_errors)]);
  }
  if (rec.devices.length) {
    const w = table[0]!.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
    for (const r of table) lines.push(`  ${r.map((v, i) => (i < 2 ? v.padEnd(w[i]!) : v.padStart(w[i]!))).join('  ')}`);
  }
  if (rec.more_devices) lines.push(`  … ${rec.more_devices} more devices (raise --top to see them)`);
  if (rec.type === 'final' || rec.map_full) lines.push(`  lost: map_full ${rec.map_full} (devices not counted: map full)`);
  return lines.join('\n');
}
