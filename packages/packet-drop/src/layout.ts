/**
 * The records of bpf/packet_drop.h, declared member by member in C order. Offsets follow from
 * C's rules; layout.test.ts checks every member against the built objects' BTF.
 */
import { bytes, chars, decodeStack, nstFlow, struct, type DropEventHead, type StructValue } from '@netstrata/bpf-common';

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

const dropEventHead = {
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
} as const;

export const dropEvent = struct('drop_event', { ...dropEventHead, stack: bytes(8 * STACK_DEPTH) });

/** The event as reserved without --stack (DROP_EVENT_NO_STACK): every member before the stack,
 * at the same offsets (not a struct of its own in BTF: layout.test.ts checks the prefix). */
export const dropEventNoStack = struct('drop_event', dropEventHead);

export const DROP_EVENT_SIZE = dropEvent.size;
export const DROP_EVENT_NO_STACK_SIZE = dropEventNoStack.size;

/** Where the drop ran, and the packet's device's index and namespace: by the record's own names
 * and in its order (packet_drop_details' record takes them as they are). */
export type DropTask = Pick<DropEventHead, 'cpu' | 'pid' | 'comm' | 'netns' | 'ifindex'> & { tid: number };

export interface DropEvent {
  tsNs: bigint;
  location: bigint;
  reason: number;
  task: DropTask;
  dev: string;
  pktLen: number;
  protocol: number;
  hdrStart: 'mac' | 'network';
  hdr: Uint8Array;
  stack: bigint[];
  /** A negative errno when the stack could not be taken, else 0. */
  stackError: number;
}

/** A ring record: exactly sizeof(struct drop_event) with a stack, or DROP_EVENT_NO_STACK without;
 * any other size means the object and decoder disagree. */
export function decodeDropEvent(v: DataView): DropEvent {
  const e: Partial<Pick<ReturnType<typeof dropEvent.decode>, 'stack'>> & ReturnType<typeof dropEventNoStack.decode> =
    v.byteLength === DROP_EVENT_NO_STACK_SIZE ? dropEventNoStack.read(v) : dropEvent.decode(v);
  return {
    tsNs: e.ts_ns,
    location: e.location,
    reason: e.reason,
    task: { cpu: e.cpu, pid: e.pid, tid: e.tid, comm: e.comm, netns: e.netns, ifindex: e.ifindex },
    dev: e.dev,
    pktLen: e.pkt_len,
    protocol: e.protocol,
    hdrStart: e.hdr_start === HDR_START_MAC ? 'mac' : 'network',
    // Copied: the ring's memory is reused as soon as the callback returns.
    hdr: e.hdr.slice(0, Math.min(e.hdr_len, HDR_CAPTURE)),
    stack: e.stack_len > 0 && e.stack ? decodeStack(e.stack.subarray(0, Math.min(e.stack_len, 8 * STACK_DEPTH))) : [],
    stackError: e.stack_len < 0 ? e.stack_len : 0,
  };
}

/** Every struct the tools decode, for the layout test. */
export const LAYOUTS = [dropKey, dropEvent];

