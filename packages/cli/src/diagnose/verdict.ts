/**
 * Layer 1's final records → findings and a verdict. Pure: the records in, the verdict out.
 *
 * - A drop finding is one (reason, location, device) the drop summary counted that is not benign,
 *   with its share of the packets that reached the same point (the device's own counters), its top
 *   flows, and for a TAP's full ring the queues it happened on.
 * - A latency finding is one stage pair (or the OVS upcall) whose tail reaches the threshold: for the
 *   network's stages p99.9, for the application's own stages (a socket read or send) p99, since a
 *   reader that is slow now and then is the application's business, one that is slow for 1 in 100
 *   is everyone's.
 * - Drops come first (they are the harm that defines the verdict), each kind ranked by the packets
 *   it harmed: drops by count, latency by the samples at or above the threshold.
 */
import { formatFlow, type Flow, type Histogram } from '@netstrata/bpf-common';
import type { DropRow } from '@netstrata/packet-drop';
import type { DirectionRow, PairRow } from '@netstrata/system-network';
import type { QueueRow } from '@netstrata/tun';
import type { UpcallFields } from '@netstrata/ovs';
import { benignWhy } from './benign.ts';

/** The parts of the layer-1 records the verdict reads: the tools' own record types, so a change
 * of a field there is a compile error here (docs/output-fields.md describes each). */
export type DropRowIn = Pick<DropRow, 'count' | 'reason' | 'reason_code' | 'device' | 'ifindex' | 'netns' | 'flow'> & { location?: { symbol: string; offset: number } };
export interface DeviceIn {
  device: string;
  ifindex: number;
  netns: number;
  rx_packets: number;
  tx_packets: number;
}
export type PairIn = Pick<PairRow, 'from' | 'to' | 'count' | 'histogram'>;
export type DirectionIn = Pick<DirectionRow, 'direction'> & { pairs: PairIn[]; end_to_end: PairIn | null };
export type TunQueueIn = Pick<QueueRow, 'device' | 'ifindex' | 'netns' | 'queue' | 'ring_size' | 'xmits' | 'full'> & { drops: Pick<QueueRow['drops'][number], 'reason' | 'count'>[] };
export type OvsIn = Pick<UpcallFields, 'upcalls' | 'executed' | 'failed' | 'unanswered' | 'latency'>;

export interface Layer1 {
  durationS: number;
  drops?: { total_drops: number; rows: DropRowIn[]; more_drops: number; lost: number; missed: number };
  devices?: DeviceIn[];
  latency?: DirectionIn[];
  tun?: TunQueueIn[];
  ovs?: OvsIn;
}

export interface FlowCount {
  flow: Flow;
  text: string;
  count: number;
}

export interface Finding {
  kind: 'drops' | 'latency';
  /** drops: the kernel's drop reason; latency: null. */
  reason: string | null;
  reason_code?: number;
  location: { symbol: string; offset?: number } | null;
  device: string | null;
  ifindex?: number;
  netns?: number | null;
  /** drops: packets dropped; latency: samples of the stage. */
  count: number;
  /** drops: count over the packets that reached the same point (what the device received, or sent
   * plus these drops for transmit-side reasons), 0–1; null when unknown. */
  share: number | null;
  /** What `share` is a share of. */
  share_of?: string;
  /** latency: "from -> to" (or "ovs_upcall"), its direction and percentiles (bucket low bounds, µs). */
  stage: string | null;
  direction?: 'rx' | 'tx';
  p99_us: number | null;
  p999_us: number | null;
  /** latency: samples at or above the threshold (buckets that start there or higher). */
  slow?: number;
  /** latency: the stages before and after it, with their p99 (µs). */
  around?: { stage: string; p99_us: number | null }[];
  /** TAP full ring: the queues it happened on. */
  queues?: { queue: number; ring_size: number; full: number; xmits: number }[];
  flows: FlowCount[];
}

export interface BenignDrop {
  reason: string;
  location: { symbol: string };
  count: number;
  why: string;
}

export interface Figures {
  duration_s: number;
  /** Packets the devices in scope received and sent (their own counters). */
  rx_packets: number | null;
  tx_packets: number | null;
  drops: number | null;
  benign_drops: number;
  /** The slowest stage's p99 and p99.9 (µs). */
  slowest_stage: { stage: string; direction: string; p99_us: number | null; p999_us: number | null } | null;
}

export interface Verdict {
  type: 'verdict';
  kind: 'drops' | 'latency' | 'healthy';
  findings: Finding[];
  benign: BenignDrop[];
  figures: Figures;
}

