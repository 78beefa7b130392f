/** The per-CPU `lost` map every program has (bpf/include/netstrata/loss.h), summed over CPUs. */
import type { BpfMap, BpfObject } from '@netstrata/libbpf-ts';

export interface Losses {
  lost: number;
  map_full: number;
  stack_failed: number;
  evicted: number;
}

export function readLosses(lost: BpfMap): Losses {
  const sum = (idx: number) => {
    const key = new Uint8Array(new Uint32Array([idx]).buffer);
    return lost.lookupPerCpu(key).reduce((s, b) => s + Number(new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true)), 0);
  };
  return { lost: sum(0), map_full: sum(1), stack_failed: sum(2), evicted: sum(3) };
}

/** A per-CPU map's entries with each value split into its CPUs' copies. */
export function* perCpuEntries(map: BpfMap): Generator<[Uint8Array, Uint8Array[]]> {
  const slot = Math.ceil(map.valueSize / 8) * 8;
  for (const [k, v] of map.entries()) {
    const copies: Uint8Array[] = [];
    for (let off = 0; off + map.valueSize <= v.byteLength; off += slot) copies.push(v.subarray(off, off + map.valueSize));
    yield [k, copies];
  }
}

/**
 * Hook runs the kernel skipped for the object's loaded programs: it does not run a BPF program
 * where another is already running on that CPU (recursion_misses). Events lost before our code
 * ever saw them, so counted too.
 */
export function programMisses(obj: BpfObject): number {
  let n = 0;
  for (const p of obj.programs()) if (p.autoload) n += p.misses;
  return n;
}
