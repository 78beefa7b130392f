/** tcp_health_summary records: the host's TCP health and its flows', from the kernel's cumulative rows. */
import {
  diffSlots,
  formatBounds,
  formatFlow,
  formatValue,
  renderHistogram,
  spanHeading,
  textTable,
  toHistogram,
  type Flow,
  type Histogram,
  type RowsOptions,
  type SummaryEnvelope,
} from '@netstrata/bpf-common';
import { addCounts, countsEmpty, emptyHost, RETRANS_KINDS, REASON_DROP, REASON_RESET, type Counts, type DropEntry, type FlowEntry, type HostVal, type ReasonEntry, type RetransKind } from './layout.ts';

export interface ReasonCount {
  reason: string;
  reason_code: number;
  count: number;
}

export type Retransmits = Record<RetransKind, number> & { total: number; failed: number };

export interface HostHealth {
  handshakes: { active: number; passive: number; failed: number; active_us: Histogram; passive_us: Histogram };
  retransmits: Retransmits;
  resets: { sent: number; received: number; sent_by_reason: ReasonCount[] };
  drops: { total: number; by_reason: ReasonCount[] };
  rtt_us: Histogram;
  /** --window only. */
  cwnd: Histogram | null;
  in_flight: Histogram | null;
}

export interface FlowHealth {
  /** The local end in src/sport, the remote end in dst/dport. */
  flow: Flow | null;
  netns: number;
  handshakes: { active: number; passive: number; failed: number };
  /** The flow's last handshake in µs (active: SYN sent -> established; passive: SYN-ACK's round trip). */
  handshake_us: number | null;
  retransmits: Retransmits;
  resets: { sent: number; received: number };
  drops: { total: number; by_reason: ReasonCount[] };
  /** The smoothed RTT at the flow's last sample. */
  srtt_us: number | null;
  rtt_us: Histogram;
  /** --window only: at the last segment received, and the largest seen. */
  window: { cwnd: number; in_flight: number; cwnd_max: number; in_flight_max: number } | null;
}

export interface TcpHealthFields {
  host: HostHealth;
  flows: FlowHealth[];
  more_flows: number;
}

export type TcpHealthRecord = SummaryEnvelope & TcpHealthFields;

export type ReasonNames = { drop: (code: number) => string; reset: (code: number) => string };

export const flowRowOps: Pick<RowsOptions<FlowEntry>, 'sub' | 'add' | 'isEmpty'> = {
  sub: ({ key, val }, { val: b }) => ({ key, val: { ...val, c: addCounts(val.c, b.c, -1), rtt: diffSlots(val.rtt, b.rtt) } }),
  add: (a, { key, val }) => ({ key, val: { ...val, c: addCounts(a.val.c, val.c), rtt: a.val.rtt.map((x, i) => x + (val.rtt[i] ?? 0n)) } }),
  isEmpty: ({ val }) => countsEmpty(val.c) && val.rtt.every((x) => !x),
};

export const countRowOps = <E extends { count: number }>(): Pick<RowsOptions<E>, 'sub' | 'add' | 'isEmpty'> => ({
  sub: (now, before) => ({ ...now, count: now.count - before.count }),
  add: (a, b) => ({ ...b, count: a.count + b.count }),
  isEmpty: (d) => !d.count,
});

/** The host row's change between two reads. */
export function hostDelta(now: HostVal, before: HostVal | undefined): HostVal {
  if (!before) return now;
  return {
    c: addCounts(now.c, before.c, -1),
    drops: now.drops - before.drops,
    rtt: diffSlots(now.rtt, before.rtt),
    handshakeActive: diffSlots(now.handshakeActive, before.handshakeActive),
    handshakePassive: diffSlots(now.handshakePassive, before.handshakePassive),
    cwnd: diffSlots(now.cwnd, before.cwnd),
    inFlight: diffSlots(now.inFlight, before.inFlight),
  };
}

