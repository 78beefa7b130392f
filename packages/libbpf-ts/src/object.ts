/** BpfObject owns every native handle of one BPF object: programs, maps, links and readers. */
import { Btf } from './btf.ts';
import { BpfError, classify } from './errors.ts';
import { cleanLog, withLog } from './log.ts';
import { address, cbuf, errno, isNull, n, view, type Ptr } from './native.ts';

const OPEN_OPTS_SIZE = 80; // struct bpf_object_open_opts in libbpf 1.1
const UPROBE_OPTS_SIZE = 40; // struct bpf_uprobe_opts in libbpf 1.1

/** Something closed before its object's maps and programs go away (links, ring readers). */
export interface Owned {
  close(): void;
}

const PERCPU_MAP_TYPES = new Set([5 /* PERCPU_HASH */, 6 /* PERCPU_ARRAY */, 10 /* LRU_PERCPU_HASH */, 21 /* PERCPU_CGROUP_STORAGE */]);

let possibleCpus: number | undefined;
export function numPossibleCpus(): number {
  possibleCpus ??= n.libbpf_num_possible_cpus() as number;
  return possibleCpus;
}

/** Runs a libbpf call that returns a pointer (NULL + errno on failure). */
function callPtr(op: string, kind: Parameters<typeof classify>[0], fn: () => Ptr): Ptr {
  let e = 0;
  const { value, log } = withLog(() => {
    errno(0);
    const v = fn();
    e = errno(); // read at once: later native calls may overwrite it
    return v;
  });
  if (isNull(value)) {
    e ||= 22;
    throw new BpfError(op, e, cleanLog(log), classify(kind, e, log, op));
  }
  return value;
}

/** Runs a libbpf call that returns 0 or -errno. */
function callInt(op: string, kind: Parameters<typeof classify>[0], fn: () => number): number {
  const { value, log } = withLog(fn);
  if (value < 0) {
    const e = -value;
    throw new BpfError(op, e, cleanLog(log), classify(kind, e, log));
  }
  return value;
}

export class BpfLink {
  private ptr: Ptr | undefined;

  constructor(ptr: Ptr, private readonly onClose: (l: BpfLink) => void) {
    this.ptr = ptr;
  }

  get destroyed(): boolean {
    return this.ptr === undefined;
  }

  destroy(): void {
    if (this.ptr === undefined) return;
    n.bpf_link__destroy(this.ptr);
    this.ptr = undefined;
    this.onClose(this);
  }

  close(): void {
    this.destroy();
  }

  [Symbol.dispose](): void {
    this.destroy();
  }
}

/** struct bpf_prog_info (include/uapi/linux/bpf.h): its size as far as recursion_misses, which
 * follows run_time_ns and run_cnt (5.12+); older kernels return a shorter info. */
const PROG_INFO_MISSES = 208;
const PROG_INFO_SIZE = 232;

export class BpfProgram {
  readonly name: string;
  readonly section: string;

  constructor(
    private readonly owner: BpfObject,
    private readonly ptr: Ptr,
  ) {
    this.name = n.bpf_program__name(ptr) as string;
    this.section = n.bpf_program__section_name(ptr) as string;
  }

  get type(): number {
    this.owner.check();
    return n.bpf_program__type(this.ptr) as number;
  }

  get autoload(): boolean {
    this.owner.check();
    return n.bpf_program__autoload(this.ptr) as boolean;
  }

  set autoload(on: boolean) {
    this.owner.check();
    if (this.owner.loaded) throw new BpfError(`autoload ${this.name}`, 22, '', 'invalid', 'cannot change autoload after load');
    callInt(`autoload ${this.name}`, 'other', () => n.bpf_program__set_autoload(this.ptr, on) as number);
  }

  /**
   * How often the kernel skipped this program at its hook because a BPF program was already
   * running on that CPU (struct bpf_prog_info.recursion_misses, UAPI). 0 before load.
   */
  get misses(): number {
    this.owner.check();
    const fd = n.bpf_program__fd(this.ptr) as number;
    if (fd < 0) return 0;
    const info = new Uint8Array(PROG_INFO_SIZE);
    const len = [PROG_INFO_SIZE];
    callInt(`info of ${this.name}`, 'other', () => n.bpf_obj_get_info_by_fd(fd, info, len) as number);
    return len[0]! >= PROG_INFO_MISSES + 8 ? Number(new DataView(info.buffer).getBigUint64(PROG_INFO_MISSES, true)) : 0;
  }

  setAttachTarget(funcName: string): void {
    this.owner.check();
    callInt(`set attach target ${funcName} of ${this.name}`, 'other', () => n.bpf_program__set_attach_target(this.ptr, 0, funcName) as number);
  }

