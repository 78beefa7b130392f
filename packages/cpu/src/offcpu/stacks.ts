/**
 * offcpu_summary's stack map made to last: a BPF stack map cannot evict, and once its buckets fill,
 * new stacks collide with old ones (bpf_get_stackid -EEXIST, counted as stack_failed). After each
 * read, stacks that no row and no pending start refers to are deleted.
 *
 * A stack the kernel hands out while a sweep runs must survive it: each sweep has a number, written
 * to the `sweep` map before the references are collected, and the kernel marks every stack id it
 * hands out or adds time to with the current number (`stack_used`). A stack marked with this
 * sweep's number is kept. The only window left is a stack handed out between reading its mark and
 * deleting it (one syscall); such a stack is counted (`raced`) as a stack lost.
 */
import type { BpfMap } from '@netstrata/libbpf-ts';

const u32 = (n: number) => new Uint8Array(new Uint32Array([n]).buffer);
const readU32 = (b: Uint8Array, at = 0) => new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(at, true);

export class StackSweeper {
  private number = 0;
  /** Stacks deleted since start. */
  deleted = 0;
  /** Stacks a sweep deleted while the kernel was handing them out. */
  raced = 0;

  constructor(
    private readonly stacks: BpfMap,
    private readonly used: BpfMap,
    private readonly sweepMap: BpfMap,
  ) {}

  /** Delete every stored stack outside `referenced()` (collected after the sweep's number is set). */
  sweep(referenced: () => Set<number>): void {
    this.number = (this.number + 1) >>> 0 || 1;
    this.sweepMap.update(u32(0), u32(this.number));
    const keep = referenced();
    const mark = (id: number) => {
      const v = this.used.lookup(u32(id));
      return v ? readU32(v) : 0;
    };
    for (const key of [...this.stacks.keys()]) {
      const id = readU32(key);
      if (keep.has(id) || mark(id) === this.number) continue;
      if (!this.stacks.delete(key)) continue;
      this.deleted++;
      // Handed out between the mark and the delete, and not stored again since: lost to the row.
      if (mark(id) === this.number && !this.stacks.lookup(key)) this.raced++;
    }
  }
}

/** Stack ids (>= 0) at two offsets of each key or value of a map. */
export function stackIdsIn(entries: Iterable<Uint8Array>, offsets: readonly number[], into: Set<number>): Set<number> {
  for (const b of entries) {
    const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
    for (const at of offsets) {
      const id = view.getInt32(at, true);
      if (id >= 0) into.add(id);
    }
  }
  return into;
}
