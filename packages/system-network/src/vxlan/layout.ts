/**
 * The records of bpf/vxlan.h, declared member by member in C order. Offsets follow from C's rules;
 * layout.test.ts checks every member against the built object's BTF.
 */
import { bytes, formatAddress, struct } from '@netstrata/bpf-common';

/** VXLAN_VNI_UNKNOWN */
export const VNI_UNKNOWN = 0xffffffff;
export const DIR_RX = 1;
export const DIR_TX = 2;
export const ON_DEVICE = 1;
export const ON_UNDERLAY = 2;
/** VXLAN_REASONS_MAX: slots of targ_vxlan_reasons. */
export const REASONS_MAX = 4;

const AF_INET = 2;
const AF_INET6 = 10;

export const vxlanDropKey = struct('vxlan_drop_key', {
  location: 'u64',
  peer: bytes(16),
  netns: 'u32',
  ifindex: 'u32',
  vni: 'u32',
  reason: 'u32',
  port: 'u16',
  dir: 'u8',
  where: 'u8',
  family: 'u8',
  _pad: bytes(3),
});

export const vxlanPortKey = struct('vxlan_port_key', { netns: 'u32', port: 'u16', _pad: 'u16' });

/** Every struct the tool decodes or encodes, for the layout test. */
export const LAYOUTS = [vxlanDropKey, vxlanPortKey];

export type Direction = 'rx' | 'tx';

/** One row of the kernel's drop table. */
export interface DropKey {
  netns: number;
  /** The device the skb was on. */
  ifindex: number;
  /** Whether that device is the VXLAN device (else the packet was an outer one on another device). */
  onDevice: boolean;
  direction: Direction;
  /** undefined: no header or tunnel metadata said. */
  vni: number | undefined;
  /** Outer UDP destination port; undefined without an outer header. */
  port: number | undefined;
  /** The remote VTEP (outer source on receive, destination on send), when the outer header was there. */
  peer: string | undefined;
  reason: number;
  location: bigint;
}

export interface DropEntry {
  key: DropKey;
  count: number;
}

export function decodeDropKey(k: Uint8Array): DropKey {
  const r = vxlanDropKey.decode(k);
  const fam = r.family === AF_INET ? 4 : r.family === AF_INET6 ? 6 : undefined;
  return {
    netns: r.netns,
    ifindex: r.ifindex,
    onDevice: r.where === ON_DEVICE,
    direction: r.dir === DIR_RX ? 'rx' : 'tx',
    vni: r.vni === VNI_UNKNOWN ? undefined : r.vni,
    port: r.port || undefined,
    peer: fam ? formatAddress(r.peer, fam) : undefined,
    reason: r.reason,
    location: r.location,
  };
}

export function decodeDrop(k: Uint8Array, v: Uint8Array): DropEntry {
  return { key: decodeDropKey(k), count: Number(new DataView(v.buffer, v.byteOffset, 8).getBigUint64(0, true)) };
}

/** A key of the `ports` table: a namespace's VXLAN port (netns 0: every namespace). */
export const encodePortKey = (netns: number, port: number): Uint8Array => vxlanPortKey.encode({ netns, port, _pad: 0 });

/** targ_vxlan_reasons: up to REASONS_MAX reason codes, the rest 0. */
export function encodeReasons(codes: readonly number[]): Uint8Array {
  const out = new Uint32Array(REASONS_MAX);
  codes.slice(0, REASONS_MAX).forEach((c, i) => (out[i] = c));
  return new Uint8Array(out.buffer);
}
