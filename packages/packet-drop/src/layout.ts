/** Decoders mirroring bpf/packet_drop.h byte for byte (sizes checked by _Static_assert there). */
import { cString } from '@netstrata/bpf-common';

export const DROP_KEY_SIZE = 80;
export const DROP_EVENT_SIZE = 480;
export const HDR_CAPTURE = 128;
export const STACK_DEPTH = 32;
export const HDR_START_MAC = 0;

/** struct nst_flow (bpf-common/bpf/include/netstrata/filter_types.h). */
export interface RawFlow {
  family: number; // 2 = IPv4 (and ARP), 10 = IPv6, 0 = neither
  ethertype: number; // 0x0800, 0x86dd, 0x0806 (ARP)
  protocol: number;
  saddr: Uint8Array; // 16 bytes, IPv4 in the first 4
  daddr: Uint8Array;
  sport: number;
  dport: number;
}

export interface DropKey {
  location: bigint;
  reason: number;
  stackId: number;
  ifindex: number;
  netns: number;
  dev: string;
  flow: RawFlow;
}

export interface DropEvent {
  tsNs: bigint;
  location: bigint;
  skb: bigint;
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
  stackError: number; // negative errno when the stack could not be taken, else 0
}


function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function decodeFlow(bytes: Uint8Array, off: number): RawFlow {
  const v = view(bytes);
  return {
    saddr: bytes.slice(off, off + 16),
    daddr: bytes.slice(off + 16, off + 32),
    sport: v.getUint16(off + 32, true),
    dport: v.getUint16(off + 34, true),
    family: bytes[off + 36]!,
    protocol: bytes[off + 37]!,
    ethertype: v.getUint16(off + 38, true),
  };
}

export function decodeDropKey(bytes: Uint8Array): DropKey {
  if (bytes.byteLength !== DROP_KEY_SIZE) throw new Error(`drop key is ${bytes.byteLength} bytes, expected ${DROP_KEY_SIZE}`);
  const v = view(bytes);
  return {
    location: v.getBigUint64(0, true),
    reason: v.getUint32(8, true),
    stackId: v.getInt32(12, true),
    ifindex: v.getUint32(16, true),
    netns: v.getUint32(20, true),
    dev: cString(bytes.subarray(24, 40)),
    flow: decodeFlow(bytes, 40),
  };
}

export function decodeDropEvent(v: DataView): DropEvent {
  // Ring records are exactly sizeof(struct drop_event): any other size means object and decoder disagree.
  if (v.byteLength !== DROP_EVENT_SIZE) throw new Error(`drop event is ${v.byteLength} bytes, expected ${DROP_EVENT_SIZE}`);
  const bytes = new Uint8Array(v.buffer, v.byteOffset, DROP_EVENT_SIZE);
  const hdrLen = Math.min(v.getUint16(86, true), HDR_CAPTURE);
  const stackLen = v.getInt32(92, true);
  const stack: bigint[] = [];
  if (stackLen > 0) {
    for (let i = 0; i < Math.min(stackLen / 8, STACK_DEPTH); i++) {
      const ip = v.getBigUint64(224 + i * 8, true);
      if (ip === 0n) break;
      stack.push(ip);
    }
  }
  return {
    tsNs: v.getBigUint64(0, true),
    location: v.getBigUint64(8, true),
    skb: v.getBigUint64(16, true),
    reason: v.getUint32(24, true),
    cpu: v.getUint32(28, true),
    pid: v.getUint32(32, true),
    tid: v.getUint32(36, true),
    comm: cString(bytes.subarray(40, 56)),
    netns: v.getUint32(56, true),
    ifindex: v.getUint32(60, true),
    dev: cString(bytes.subarray(64, 80)),
    pktLen: v.getUint32(80, true),
    protocol: v.getUint16(84, true),
    hdrStart: bytes[88] === HDR_START_MAC ? 'mac' : 'network',
    // Copied: the ring's memory is reused as soon as the callback returns.
    hdr: bytes.slice(96, 96 + hdrLen),
    stack,
    stackError: stackLen < 0 ? stackLen : 0,
  };
}
