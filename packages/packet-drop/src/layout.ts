/**
 * The records of bpf/packet_drop.h, declared member by member in C order. Offsets follow from
 * C's rules; layout.test.ts checks every member against the built objects' BTF.
 */
import { bytes, chars, decodeStack, nstFlow, struct, type StructValue } from '@netstrata/bpf-common';

/** Header bytes copied per dropped packet (HDR_CAPTURE). */
export const HDR_CAPTURE = 128;
/** Frames kept per stack (STACK_DEPTH). */
export const STACK_DEPTH = 32;
const HDR_START_MAC = 0;

export const dropKey = struct('drop_key', {
  location: 'u64',
  reason: 'u32',
  stack_id: 's32',
  ifindex: 'u32',
  netns: 'u32',
  dev: chars(16),
  flow: nstFlow,
});

export type DropKey = StructValue<typeof dropKey.fields>;

export const dropEvent = struct('drop_event', {
  ts_ns: 'u64',
  location: 'u64',
  skb: 'u64',
  reason: 'u32',
  cpu: 'u32',
  pid: 'u32',
  tid: 'u32',
  comm: chars(16),
  netns: 'u32',
  ifindex: 'u32',
  dev: chars(16),
  pkt_len: 'u32',
  protocol: 'u16',
  hdr_len: 'u16',
  hdr_start: 'u8',
  _pad: bytes(3),
  stack_len: 's32',
  hdr: bytes(HDR_CAPTURE),
  stack: bytes(8 * STACK_DEPTH),
});

export const DROP_EVENT_SIZE = dropEvent.size;

export interface DropEvent {
  tsNs: bigint;
  location: bigint;
  reason: number;
  cpu: number;
  pid: number;
  tid: number;
  comm: string;
  netns: number;
  ifindex: number;
  dev: string;
  pktLen: number;
  protocol: number;
  hdrStart: 'mac' | 'network';
  hdr: Uint8Array;
  stack: bigint[];
  /** A negative errno when the stack could not be taken, else 0. */
  stackError: number;
}

/** A ring record: exactly sizeof(struct drop_event), or the object and decoder disagree. */
export function decodeDropEvent(v: DataView): DropEvent {
  const e = dropEvent.decode(v);
  return {
    tsNs: e.ts_ns,
    location: e.location,
    reason: e.reason,
    cpu: e.cpu,
    pid: e.pid,
    tid: e.tid,
    comm: e.comm,
    netns: e.netns,
    ifindex: e.ifindex,
    dev: e.dev,
    pktLen: e.pkt_len,
    protocol: e.protocol,
    hdrStart: e.hdr_start === HDR_START_MAC ? 'mac' : 'network',
    // Copied: the ring's memory is reused as soon as the callback returns.
    hdr: e.hdr.slice(0, Math.min(e.hdr_len, HDR_CAPTURE)),
    stack: e.stack_len > 0 ? decodeStack(e.stack.subarray(0, Math.min(e.stack_len, 8 * STACK_DEPTH))) : [],
    stackError: e.stack_len < 0 ? e.stack_len : 0,
  };
}

/** Every struct the tools decode, for the layout test. */
export const LAYOUTS = [dropKey, dropEvent];