  get fd(): number {
    this.owner.check();
    return n.bpf_program__fd(this.ptr) as number;
  }

  private link(op: string, fn: () => Ptr): BpfLink {
    this.owner.check();
    const ptr = callPtr(op, 'attach', fn);
    return this.owner.adopt(ptr);
  }

  attach(): BpfLink {
    return this.link(`attach ${this.name}`, () => n.bpf_program__attach(this.ptr));
  }

  attachTracepoint(category: string, name: string): BpfLink {
    return this.link(`attach ${this.name} to tracepoint ${category}:${name}`, () => n.bpf_program__attach_tracepoint(this.ptr, category, name));
  }

  attachRawTracepoint(name: string): BpfLink {
    return this.link(`attach ${this.name} to raw tracepoint ${name}`, () => n.bpf_program__attach_raw_tracepoint(this.ptr, name));
  }

  attachKprobe(funcName: string, opts: { retprobe?: boolean } = {}): BpfLink {
    return this.link(`attach ${this.name} to ${opts.retprobe ? 'kretprobe' : 'kprobe'} ${funcName}`, () =>
      n.bpf_program__attach_kprobe(this.ptr, !!opts.retprobe, funcName),
    );
  }

  /** kprobe.multi: one link for every kernel function matching a glob pattern. */
  attachKprobeMulti(pattern: string): BpfLink {
    return this.link(`attach ${this.name} to kprobe.multi ${pattern}`, () => n.bpf_program__attach_kprobe_multi_opts(this.ptr, pattern, null));
  }

  attachUprobe(opts: { binaryPath: string; pid?: number; funcName?: string; offset?: number; retprobe?: boolean }): BpfLink {
    const o = Buffer.alloc(UPROBE_OPTS_SIZE);
    o.writeBigUInt64LE(BigInt(UPROBE_OPTS_SIZE), 0);
    o.writeUInt8(opts.retprobe ? 1 : 0, 24);
    // func_name must outlive the call: keep the C string in a buffer referenced until return.
    const fname = opts.funcName ? Buffer.from(`${opts.funcName}\0`) : undefined;
    if (fname) o.writeBigUInt64LE(address(fname), 32);
    const what = opts.funcName ?? `0x${(opts.offset ?? 0).toString(16)}`;
    return this.link(`attach ${this.name} to ${opts.retprobe ? 'uretprobe' : 'uprobe'} ${opts.binaryPath}:${what}`, () =>
      n.bpf_program__attach_uprobe_opts(this.ptr, opts.pid ?? -1, opts.binaryPath, opts.offset ?? 0, o),
    );
  }
}

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

export class BpfObject {
  readonly name: string;
  private ptr: Ptr | undefined;
  private isLoaded = false;
  private readonly owned = new Set<Owned>();
  private readonly progs = new Map<string, BpfProgram>();
  private readonly mapsByName = new Map<string, BpfMap>();
  // The ELF image must stay alive while libbpf holds pointers into it (until load).
  private readonly image: Buffer;

  private constructor(name: string, image: Buffer, ptr: Ptr) {
    this.name = name;
    this.image = image;
    this.ptr = ptr;
    for (let p = n.bpf_object__next_program(ptr, null); !isNull(p); p = n.bpf_object__next_program(ptr, p)) {
      const prog = new BpfProgram(this, p);
      this.progs.set(prog.name, prog);
    }
    for (let m = n.bpf_object__next_map(ptr, null); !isNull(m); m = n.bpf_object__next_map(ptr, m)) {
      const map = new BpfMap(this, m);
      this.mapsByName.set(map.name, map);
    }
  }

  static open(bytes: Uint8Array, name: string): BpfObject {
    const image = Buffer.from(bytes); // private copy libbpf can point into
    const cname = Buffer.from(`${name}\0`);
    const opts = Buffer.alloc(OPEN_OPTS_SIZE);
    opts.writeBigUInt64LE(BigInt(OPEN_OPTS_SIZE), 0);
    opts.writeBigUInt64LE(address(cname), 8);
    const ptr = callPtr(`open BPF object ${name}`, 'open', () => n.bpf_object__open_mem(image, image.length, opts));
    return new BpfObject(name, image, ptr);
  }

  /** @internal */
  check(): void {
    if (this.ptr === undefined) throw new BpfError(`BPF object ${this.name}`, 9, '', 'invalid', 'used after close');
  }

  get loaded(): boolean {
    return this.isLoaded;
  }

  get closed(): boolean {
    return this.ptr === undefined;
  }

  program(name: string): BpfProgram {
    this.check();
    const p = this.progs.get(name);
    if (!p) throw new BpfError(`program ${name}`, 2, '', 'not-found', `no program ${name} in ${this.name}`);
    return p;
  }

