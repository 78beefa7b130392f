/** BpfObject owns every native handle of one BPF object: programs, maps, links and readers. */
import { Btf } from './btf.ts';
import { callInt, callPtr } from './call.ts';
import { BpfError } from './errors.ts';
import { BpfLink } from './link.ts';
import { BpfMap } from './map.ts';
import { address, isNull, n, view, type Ptr } from './native.ts';
import { BpfProgram } from './program.ts';

const OPEN_OPTS_SIZE = 80; // struct bpf_object_open_opts in libbpf 1.1

/** Something closed before its object's maps and programs go away (links, ring readers). */
export interface Owned {
  close(): void;
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

  /** Parses the ELF, its BTF and its maps and programs; the kernel is asked nothing until load(),
   * so opening needs no privilege (enough for btf(), rodataVariables(), names and sizes). */
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
  /**
   * The object's own BTF: its maps' key and value types with every struct they use, and its rodata
   * variables. Read from the opened ELF, so it needs neither load() nor privilege: a test can check
   * a TypeScript decoder against C with `BpfObject.open(bytes, name).btf().structMembers('drop_key')`
   * as any user. The Btf is a copy and stays usable after close().
   */
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
