/** packet_path_summary records: requests by fate, the legs of complete ones, drops we saw. */
import { diffSlots, formatBounds, renderHistogram, spanHeading, textTable, toHistogram, type Histogram, type SummaryEnvelope } from '@netstrata/bpf-common';
import { formatLocation, type Location } from '../resolve.ts';
import { COUNTERS, LEGS, STATES, type Counter, type Leg, type PathState } from './layout.ts';

export type StateCounts = Record<PathState, number>;

/** Where the kernel dropped requests (or their replies) it did not let through. */
export interface DropRow {
  state: PathState;
  reason: string;
  reason_code: number;
  location: Location | null;
  address: string;
  count: number;
}

/** Cumulative since start: what a read returns. */
export interface PathSnapshot {
  states: StateCounts;
  counters: Record<Counter, number>;
  legs: Record<Leg, bigint[]>;
  /** keyed by state, reason and location */
  drops: Map<string, DropRow>;
  inFlight: number;
}

export interface PathFields {
  rx_interface: string;
  tx_interface: string;
  /** Requests classified in this report (the interval, or since start in the final record). */
  requests: number;
  complete: number;
  internal_drop_request: number;
  external_drop: number;
  internal_drop_reply: number;
  /** Requests entered and not yet classified (within --timeout-ms) at the report. */
  in_flight: number;
  /** Requests that entered again while the first copy was in flight (the first copy is classified). */
  retransmitted: number;
  /** Reply-direction packets (ICMP echo replies, UDP) that matched no request in flight. */
  unmatched_replies: number;
  /** Requests pushed out of their flow's reply queue (more in flight on one flow than it holds). */
  ring_overflow: number;
  /** The legs of complete requests: request in -> out, out -> reply in (outside), reply in -> out. */
  legs: Record<Leg, Histogram>;
  /** Requests lost in this host with the kernel's reason, most first. */
  drops: DropRow[];
  /** Interval records: the same counts since start. */
  since_start?: StateCounts;
}

export type PathRecord = SummaryEnvelope & PathFields;

export const zeroStates = (): StateCounts => ({ complete: 0, internal_drop_request: 0, external_drop: 0, internal_drop_reply: 0 });

/** Before the first read. */
export const emptySnapshot = (): PathSnapshot => ({
  states: zeroStates(),
  counters: { unmatched_replies: 0, ring_overflow: 0, retransmitted: 0 },
  legs: { request: [], external: [], reply: [] },
  drops: new Map(),
  inFlight: 0,
});

export function dropId(state: PathState, reason: number, address: bigint): string {
  return `${state}/${reason}/${address}`;
}

/** The report's fields: the interval's (now − before) or, with no `before`, since start. */
export function pathFields(now: PathSnapshot, before: PathSnapshot | undefined, names: { rx: string; tx: string }): PathFields {
  const states = zeroStates();
  for (const s of STATES) states[s] = now.states[s] - (before?.states[s] ?? 0);
  const counter = (c: Counter) => now.counters[c] - (before?.counters[c] ?? 0);
  const legs = Object.fromEntries(LEGS.map((l) => [l, toHistogram(diffSlots(now.legs[l], before?.legs[l]), 'ns')])) as Record<Leg, Histogram>;
  const drops: DropRow[] = [];
  for (const [id, d] of now.drops) {
    const count = d.count - (before?.drops.get(id)?.count ?? 0);
    if (count > 0) drops.push({ ...d, count });
  }
  drops.sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
  return {
    rx_interface: names.rx,
    tx_interface: names.tx,
    requests: STATES.reduce((n, s) => n + states[s], 0),
    ...states,
    in_flight: now.inFlight,
    retransmitted: counter('retransmitted'),
    unmatched_replies: counter('unmatched_replies'),
    ring_overflow: counter('ring_overflow'),
    legs,
    drops,
    ...(before ? { since_start: { ...now.states } } : {}),
  };
}

const LEG_TITLE: Record<Leg, string> = {
  request: 'request in -> out (this host)',
  external: 'request out -> reply in (outside)',
  reply: 'reply in -> out (this host)',
};

const pct = (n: number, of: number) => (of ? ` (${((100 * n) / of).toFixed(n === of ? 0 : 1)}%)` : '');

export function renderPathText(rec: PathRecord, histograms: boolean): string {
  const n = rec.requests;
  const lines = [
    `${spanHeading(rec)}: ${rec.rx_interface} -> ${rec.tx_interface}: ${n} request${n === 1 ? '' : 's'} classified, ${rec.in_flight} in flight`,
  ];
  if (n) {
    lines.push(
      ...textTable(
        ['STATE', 'REQUESTS', 'SHARE'],
        STATES.map((s) => [s, String(rec[s]), pct(rec[s], n).trim().replace(/[()]/g, '') || '-']),
        new Set([0]),
      ),
    );
  }
  if (rec.since_start) lines.push(`  since start: ${STATES.map((s) => `${s} ${rec.since_start![s]}`).join(', ')}`);
  const extra = COUNTERS.filter((c) => rec[c]).map((c) => `${c} ${rec[c]}`);
  if (extra.length) lines.push(`  ${extra.join(', ')}`);
  if (rec.drops.length) {
    lines.push('  dropped in this host:');
    lines.push(...textTable(['STATE', 'REASON', 'LOCATION', 'COUNT'], rec.drops.map((d) => [d.state, d.reason, d.location ? formatLocation(d.location, 0n) : d.address, String(d.count)]), new Set([0, 1, 2])).map((l) => `  ${l}`));
  }
  const timed = LEGS.filter((l) => rec.legs[l].count);
  if (timed.length) {
    lines.push(
      ...textTable(
        ['LEG (COMPLETE REQUESTS)', 'P50', 'P99', 'P99.9'],
        timed.map((l) => {
          const p = rec.legs[l].percentiles;
          return [LEG_TITLE[l], formatBounds(p?.p50, 'ns'), formatBounds(p?.p99, 'ns'), formatBounds(p?.p999, 'ns')];
        }),
        new Set([0]),
      ),
    );
    if (histograms) for (const l of timed) lines.push(renderHistogram(rec.legs[l], { title: `  ${LEG_TITLE[l]}`, width: 30 }));
  }
  return lines.join('\n');
}