function retransmits(c: Counts): Retransmits {
  const total = RETRANS_KINDS.reduce((s, k) => s + c.retrans[k], 0);
  return { total, ...c.retrans, failed: c.retransFailed };
}

const byCount = (a: ReasonCount, b: ReasonCount) => b.count - a.count || a.reason_code - b.reason_code;

export function hostHealth(h: HostVal, reasons: readonly ReasonEntry[], names: ReasonNames, window: boolean): HostHealth {
  const of = (kind: number, name: (c: number) => string) =>
    reasons
      .filter((r) => r.key.kind === kind && r.count)
      .map((r) => ({ reason: name(r.key.reason), reason_code: r.key.reason, count: r.count }))
      .sort(byCount);
  return {
    handshakes: {
      active: h.c.activeOpens,
      passive: h.c.passiveOpens,
      failed: h.c.connectFailed,
      active_us: toHistogram(h.handshakeActive, 'us'),
      passive_us: toHistogram(h.handshakePassive, 'us'),
    },
    retransmits: retransmits(h.c),
    resets: { sent: h.c.resetsSent, received: h.c.resetsReceived, sent_by_reason: of(REASON_RESET, names.reset) },
    drops: { total: h.drops, by_reason: of(REASON_DROP, names.drop) },
    rtt_us: toHistogram(h.rtt, 'us'),
    cwnd: window ? toHistogram(h.cwnd, 'packets') : null,
    in_flight: window ? toHistogram(h.inFlight, 'packets') : null,
  };
}

const flowKey = (netns: number, f: Flow | undefined) => (f ? `${netns}/${f.src}/${f.sport}/${f.dst}/${f.dport}` : `${netns}/?`);

