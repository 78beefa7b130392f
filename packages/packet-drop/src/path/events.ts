/** packet_path_details records: one request that was not complete (every one with --all). */
import { formatValue, timeOfDay, type EventEnvelope, type FinalEnvelope, type WallClock } from '@netstrata/bpf-common';
import { formatLocation, type DropResolver } from '../resolve.ts';
import { DROP_POINTS, STATES, pathFlowFields, type PathFlow, type PathState, type RawKey, type RawReq } from './layout.ts';
import { zeroStates, type StateCounts } from './report.ts';

export interface PathEventFields {
  /** When the request entered on --rx-interface. */
  time: string;
  state: PathState;
  /** The request's flow, in the request's direction. */
  flow: PathFlow;
  /** ICMP echo: the sequence; TCP: the sequence number after the segment; UDP: null. */
  seq: number | null;
  /** The request's IP length, bytes. */
  len: number;
  /** Request in -> out (this host), out -> reply in (outside), reply in -> out (this host), µs;
   * null for a leg the request did not finish. */
  request_us: number | null;
  external_us: number | null;
  reply_us: number | null;
  /** The request entered again before this copy was classified (this copy's fate is as it stood). */
  retransmitted: boolean;
  /** Where the kernel dropped the request or its reply, when it did on the tracer's watch. */
  drop: { reason: string; reason_code: number; location: { symbol: string; offset: number } | null; address: string; after: string } | null;
}

export type PathEventRecord = EventEnvelope & PathEventFields;

export interface PathFinalFields {
  /** The events by state. */
  states: StateCounts;
  /** Requests still within --timeout-ms at the end, not classified. */
  in_flight: number;
}

const us = (a: bigint, b: bigint): number | null => (a && b && b >= a ? Number(b - a) / 1000 : null);

export function pathEventFields(key: RawKey, req: RawReq, state: PathState, retransmitted: boolean, clock: WallClock, r: Pick<DropResolver, 'reasonName' | 'location'>): PathEventFields {
  const flow = pathFlowFields(key.flow);
  const ts = req.ts as bigint[];
  return {
    time: clock.toIso(ts[0]!),
    state,
    flow,
    seq: flow.protocol === 'UDP' ? null : key.ident,
    len: req.len,
    request_us: us(ts[0]!, ts[1]!),
    external_us: us(ts[1]!, ts[2]!),
    reply_us: us(ts[2]!, ts[3]!),
    retransmitted,
    drop: req.reason
      ? { reason: r.reasonName(req.reason), reason_code: req.reason, location: r.location(req.location) ?? null, address: `0x${req.location.toString(16)}`, after: DROP_POINTS[req.drop_point] ?? '' }
      : null,
  };
}

const leg = (v: number | null) => (v === null ? '-' : formatValue(v * 1000, 'ns'));

function flowText(f: PathFlow): string {
  const v6 = f.src.includes(':');
  const host = (a: string) => (v6 ? `[${a}]` : a);
  if (f.icmp_id !== undefined) return `${f.src} -> ${f.dst} ${f.protocol} id ${f.icmp_id}`;
  return `${host(f.src)}:${f.sport} -> ${host(f.dst)}:${f.dport} ${f.protocol}`;
}

export function renderPathEvent(rec: PathEventRecord): string {
  const seq = rec.seq === null ? '' : ` seq ${rec.seq}`;
  const drop = rec.drop ? `  dropped ${rec.drop.reason} at ${formatLocation(rec.drop.location ?? undefined, BigInt(rec.drop.address))} (after ${rec.drop.after})` : '';
  return `${timeOfDay(rec.time, true)} ${rec.state.padEnd(21)} ${flowText(rec.flow)}${seq} len ${rec.len}  in->out ${leg(rec.request_us)}  outside ${leg(rec.external_us)}  reply ${leg(rec.reply_us)}${rec.retransmitted ? '  (retransmitted)' : ''}${drop}`;
}

export function renderPathFinal(rec: FinalEnvelope & PathFinalFields & { events: number }): string {
  return `${rec.events} requests shown: ${STATES.map((s) => `${s} ${rec.states[s]}`).join(', ')}; ${rec.in_flight} in flight at the end`;
}

export { zeroStates };
