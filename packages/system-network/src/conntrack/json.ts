/**
 * conntrack_details' events as NDJSON straight from the ring: the text JSON of
 * eventFields(ctEvent.read(record)) would give, made without the intermediate records. Scalars are
 * read where they lie; what repeats from drop to drop (comm, device, reason, location, flow, TCP
 * flags, status bits) is kept as ready JSON; the time is formatted from the two halves of ts_ns
 * (no bigint per event).
 */
import { CStringJson, DropJsonText, flowFromRaw, flowJson, jsonString, nstFlow, type WallClock } from '@netstrata/bpf-common';
import { tcpFlags } from '../latency/details-render.ts';
import { nstIdent } from '../layout.ts';
import type { Names, StateTally } from './details.ts';
import { CT_HAS_ENTRY, CT_HAS_MARK, CT_REPLY, CT_TEMPLATE, ctEvent, stateName, zoneOf } from './layout.ts';

const at = (name: Parameters<typeof ctEvent.offsetOf>[0]) => ctEvent.offsetOf(name);
const TS = at('ts_ns');
const LOCATION = at('location');
const STATUS = at('status');
const REASON = at('reason');
const CPU = at('cpu');
const PID = at('pid');
const NETNS = at('netns');
const IFINDEX = at('ifindex');
const LEN = at('len');
const MARK = at('mark');
const ZONE = at('zone');
const STATE = at('state');
const CTINFO = at('ctinfo');
const FLAGS = at('flags');
const FLOW = at('flow');
const TCP_SEQ = at('ident') + nstIdent.offsetOf('tcp_seq');
const TCP_FLAGS = at('ident') + nstIdent.offsetOf('tcp_flags');
const COMM = at('comm');
const DEV = at('dev');
const IPPROTO_TCP = 6;
/** Distinct status bit sets kept as JSON: an entry has a handful in its life. */
const STATUSES_KEPT = 256;

export type CtEventJson = (ring: DataView, offset: number, length: number) => string;

/** The last few distinct flows (struct nst_flow's bytes) as JSON, and whether each is TCP. */
class FlowJsonCache {
  private readonly keys: Uint8Array[];
  /** Undefined for a slot not filled yet. */
  private readonly json: (string | undefined)[];
  private readonly tcp: boolean[];
  private next = 0;
  /** Whether the flow last asked for is TCP. */
  isTcp = false;

  constructor(slots = 4) {
    this.keys = Array.from({ length: slots }, () => new Uint8Array(nstFlow.size));
    this.json = new Array<string | undefined>(slots).fill(undefined);
    this.tcp = new Array<boolean>(slots).fill(false);
  }

  at(ring: DataView, bytes: Uint8Array, o: number): string {
    const n = nstFlow.size;
    const keys = this.keys;
    for (let s = 0; s < keys.length; s++) {
      if (this.json[s] === undefined) continue;
      const k = keys[s]!;
      let i = 0;
      while (i < n && k[i] === bytes[o + i]) i++;
      if (i === n) {
        this.isTcp = this.tcp[s]!;
        return this.json[s]!;
      }
    }
    const s = this.next;
    this.next = (s + 1) % keys.length;
    keys[s]!.set(bytes.subarray(o, o + n));
    const flow = flowFromRaw(nstFlow.read(ring, o));
    this.isTcp = this.tcp[s] = flow?.protocol === 'TCP';
    return (this.json[s] = flowJson(flow ?? null));
  }
}

/** The JSON members of one ring record; each event is counted in `tally`, as the record path does. */
export function ctEventJson(clock: WallClock, names: Names, tally: StateTally): CtEventJson {
  const comm = new CStringJson(16);
  const dev = new CStringJson(16);
  const flows = new FlowJsonCache();
  const drop = new DropJsonText((c) => names.reason(c), (a) => names.location(a));
  const statuses = new Map<number, string>();
  const flagTexts: string[] = [];
  let view: DataView | undefined;
  let bytes: Uint8Array = new Uint8Array(0);
  const statusJson = (bits: number) => {
    let s = statuses.get(bits);
    if (s === undefined) {
      if (statuses.size >= STATUSES_KEPT) statuses.clear();
      statuses.set(bits, (s = `,"status":${JSON.stringify(names.status(bits))},"status_bits":${bits}}`));
    }
    return s;
  };
  const tcpJson = (flags: number) => (flagTexts[flags] ??= `{"flags":${jsonString(tcpFlags(flags))},"seq":`);
  const zoneJson = (zone: number | null) => (zone === null ? 'null' : String(zone));
  return (ring, o, length) => {
    if (length !== ctEvent.size) throw new Error(`struct ct_event is ${length} bytes, the decoder expects ${ctEvent.size}`);
    if (ring !== view) {
      view = ring;
      bytes = new Uint8Array(ring.buffer, ring.byteOffset, ring.byteLength);
    }
    const flow = flows.at(ring, bytes, o + FLOW);
    const tcp = flows.isTcp ? `${tcpJson(ring.getUint8(o + TCP_FLAGS))}${ring.getUint32(o + TCP_SEQ, true)}}` : 'null';
    const state = stateName(ring.getUint8(o + STATE));
    tally.add(state);
    const flags = ring.getUint8(o + FLAGS);
    const zone = ring.getUint16(o + ZONE, true);
    let ct: string;
    if (flags & CT_HAS_ENTRY) {
      const mark = flags & CT_HAS_MARK ? String(ring.getUint32(o + MARK, true)) : 'null';
      ct =
        `"${state}","direction":${flags & CT_REPLY ? '"reply"' : '"original"'},"ctinfo":${ring.getUint8(o + CTINFO)}` +
        `,"entry":{"zone":${zoneJson(zoneOf(zone, flags))},"mark":${mark}${statusJson(ring.getUint32(o + STATUS, true))}`;
    } else {
      ct = `"${state}","direction":null,"ctinfo":${ring.getUint8(o + CTINFO)},"entry":null`;
    }
    return (
      `"time":"${clock.isoAt(ring.getUint32(o + TS, true), ring.getUint32(o + TS + 4, true))}","cpu":${ring.getUint32(o + CPU, true)},"pid":${ring.getUint32(o + PID, true)}` +
      `,"comm":${comm.at(bytes, o + COMM)},"netns":${ring.getUint32(o + NETNS, true)},"ifindex":${ring.getUint32(o + IFINDEX, true)},"device":${dev.at(bytes, o + DEV)}` +
      `${drop.reason(ring.getUint32(o + REASON, true))}${drop.location(ring.getUint32(o + LOCATION, true), ring.getUint32(o + LOCATION + 4, true))}${ring.getUint32(o + LEN, true)}` +
      `,"flow":${flow},"tcp":${tcp},"state":${ct},"template_zone":${flags & CT_TEMPLATE ? zoneJson(zoneOf(zone, flags)) : 'null'}`
    );
  };
}
