/**
 * The records of bpf/packet_path.h, declared member by member in C order; layout.test.ts checks
 * every member against the built objects' BTF.
 */
import { array, bytes, formatAddress, nstHist, protocolName, struct, type Flow, type StructValue } from '@netstrata/bpf-common';

export const POINTS = 4;
export const STATES = ['complete', 'internal_drop_request', 'external_drop', 'internal_drop_reply'] as const;
export type PathState = (typeof STATES)[number];
export const LEGS = ['request', 'external', 'reply'] as const;
export type Leg = (typeof LEGS)[number];
/** enum path_counter, in order. */
export const COUNTERS = ['unmatched_replies', 'ring_overflow', 'retransmitted'] as const;
export type Counter = (typeof COUNTERS)[number];
/** enum path_point + 1, as drop_point records it. */
export const DROP_POINTS = ['', 'request_in', 'request_out', 'reply_in', 'reply_out'] as const;

export const pathFlow = struct('path_flow', { client: bytes(16), server: bytes(16), cport: 'u16', sport: 'u16', family: 'u8', protocol: 'u8', _pad: 'u16' });
export const pathKey = struct('path_key', { flow: pathFlow, ident: 'u32', _pad: 'u32' });
export const pathReq = struct('path_req', { ts: array('u64', POINTS), location: 'u64', reason: 'u32', drop_point: 'u32', len: 'u32', _pad: 'u32' });
export const pathStats = struct('path_stats', { states: array('u64', STATES.length), counters: array('u64', COUNTERS.length) });
export const pathEvent = struct('path_event', { key: pathKey, req: pathReq, state: 'u32', _pad: 'u32' });

/** Every struct the tools decode, for the layout test. */
export const LAYOUTS = [nstHist, pathFlow, pathKey, pathReq, pathStats, pathEvent];

/** A request's flow in the output contract, in the request's direction; ICMP echo: `icmp_id`
 * (ports 0). */
export type PathFlow = Pick<Flow, 'src' | 'dst' | 'sport' | 'dport' | 'protocol' | 'icmp_id'>;

export function pathFlowFields(f: StructValue<typeof pathFlow.fields>): PathFlow {
  const fam = f.family === 10 ? 6 : 4;
  const flow: PathFlow = { src: formatAddress(f.client, fam), dst: formatAddress(f.server, fam), sport: f.cport, dport: f.sport, protocol: protocolName(f.protocol) };
  if (f.protocol === 1 || f.protocol === 58) {
    flow.icmp_id = f.cport;
    flow.sport = 0;
    flow.dport = 0;
  }
  return flow;
}

export type RawKey = StructValue<typeof pathKey.fields>;
export type RawReq = StructValue<typeof pathReq.fields>;

/** What became of a request, from the points it passed (the kernel's path_state_of). */
export function stateOf(r: Pick<RawReq, 'ts'>): PathState {
  if (r.ts[3]) return 'complete';
  if (r.ts[2]) return 'internal_drop_reply';
  if (r.ts[1]) return 'external_drop';
  return 'internal_drop_request';
}