  programs(): BpfProgram[] {
    this.check();
    return [...this.progs.values()];
  }

  map(name: string): BpfMap {
    this.check();
    const m = this.mapsByName.get(name) ?? [...this.mapsByName.values()].find((x) => x.name.endsWith(name) && name.startsWith('.'));
    if (!m) throw new BpfError(`map ${name}`, 2, '', 'not-found', `no map ${name} in ${this.name}`);
    return m;
  }

  maps(): BpfMap[] {
    this.check();
    return [...this.mapsByName.values()];
  }

  private btfCache: Btf | undefined;
  /** The object's own BTF (types of its maps, rodata variables). */
  btf(): Btf {
    this.check();
    if (!this.btfCache) {
      const b = n.bpf_object__btf(this.ptr);
      if (isNull(b)) throw new BpfError(`BTF of ${this.name}`, 2, '', 'not-found', 'object has no BTF (compile with -g)');
      const size = [0];
      const raw = n.btf__raw_data(b, size);
      this.btfCache = Btf.parse(new Uint8Array(view(raw, size[0]!)).slice());
    }
    return this.btfCache;
  }

  private rodataMap(): BpfMap {
    const m = [...this.mapsByName.values()].find((x) => x.name.endsWith('.rodata'));
    if (!m) throw new BpfError(`rodata of ${this.name}`, 2, '', 'not-found', 'object has no .rodata (no const volatile variables)');
    return m;
  }

  rodataVariables(): { name: string; offset: number; size: number }[] {
    return this.btf().datasecVariables('.rodata');
  }

  /** Sets a `const volatile` variable before load; the verifier then prunes the branches it turns off. */
  setRodata(name: string, value: Uint8Array | number | bigint | boolean): void {
    this.check();
    const op = `set rodata ${name}`;
    if (this.isLoaded) throw new BpfError(op, 22, '', 'invalid', `${op}: object already loaded`);
    const v = this.rodataVariables().find((x) => x.name === name);
    if (!v) throw new BpfError(op, 2, '', 'invalid', `${op}: no const volatile variable ${name} in ${this.name}`);
    const map = this.rodataMap();
    const size = [0];
    const p = n.bpf_map__initial_value(map.ptr, size);
    if (isNull(p)) throw new BpfError(op, 2, '', 'invalid', `${op}: rodata is not mapped`);
    const mem = new Uint8Array(view(p, size[0]!));
    const dst = mem.subarray(v.offset, v.offset + v.size);
    if (value instanceof Uint8Array) {
      if (value.byteLength !== v.size) throw new BpfError(op, 22, '', 'invalid', `${op}: ${value.byteLength} bytes given, variable has ${v.size}`);
      dst.set(value);
      return;
    }
    const dv = new DataView(dst.buffer, dst.byteOffset, dst.byteLength);
    const big = typeof value === 'bigint' ? value : BigInt(typeof value === 'boolean' ? (value ? 1 : 0) : value);
    switch (v.size) {
      case 1: dv.setUint8(0, Number(BigInt.asUintN(8, big))); break;
      case 2: dv.setUint16(0, Number(BigInt.asUintN(16, big)), true); break;
      case 4: dv.setUint32(0, Number(BigInt.asUintN(32, big)), true); break;
      case 8: dv.setBigUint64(0, BigInt.asUintN(64, big), true); break;
      default: throw new BpfError(op, 22, '', 'invalid', `${op}: variable of ${v.size} bytes needs a Uint8Array`);
    }
  }

  load(): void {
    this.check();
    try {
      callInt(`load BPF object ${this.name}`, 'load', () => n.bpf_object__load(this.ptr) as number);
    } finally {
      // Loading parses the kernel's BTF for CO-RE (tens of MB) and frees it; give that back now,
      // or a long-running tool keeps it resident for its whole life.
      n.malloc_trim(0);
    }
    this.isLoaded = true;
  }

  /** @internal */
  adopt(linkPtr: Ptr): BpfLink {
    const link = new BpfLink(linkPtr, (l) => this.owned.delete(l));
    this.owned.add(link);
    return link;
  }

  /** @internal Ring readers and perf buffers register here so they close before their map. */
  own(o: Owned): void {
    this.check();
    this.owned.add(o);
  }

  /** @internal */
  disown(o: Owned): void {
    this.owned.delete(o);
  }

  close(): void {
    if (this.ptr === undefined) return;
    // Readers first (they hold mappings of map memory), then links, then the object.
    const owned = [...this.owned];
    for (const o of owned) if (!(o instanceof BpfLink)) o.close();
    for (const o of owned) if (o instanceof BpfLink) o.close();
    this.owned.clear();
    n.bpf_object__close(this.ptr);
    this.ptr = undefined;
    void this.image;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
