/** Stacks the kernel kept in a BPF_MAP_TYPE_STACK_TRACE map, as addresses. */
import type { BpfMap } from '@netstrata/libbpf-ts';

/** A stack map value or a captured stack: addresses up to the first 0. */
export function decodeStack(b: Uint8Array): bigint[] {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out: bigint[] = [];
  for (let i = 0; i + 8 <= b.byteLength; i += 8) {
    const ip = v.getBigUint64(i, true);
    if (ip === 0n) break;
    out.push(ip);
  }
  return out;
}

/** The stack with this id; empty for a negative id (none taken) or one no longer in the map. */
export function readStack(stacks: BpfMap, id: number): bigint[] {
  if (id < 0) return [];
  const v = stacks.lookup(new Uint8Array(new Int32Array([id]).buffer));
  return v ? decodeStack(v) : [];
}
