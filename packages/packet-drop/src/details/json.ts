/**
 * packet_drop_details' events as NDJSON straight from the ring: the text JSON of
 * eventFields(decodeDropEvent(record)) would give, made without the intermediate records. Scalars
 * are read where they lie; comm, device, reason and location repeat from drop to drop and are kept
 * as ready JSON; the time is formatted from the two halves of ts_ns (no bigint per event); the
 * headers are decoded in place and written by bpf-common's header JSON. Few, large pieces: joining
 * the pieces of a line costs more than making them.
 */
import { CStringJson, DropJsonText, decodePacket, flowFromHeaders, flowJson, headersJson, type WallClock } from '@netstrata/bpf-common';
import { DROP_EVENT_NO_STACK_SIZE, DROP_EVENT_SIZE, HDR_CAPTURE, dropEvent } from '../layout.ts';
import type { DropResolver } from '../resolve.ts';

const at = (name: Parameters<typeof dropEvent.offsetOf>[0]) => dropEvent.offsetOf(name);
const TS = at('ts_ns');
const LOCATION = at('location');
const REASON = at('reason');
const CPU = at('cpu');
const PID = at('pid');
const TID = at('tid');
const COMM = at('comm');
const NETNS = at('netns');
const IFINDEX = at('ifindex');
const DEV = at('dev');
const PKT_LEN = at('pkt_len');
const PROTOCOL = at('protocol');
const HDR_LEN = at('hdr_len');
const HDR_START = at('hdr_start');
const HDR = at('hdr');
const HDR_START_MAC = 0;

export type DropEventJson = (ring: DataView, offset: number, length: number) => string;

/** The JSON members of one ring record (without --stack: stacks go through the record). */
export function dropEventJson(clock: WallClock, r: DropResolver): DropEventJson {
  const comm = new CStringJson(16);
  const dev = new CStringJson(16);
  const drop = new DropJsonText((c) => r.reasonName(c), (a) => r.location(a));
  let view: DataView | undefined;
  let bytes: Uint8Array = new Uint8Array(0);
  return (ring, o, length) => {
    if (length !== DROP_EVENT_NO_STACK_SIZE && length !== DROP_EVENT_SIZE) throw new Error(`struct drop_event is ${length} bytes, the decoder expects ${DROP_EVENT_NO_STACK_SIZE} or ${DROP_EVENT_SIZE}`);
    if (ring !== view) {
      view = ring;
      bytes = new Uint8Array(ring.buffer, ring.byteOffset, ring.byteLength);
    }
    const protocol = ring.getUint16(o + PROTOCOL, true);
    const headers = decodePacket(bytes, {
      start: ring.getUint8(o + HDR_START) === HDR_START_MAC ? 'mac' : 'network',
      l3Protocol: protocol,
      offset: o + HDR,
      length: Math.min(ring.getUint16(o + HDR_LEN, true), HDR_CAPTURE),
    });
    return (
      `"time":"${clock.isoAt(ring.getUint32(o + TS, true), ring.getUint32(o + TS + 4, true))}","cpu":${ring.getUint32(o + CPU, true)},"pid":${ring.getUint32(o + PID, true)}` +
      `,"tid":${ring.getUint32(o + TID, true)},"comm":${comm.at(bytes, o + COMM)},"netns":${ring.getUint32(o + NETNS, true)},"ifindex":${ring.getUint32(o + IFINDEX, true)}` +
      `,"device":${dev.at(bytes, o + DEV)}${drop.reason(ring.getUint32(o + REASON, true))}${drop.location(ring.getUint32(o + LOCATION, true), ring.getUint32(o + LOCATION + 4, true))}` +
      `${ring.getUint32(o + PKT_LEN, true)},"ethertype":${protocol},"flow":${flowJson(flowFromHeaders(headers))},"headers":${headersJson(headers)}`
    );
  };
}