/** Flow rows (and drops by flow) to records: the flows in most trouble first, then the slowest. */
export function flowHealth(flows: readonly FlowEntry[], drops: readonly DropEntry[], dropName: (code: number) => string, window: boolean): FlowHealth[] {
  const rows = new Map<string, FlowHealth>();
  const blank = (netns: number, flow: Flow | undefined): FlowHealth => ({
    flow: flow ?? null,
    netns,
    handshakes: { active: 0, passive: 0, failed: 0 },
    handshake_us: null,
    retransmits: retransmits(emptyHost().c),
    resets: { sent: 0, received: 0 },
    drops: { total: 0, by_reason: [] },
    srtt_us: null,
    rtt_us: toHistogram([], 'us'),
    window: null,
  });
  for (const { key, val } of flows) {
    if (countsEmpty(val.c) && val.rtt.every((x) => !x)) continue;
    const r = blank(key.netns, key.flow);
    r.handshakes = { active: val.c.activeOpens, passive: val.c.passiveOpens, failed: val.c.connectFailed };
    r.handshake_us = val.handshakeUs || null;
    r.retransmits = retransmits(val.c);
    r.resets = { sent: val.c.resetsSent, received: val.c.resetsReceived };
    r.srtt_us = val.srttUs || null;
    r.rtt_us = toHistogram(val.rtt, 'us');
    r.window = window ? { cwnd: val.cwnd, in_flight: val.inFlight, cwnd_max: val.cwndMax, in_flight_max: val.inFlightMax } : null;
    rows.set(flowKey(key.netns, key.flow), r);
  }
  for (const { key, count } of drops) {
    if (!count) continue;
    const id = flowKey(key.netns, key.flow);
    let r = rows.get(id);
    if (!r) {
      // A flow whose packets were only dropped (no socket saw them: a closed port, a firewall).
      r = blank(key.netns, key.flow);
      rows.set(id, r);
    }
    r.drops.total += count;
    r.drops.by_reason.push({ reason: dropName(key.reason), reason_code: key.reason, count });
  }
  const trouble = (r: FlowHealth) => r.retransmits.total + r.retransmits.failed + r.resets.sent + r.resets.received + r.drops.total + r.handshakes.failed;
  const p99 = (r: FlowHealth) => r.rtt_us.percentiles?.p99.high ?? 0;
  for (const r of rows.values()) r.drops.by_reason.sort(byCount);
  return [...rows.values()].sort((a, b) => trouble(b) - trouble(a) || p99(b) - p99(a) || b.rtt_us.count - a.rtt_us.count);
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function retransText(r: Retransmits): string {
  const kinds = RETRANS_KINDS.filter((k) => r[k]).map((k) => `${k} ${r[k]}`);
  return `${plural(r.total, 'retransmit')}${kinds.length ? ` (${kinds.join(', ')})` : ''}${r.failed ? `, ${r.failed} failed` : ''}`;
}

const reasonsText = (rs: readonly ReasonCount[]) => rs.map((x) => `${x.reason} ${x.count}`).join(', ');

/** The per-host line, the flow table, then the host's histograms. */
export function renderTcpHealthText(rec: TcpHealthRecord): string {
  const h = rec.host;
  const hs = h.handshakes;
  const rtt = h.rtt_us.percentiles;
  const lines = [
    `${spanHeading(rec)}: ${plural(hs.active + hs.passive, 'handshake')} (${hs.active} active, ${hs.passive} passive)` +
      `${hs.failed ? `, ${plural(hs.failed, 'failed connect')}` : ''}; ${retransText(h.retransmits)}; ` +
      `resets ${h.resets.sent} sent${h.resets.sent_by_reason.length ? ` (${reasonsText(h.resets.sent_by_reason)})` : ''}, ${h.resets.received} received; ` +
      `${plural(h.drops.total, 'drop')}${h.drops.by_reason.length ? ` (${reasonsText(h.drops.by_reason)})` : ''}; ` +
      `RTT p50 ${formatBounds(rtt?.p50, 'us')} p99 ${formatBounds(rtt?.p99, 'us')}`,
  ];
  if (rec.flows.length) {
    const window = rec.flows.some((f) => f.window);
    const header = ['FLOW', 'NETNS', 'OPEN', 'HANDSHAKE', 'SRTT', 'RTT P50', 'RTT P99', 'RETRANS', 'RST OUT', 'RST IN', ...(window ? ['CWND', 'IN FLIGHT'] : []), 'DROPS'];
    const body = rec.flows.map((f) => {
      const p = f.rtt_us.percentiles;
      const open = f.handshakes.active ? 'active' : f.handshakes.passive ? 'passive' : f.handshakes.failed ? 'failed' : '-';
      return [
        f.flow ? formatFlow(f.flow).replace(/ \(TCP\)$/, '') : '?',
        String(f.netns),
        open,
        f.handshake_us ? formatValue(f.handshake_us, 'us') : '-',
        f.srtt_us ? formatValue(f.srtt_us, 'us') : '-',
        formatBounds(p?.p50, 'us'),
        formatBounds(p?.p99, 'us'),
        String(f.retransmits.total),
        String(f.resets.sent),
        String(f.resets.received),
        ...(window ? [f.window ? `${f.window.cwnd} (max ${f.window.cwnd_max})` : '-', f.window ? `${f.window.in_flight} (max ${f.window.in_flight_max})` : '-'] : []),
        reasonsText(f.drops.by_reason) || '-',
      ];
    });
    lines.push(...textTable(header, body, new Set([0, 2, header.length - 1])));
    if (rec.more_flows) lines.push(`  ... and ${rec.more_flows} more flows (--top)`);
  }
  const hist = (x: Histogram | null, title: string) => (x?.count ? [renderHistogram(x, { title: `  ${title}`, width: 30 })] : []);
  lines.push(
    ...hist(h.rtt_us, 'smoothed RTT, every flow'),
    ...hist(hs.active_us, 'handshakes, active opens: SYN sent -> established'),
    ...hist(hs.passive_us, "handshakes, passive opens: SYN-ACK sent -> its ACK"),
    ...hist(h.cwnd, 'congestion window (packets), per segment received'),
    ...hist(h.in_flight, 'packets in flight, per segment received'),
  );
  return lines.join('\n');
}
