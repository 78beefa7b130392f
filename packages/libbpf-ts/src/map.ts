/** A BpfMap is one map of a BpfObject: sizing before load, and lookups, updates and walks after. */
import { callInt } from './call.ts';
import { BpfError, classify } from './errors.ts';
import { cbuf, errno, n, type Ptr } from './native.ts';
import type { BpfObject } from './object.ts';
import { numPossibleCpus } from './system.ts';

const PERCPU_MAP_TYPES = new Set([5 /* PERCPU_HASH */, 6 /* PERCPU_ARRAY */, 10 /* LRU_PERCPU_HASH */, 21 /* PERCPU_CGROUP_STORAGE */]);

export class BpfMap {
  readonly name: string;
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly perCpu: boolean;

  constructor(
    /** @internal */ readonly owner: BpfObject,
    /** @internal */ readonly ptr: Ptr,
  ) {
    this.name = n.bpf_map__name(ptr) as string;
    this.type = n.bpf_map__type(ptr) as number;
    this.keySize = n.bpf_map__key_size(ptr) as number;
    this.valueSize = n.bpf_map__value_size(ptr) as number;
    this.perCpu = PERCPU_MAP_TYPES.has(this.type);
  }

  get maxEntries(): number {
    this.owner.check();
    return n.bpf_map__max_entries(this.ptr) as number;
  }

  /** Before load only: size a map from options (ring buffer bytes, hash capacity). */
  setMaxEntries(entries: number): void {
    this.owner.check();
    callInt(`set max entries of ${this.name}`, 'map', () => n.bpf_map__set_max_entries(this.ptr, entries) as number);
  }

  get fd(): number {
    this.owner.check();
    const fd = n.bpf_map__fd(this.ptr) as number;
    if (fd < 0) throw new BpfError(`map ${this.name}`, 9, '', 'invalid', 'map is not created yet (load the object first)');
    return fd;
  }

  /** Bytes of one value as the syscall sees it: per-CPU maps hold one 8-byte-aligned slot per CPU. */
  get valueBytes(): number {
    return this.perCpu ? Math.ceil(this.valueSize / 8) * 8 * numPossibleCpus() : this.valueSize;
  }

  private checkKey(key: Uint8Array): void {
    if (key.byteLength !== this.keySize) {
      throw new BpfError(`map ${this.name}`, 22, '', 'invalid', `key is ${key.byteLength} bytes, map wants ${this.keySize}`);
    }
  }

  lookup(key: Uint8Array): Uint8Array | undefined {
    this.checkKey(key);
    const out = Buffer.alloc(this.valueBytes);
    const rc = n.bpf_map_lookup_elem(this.fd, cbuf(key), out) as number;
    if (rc === 0) return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    const e = errno();
    if (e === 2) return undefined;
    throw new BpfError(`lookup in map ${this.name}`, e, '', classify('map', e, ''));
  }

  lookupPerCpu(key: Uint8Array): Uint8Array[] {
    const all = this.lookup(key);
    if (!all) return [];
    const slot = Math.ceil(this.valueSize / 8) * 8;
    const out: Uint8Array[] = [];
    for (let cpu = 0; cpu < numPossibleCpus(); cpu++) out.push(all.subarray(cpu * slot, cpu * slot + this.valueSize));
    return out;
  }

  update(key: Uint8Array, value: Uint8Array, flags: 'any' | 'noexist' | 'exist' = 'any'): void {
    this.checkKey(key);
    // The kernel reads valueBytes from the pointer: a shorter buffer would be read past its end.
    if (value.byteLength !== this.valueBytes) {
      throw new BpfError(`map ${this.name}`, 22, '', 'invalid', `value is ${value.byteLength} bytes, map wants ${this.valueBytes}`);
    }
    const f = flags === 'any' ? 0n : flags === 'noexist' ? 1n : 2n;
    const rc = n.bpf_map_update_elem(this.fd, cbuf(key), cbuf(value), f) as number;
    if (rc !== 0) {
      const e = errno();
      throw new BpfError(`update map ${this.name}`, e, '', classify('map', e, ''));
    }
  }

  delete(key: Uint8Array): boolean {
    this.checkKey(key);
    const rc = n.bpf_map_delete_elem(this.fd, cbuf(key)) as number;
    if (rc === 0) return true;
    const e = errno();
    if (e === 2) return false;
    throw new BpfError(`delete from map ${this.name}`, e, '', classify('map', e, ''));
  }

  /** Remove an entry and return its value as it was at that moment (hash maps, kernel 5.14+):
   * nothing added to it between a read and the removal is lost. undefined when it is not there. */
  lookupAndDelete(key: Uint8Array): Uint8Array | undefined {
    this.checkKey(key);
    const out = Buffer.alloc(this.valueBytes);
    const rc = n.bpf_map_lookup_and_delete_elem(this.fd, cbuf(key), out) as number;
    if (rc === 0) return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    const e = errno();
    if (e === 2) return undefined;
    throw new BpfError(`lookup and delete in map ${this.name}`, e, '', classify('map', e, ''));
  }

  *keys(): Generator<Uint8Array> {
    const fd = this.fd;
    let prev: Buffer | null = null;
    for (;;) {
      const next = Buffer.alloc(this.keySize);
      const rc = n.bpf_map_get_next_key(fd, prev, next) as number;
      if (rc !== 0) {
        const e = errno();
        if (e === 2) return;
        throw new BpfError(`walk map ${this.name}`, e, '', classify('map', e, ''));
      }
      yield new Uint8Array(next.buffer, next.byteOffset, next.byteLength);
      prev = next;
    }
  }

  /** Every entry; one batched syscall per chunk where the kernel supports it (hash maps). */
  *entries(): Generator<[Uint8Array, Uint8Array]> {
    const batched = this.batchEntries();
    if (batched) {
      yield* batched;
      return;
    }
    for (const k of this.keys()) {
      const v = this.lookup(k);
      if (v) yield [k, v];
    }
  }

  private batchEntries(): [Uint8Array, Uint8Array][] | undefined {
    // Batch ops exist for hash-type maps; arrays and others fall back to the key walk.
    if (![1, 5, 9, 10].includes(this.type)) return undefined;
    const chunk = Math.max(1, Math.min(this.maxEntries, 4096));
    const keys = Buffer.alloc(chunk * this.keySize);
    const values = Buffer.alloc(chunk * this.valueBytes);
    const inBatch = Buffer.alloc(Math.max(8, this.keySize));
    const outBatch = Buffer.alloc(Math.max(8, this.keySize));
    const opts = Buffer.alloc(24);
    opts.writeBigUInt64LE(24n, 0);
    const out: [Uint8Array, Uint8Array][] = [];
    let first = true;
    for (;;) {
      const count = [chunk];
      const rc = n.bpf_map_lookup_batch(this.fd, first ? null : inBatch, outBatch, keys, values, count, opts) as number;
      const e = rc < 0 ? errno() : 0;
      const got = count[0] ?? 0;
      if (rc < 0 && e !== 2) {
        if (first && (e === 22 || e === 95 || e === 524)) return undefined;
        throw new BpfError(`batch lookup in map ${this.name}`, e, '', classify('map', e, ''));
      }
      for (let i = 0; i < got; i++) {
        out.push([
          new Uint8Array(keys.subarray(i * this.keySize, (i + 1) * this.keySize)),
          new Uint8Array(values.subarray(i * this.valueBytes, (i + 1) * this.valueBytes)),
        ]);
      }
      if (rc < 0) return out; // ENOENT: that was the last chunk
      outBatch.copy(inBatch);
      first = false;
    }
  }
}