export interface VerdictOptions {
  /** Latency threshold, µs. */
  latencyUs: number;
  /** Drops below this many (per reason, location, device) are shown but make no finding. */
  minDrops: number;
  /** Flows listed per finding. */
  flows?: number;
}

/** Reasons counted against what the device sent, not what it received. */
const TX_REASONS = new Set([
  'QDISC_DROP', 'QDISC_OVERLIMIT', 'QDISC_CONGESTED', 'CAKE_FLOOD', 'FQ_BAND_LIMIT', 'FQ_HORIZON_LIMIT', 'FQ_FLOW_LIMIT',
  'FULL_RING', 'DEV_READY', 'TC_EGRESS', 'NEIGH_FAILED', 'NEIGH_QUEUEFULL', 'NEIGH_DEAD', 'NEIGH_CREATEFAIL', 'TAP_TXFILTER',
]);

/** Stages that are the application's: a socket read, or a send before the packet reaches a device. */
const appStage = (from: string, to: string) => to === 'read' || from === 'socket_send';

/** Samples at or above `threshold`: those in buckets that start there or higher. */
export function atLeast(h: Histogram, threshold: number): number {
  return h.buckets.reduce((s, b) => s + (b.start >= threshold ? b.count : 0), 0);
}

/** A histogram's percentile as its bucket's low bound in µs. */
function pUs(h: Histogram, p: 'p99' | 'p999'): number | null {
  const b = h.percentiles?.[p];
  if (!b) return null;
  return h.unit === 'ns' ? Math.floor(b.low / 1000) : b.low;
}

const thresholdIn = (h: Histogram, us: number) => (h.unit === 'ns' ? us * 1000 : us);

function dropFindings(l: Layer1, o: VerdictOptions): { findings: Finding[]; benign: BenignDrop[] } {
  const groups = new Map<string, Finding>();
  const benign = new Map<string, BenignDrop>();
  for (const row of l.drops?.rows ?? []) {
    const reason = row.reason ?? 'NOT_SPECIFIED';
    const symbol = row.location?.symbol ?? '?';
    const why = benignWhy({ reason, symbol, dst: row.flow?.dst });
    if (why) {
      const k = `${reason}|${symbol}`;
      const b = benign.get(k) ?? { reason, location: { symbol }, count: 0, why };
      b.count += row.count;
      benign.set(k, b);
      continue;
    }
    const k = `${reason}|${symbol}|${row.ifindex ?? 0}|${row.netns ?? 0}`;
    let f = groups.get(k);
    if (!f) {
      f = {
        kind: 'drops', reason, reason_code: row.reason_code, location: { symbol, offset: row.location?.offset },
        device: row.device || null, ifindex: row.ifindex, netns: row.netns ?? null, count: 0, share: null,
        stage: null, p99_us: null, p999_us: null, flows: [],
      };
      groups.set(k, f);
    }
    f.count += row.count;
    if (row.flow) {
      const text = formatFlow(row.flow);
      const fc = f.flows.find((x) => x.text === text);
      if (fc) fc.count += row.count;
      else f.flows.push({ flow: row.flow, text, count: row.count });
    }
  }
  const findings = [...groups.values()].filter((f) => f.count >= o.minDrops);
  for (const f of findings) {
    f.flows.sort((a, b) => b.count - a.count);
    f.flows = f.flows.slice(0, o.flows ?? 5);
    const dev = f.ifindex ? l.devices?.find((d) => d.ifindex === f.ifindex && d.netns === f.netns) : undefined;
    if (dev) {
      const tx = TX_REASONS.has(f.reason!);
      // A device counts what it received before the stack drops any of it, and what it sent
      // after: received packets include the drops, sent ones do not.
      const reached = tx ? dev.tx_packets + f.count : Math.max(dev.rx_packets, f.count);
      f.share = Math.round((f.count / reached) * 10_000) / 10_000;
      f.share_of = tx ? `packets ${f.device} sent or dropped` : `packets ${f.device} received`;
    }
    if (f.reason === 'FULL_RING') {
      const qs = (l.tun ?? []).filter((q) => q.ifindex === f.ifindex && q.netns === f.netns && q.full > 0);
      if (qs.length) f.queues = qs.sort((a, b) => b.full - a.full).map((q) => ({ queue: q.queue, ring_size: q.ring_size, full: q.full, xmits: q.xmits }));
    }
  }
  // A TAP ring the drop summary did not see (filtered out by address: the TAP's drops are counted
  // before any IP header is parsed) still stands, from the ring's own count.
  for (const q of l.tun ?? []) {
    const full = q.drops.find((d) => d.reason === 'FULL_RING')?.count ?? q.full;
    if (!full || findings.some((f) => f.reason === 'FULL_RING' && f.ifindex === q.ifindex && f.netns === q.netns)) continue;
    if (full < o.minDrops) continue;
    findings.push({
      kind: 'drops', reason: 'FULL_RING', location: { symbol: 'tun_net_xmit' }, device: q.device, ifindex: q.ifindex, netns: q.netns,
      count: full, share: q.xmits ? Math.round((full / q.xmits) * 10_000) / 10_000 : null, share_of: `packets sent to ${q.device} queue ${q.queue}`,
      stage: null, p99_us: null, p999_us: null, flows: [], queues: [{ queue: q.queue, ring_size: q.ring_size, full: q.full, xmits: q.xmits }],
    });
  }
  if (l.ovs?.failed) {
    findings.push({
      kind: 'drops', reason: 'OVS_UPCALL_FAILED', location: { symbol: 'ovs_dp_upcall' }, device: null, count: l.ovs.failed,
      share: l.ovs.upcalls ? Math.round((l.ovs.failed / l.ovs.upcalls) * 10_000) / 10_000 : null, share_of: 'upcalls',
      stage: null, p99_us: null, p999_us: null, flows: [],
    });
  }
  findings.sort((a, b) => b.count - a.count);
  return { findings, benign: [...benign.values()].sort((a, b) => b.count - a.count) };
}

