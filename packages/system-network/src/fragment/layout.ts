/**
 * The records of bpf/fragment.h, declared member by member in C order. Offsets follow from C's
 * rules; layout.test.ts checks every member against the built object's BTF.
 */
import { bytes, formatAddress, struct } from '@netstrata/bpf-common';

export const fragKey = struct('frag_key', {
  saddr: bytes(16),
  daddr: bytes(16),
  location: 'u64',
  id: 'u32',
  netns: 'u32',
  reason: 'u32',
  family: 'u8',
  protocol: 'u8',
  _pad: 'u16',
});
export const fragStats = struct('frag_stats', { fragments: 'u64', bytes: 'u64', first: 'u64', last: 'u64' });
export const fragLast = struct('frag_last', { saddr: bytes(16), daddr: bytes(16), id: 'u32', netns: 'u32', family: 'u8', protocol: 'u8', _pad: 'u16' });

/** Every struct the tool decodes, for the layout test. */
export const LAYOUTS = [fragKey, fragStats, fragLast];

const AF_INET = 2;

/** One datagram as the kernel's reassembly queue knows it. */
export interface Datagram {
  family: 4 | 6;
  src: string;
  dst: string;
  /** IPv4 identification or IPv6 fragment identification. */
  id: number;
  /** IP protocol number (IPv6: the fragment header's next header). */
  protocol: number;
}

export interface DropKey extends Datagram {
  /** Namespace inode; 0 when the kernel side could not tell. */
  netns: number;
  reason: number;
  location: bigint;
}

export interface DropVal {
  fragments: number;
  bytes: number;
  first: number;
  last: number;
}

export interface DropEntry {
  key: DropKey;
  val: DropVal;
}

export function decodeDrop(k: Uint8Array, v: Uint8Array): DropEntry {
  const key = fragKey.decode(k);
  const s = fragStats.decode(v);
  const family = key.family === AF_INET ? 4 : 6;
  return {
    key: {
      family,
      src: formatAddress(key.saddr, family),
      dst: formatAddress(key.daddr, family),
      id: key.id,
      protocol: key.protocol,
      netns: key.netns,
      reason: key.reason,
      location: key.location,
    },
    val: { fragments: Number(s.fragments), bytes: Number(s.bytes), first: Number(s.first), last: Number(s.last) },
  };
}

const addVal = (a: DropVal, b: DropVal, sign: 1 | -1 = 1): DropVal => ({
  fragments: a.fragments + sign * b.fragments,
  bytes: a.bytes + sign * b.bytes,
  first: a.first + sign * b.first,
  last: a.last + sign * b.last,
});

/** KernelRows' operations on drop rows. */
export const dropRowOps = {
  sub: (now: DropEntry, before: DropEntry): DropEntry => ({ key: now.key, val: addVal(now.val, before.val, -1) }),
  add: (a: DropEntry, b: DropEntry): DropEntry => ({ key: b.key, val: addVal(a.val, b.val) }),
  isEmpty: (d: DropEntry): boolean => !d.val.fragments,
};
