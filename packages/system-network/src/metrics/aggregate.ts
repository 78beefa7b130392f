/**
 * Counters the kernel keeps itself (devices, qdiscs, conntrack, softirqs, softnet), since start and
 * per interval: each is cumulative since its object was created, so "since start" subtracts the
 * reading taken when the tool was ready, and an interval the reading before it.
 */
import { Deltas } from '@netstrata/bpf-common';
import { CONNTRACK_COUNTERS, conntrackId, conntrackShown, type ConntrackRow } from '../conntrack/stats.ts';
import { CPU_COUNTERS, byCpu, bySoftirq, cpuId, softirqId, type CpuRow, type HostReading, type SoftirqCountRow } from './cpus.ts';
import { COUNTERS, type DeviceRow, type NamespaceReading } from './devices.ts';
import { QDISC_COUNTERS, qdiscId, qdiscOrder, qdiscShown, type QdiscRow } from './qdiscs.ts';

export type { DeviceRow };

export interface Snapshot<R> {
  interval: R[];
  total: R[];
}
/** Kept name of the device snapshot. */
export type DeviceSnapshot = Snapshot<DeviceRow>;

type Counters<R> = readonly (keyof R & string)[];

/** A counter the kernel may not have (null) stays null; a counter that went back (its object was
 * replaced under the same name, or a 32-bit counter wrapped) counts from zero rather than negative. */
function minus(now: unknown, before: unknown): unknown {
  return typeof now === 'number' && typeof before === 'number' ? Math.max(0, now - before) : now;
}

export class SinceStart<R extends object> {
  private readonly deltas: Deltas<R>;
  private readonly baseline: Map<string, R>;

  /**
   * `counters`: the fields that only grow (the rest, gauges and names, are reported as read).
   * `baseline`: the rows when the tool started; a row that appears later counts from its creation.
   * `keep`: whether a row of the totals is shown (default: one of its counters moved).
   */
  constructor(
    private readonly counters: Counters<R>,
    private readonly id: (r: R) => string,
    baseline: readonly R[] = [],
    private readonly order: (a: R, b: R) => number = () => 0,
    private readonly keep: (total: R) => boolean = (r) => counters.some((c) => (r[c] as number) > 0),
  ) {
    this.baseline = new Map(baseline.map((r) => [id(r), r]));
    this.deltas = new Deltas<R>(
      (now, before) => this.sub(now, before),
      (d) => !this.keep(d),
    );
  }

  private sub(now: R, before: R): R {
    const d = { ...now } as Record<string, unknown>;
    for (const c of this.counters) d[c] = minus(now[c], before[c]);
    return d as R;
  }

  update(rows: readonly R[]): Snapshot<R> {
    const sinceStart = rows.map((r): [string, R] => {
      const b = this.baseline.get(this.id(r));
      return [this.id(r), b ? this.sub(r, b) : r];
    });
    const { interval, total } = this.deltas.update(sinceStart);
    return { interval: interval.sort(this.order), total: total.filter(this.keep).sort(this.order) };
  }
}

const deviceId = (r: DeviceRow) => `${r.netns}/${r.ifindex}/${r.name}`;
const busiest = (a: DeviceRow, b: DeviceRow) => b.rx_packets + b.tx_packets - (a.rx_packets + a.tx_packets);

/** Devices: busiest first; devices that moved nothing since start are not rows of the totals. */
export class DeviceAggregator extends SinceStart<DeviceRow> {
  constructor(baseline: readonly DeviceRow[] = []) {
    super(COUNTERS, deviceId, baseline, busiest);
  }
}

/** Everything the kernel counts that the tool reads: per namespace and per CPU. */
export interface KernelReading extends NamespaceReading, HostReading {}

export interface KernelCounts {
  devices: DeviceRow[];
  qdiscs: QdiscRow[];
  conntrack: ConntrackRow[];
  cpus: CpuRow[];
  softirqs: SoftirqCountRow[];
}

/** The kernel's own counters, since the reading at start and per interval. */
export class KernelAggregator {
  private readonly devices: DeviceAggregator;
  private readonly qdiscs: SinceStart<QdiscRow>;
  private readonly conntrack: SinceStart<ConntrackRow>;
  private readonly cpus: SinceStart<CpuRow>;
  private readonly softirqs: SinceStart<SoftirqCountRow>;

  constructor(baseline: KernelReading = { devices: [], qdiscs: [], conntrack: [], cpus: [], softirqs: [] }) {
    this.devices = new DeviceAggregator(baseline.devices);
    this.qdiscs = new SinceStart(QDISC_COUNTERS, qdiscId, baseline.qdiscs, qdiscOrder, qdiscShown);
    // Every namespace where conntrack is in use is a row, moved or not (chosen in update).
    this.conntrack = new SinceStart(CONNTRACK_COUNTERS, conntrackId, baseline.conntrack, (a, b) => b.entries - a.entries || a.netns - b.netns, () => true);
    this.cpus = new SinceStart(CPU_COUNTERS, cpuId, baseline.cpus, byCpu);
    this.softirqs = new SinceStart(['count'], softirqId, baseline.softirqs, bySoftirq);
  }

  update(r: KernelReading): { interval: KernelCounts; total: KernelCounts } {
    const d = this.devices.update(r.devices);
    const q = this.qdiscs.update(r.qdiscs);
    // In use: entries now, or counters that moved since the namespace was created.
    const c = this.conntrack.update(r.conntrack.filter(conntrackShown));
    const p = this.cpus.update(r.cpus);
    const s = this.softirqs.update(r.softirqs);
    return {
      interval: { devices: d.interval, qdiscs: q.interval, conntrack: c.interval, cpus: p.interval, softirqs: s.interval },
      total: { devices: d.total, qdiscs: q.total, conntrack: c.total, cpus: p.total, softirqs: s.total },
    };
  }
}