function latencyFindings(l: Layer1, o: VerdictOptions): Finding[] {
  const out: Finding[] = [];
  for (const d of l.latency ?? []) {
    d.pairs.forEach((p, i) => {
      if (!p.histogram.count) return;
      const tail = pUs(p.histogram, appStage(p.from, p.to) ? 'p99' : 'p999');
      if (tail === null || tail < o.latencyUs) return;
      const around = [d.pairs[i - 1], d.pairs[i + 1]].filter((x): x is PairIn => !!x).map((x) => ({ stage: `${x.from} -> ${x.to}`, p99_us: pUs(x.histogram, 'p99') }));
      out.push({
        kind: 'latency', reason: null, location: null, device: null, count: p.histogram.count, share: null,
        stage: `${p.from} -> ${p.to}`, direction: d.direction, p99_us: pUs(p.histogram, 'p99'), p999_us: pUs(p.histogram, 'p999'),
        slow: atLeast(p.histogram, thresholdIn(p.histogram, o.latencyUs)), around, flows: [],
      });
    });
  }
  const ovs = l.ovs?.latency;
  if (ovs?.count) {
    const tail = pUs(ovs, 'p999');
    if (tail !== null && tail >= o.latencyUs) {
      out.push({
        kind: 'latency', reason: null, location: { symbol: 'ovs_dp_upcall' }, device: null, count: ovs.count, share: null,
        stage: 'ovs_upcall', p99_us: pUs(ovs, 'p99'), p999_us: pUs(ovs, 'p999'), slow: atLeast(ovs, thresholdIn(ovs, o.latencyUs)), flows: [],
      });
    }
  }
  return out.sort((a, b) => (b.slow ?? 0) - (a.slow ?? 0));
}

function figures(l: Layer1): Figures {
  let slowest: Figures['slowest_stage'] = null;
  for (const d of l.latency ?? []) {
    for (const p of d.pairs) {
      const p999 = pUs(p.histogram, 'p999');
      if (p999 !== null && (slowest === null || p999 > (slowest.p999_us ?? -1))) {
        slowest = { stage: `${p.from} -> ${p.to}`, direction: d.direction, p99_us: pUs(p.histogram, 'p99'), p999_us: p999 };
      }
    }
  }
  return {
    duration_s: l.durationS,
    rx_packets: l.devices ? l.devices.reduce((s, d) => s + d.rx_packets, 0) : null,
    tx_packets: l.devices ? l.devices.reduce((s, d) => s + d.tx_packets, 0) : null,
    drops: l.drops ? l.drops.total_drops : null,
    benign_drops: 0,
    slowest_stage: slowest,
  };
}

export function decide(l: Layer1, o: VerdictOptions): Verdict {
  const { findings: drops, benign } = dropFindings(l, o);
  const latency = latencyFindings(l, o);
  const fig = figures(l);
  fig.benign_drops = benign.reduce((s, b) => s + b.count, 0);
  return {
    type: 'verdict',
    kind: drops.length ? 'drops' : latency.length ? 'latency' : 'healthy',
    findings: [...drops, ...latency],
    benign,
    figures: fig,
  };
}
