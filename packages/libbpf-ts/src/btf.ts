/**
 * A pure TypeScript reader of raw BTF (the kernel's /sys/kernel/btf/vmlinux or an object's .BTF):
 * enums for drop-reason names, datasec variables for rodata, type/function presence for flavour
 * choice, and struct member layouts for checking a TypeScript decoder against the C it mirrors.
 * Parsed once, lazily: vmlinux BTF is several MB.
 */
import { existsSync, readFileSync } from 'node:fs';

export const BTF_KIND = {
  INT: 1, PTR: 2, ARRAY: 3, STRUCT: 4, UNION: 5, ENUM: 6, FWD: 7, TYPEDEF: 8, VOLATILE: 9, CONST: 10,
  RESTRICT: 11, FUNC: 12, FUNC_PROTO: 13, VAR: 14, DATASEC: 15, FLOAT: 16, DECL_TAG: 17, TYPE_TAG: 18, ENUM64: 19,
} as const;

const KIND_NAMES: Record<string, number> = {
  struct: BTF_KIND.STRUCT, union: BTF_KIND.UNION, enum: BTF_KIND.ENUM, func: BTF_KIND.FUNC, typedef: BTF_KIND.TYPEDEF,
};

export type BtfKindName = 'void' | 'int' | 'float' | 'ptr' | 'array' | 'struct' | 'union' | 'enum' | 'fwd' | 'func_proto' | 'unknown';

/** A member's type as C declares it, with typedefs and const/volatile/restrict resolved. */
export interface BtfType {
  /** Id of the resolved type: `typeMembers(id)` lists a struct's or union's own members. */
  id: number;
  kind: BtfKindName;
  /** The resolved type's own name ('unsigned int', 'iphdr'); '' for anonymous types, pointers and arrays. */
  name: string;
  /** The outermost typedef the type was named by ('__be32' for `__be32 saddr`), if any. */
  typedef?: string;
  /** Bytes; a pointer is 8 (BPF and 64-bit kernels), an array is count × element size. */
  size: number;
  /** int only: BTF's signed encoding bit. */
  signed?: boolean;
  /** array only: the element's type (an array again for `a[2][3]`) and the element count. */
  element?: BtfType;
  count?: number;
  /** ptr only: the pointee, described like a member type (its members through typeMembers). */
  target?: BtfType;
}

/**
 * One member of a struct or union. Bitfields: `bitSize` is their width, `bitOffset` their first bit
 * (counted from the struct's start in the target's bit order: from the least significant bit on
 * little-endian), `offset` the byte holding that bit, and `size` the declared type's (4 for
 * `__u32 x : 3`).
 */
export interface BtfMember {
  /** '' for an anonymous struct or union member. */
  name: string;
  offset: number;
  bitOffset: number;
  /** 0 unless a bitfield. */
  bitSize: number;
  size: number;
  type: BtfType;
}

export interface MemberOptions {
  /**
   * Anonymous struct and union members are listed as they are declared by default: name '' and a
   * type whose members `typeMembers(type.id)` gives, offsets relative to that member. With
   * `flatten`, they are replaced by their members with offsets from the outer struct, the way C
   * names them (`iph->saddr` lives in an anonymous union in recent kernels).
   */
  flatten?: boolean;
}

const MODIFIERS = new Set<number>([BTF_KIND.TYPEDEF, BTF_KIND.VOLATILE, BTF_KIND.CONST, BTF_KIND.RESTRICT, BTF_KIND.TYPE_TAG]);
// Deeper chains of typedefs, modifiers, arrays and pointers than this mean a malformed (cyclic) BTF.
const MAX_DEPTH = 64;

export interface DatasecVariable {
  name: string;
  offset: number;
  size: number;
}

export class Btf {
  private static kernel: Btf | undefined;
  // One entry per type id, in typed arrays: vmlinux has over 100k types and most are never asked for.
  private kinds!: Uint8Array;
  private vlens!: Uint16Array;
  private sizes!: Uint32Array;
  private nameOffs!: Uint32Array;
  private extras!: Uint32Array;
  private count = 0;
  private strOff = 0;
  private strLen = 0;
  private readonly byKind = new Map<number, Map<string, number>>();
  private readonly view: DataView;
  private readonly decoder = new TextDecoder();

  private constructor(
    private readonly bytes: Uint8Array,
    /** For split BTF (a module's): the BTF its names go on from. */
    private readonly base?: Btf,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.parse();
  }

  static vmlinux(path = '/sys/kernel/btf/vmlinux'): Btf {
    if (!Btf.kernel) Btf.kernel = new Btf(readFileSync(path));
    return Btf.kernel;
  }

  /** Drops the kept kernel BTF (several MB): the next vmlinux() reads it again. */
  static forgetVmlinux(): void {
    Btf.kernel = undefined;
  }

  static parse(bytes: Uint8Array): Btf {
    return new Btf(bytes);
  }

  /**
   * A loaded module's BTF (/sys/kernel/btf/<module>), split from the kernel's: its string offsets go
   * on from the kernel's strings. Names and enums are read (a module's own drop reasons, say); its
   * type ids go on from the kernel's too, so a member's type is not looked up here. Undefined when
   * the module is not loaded or has no BTF.
   */
  static module(name: string, base: Btf = Btf.vmlinux()): Btf | undefined {
    const path = `/sys/kernel/btf/${name}`;
    if (name === 'vmlinux' || !existsSync(path)) return undefined;
    return Btf.parseSplit(readFileSync(path), base);
  }

  /** Split BTF over `base` (Btf.module). */
  static parseSplit(bytes: Uint8Array, base: Btf): Btf {
    return new Btf(bytes, base);
  }

  /** Where a name offset points: the base's strings below their end, else this blob's own. */
  private strAt(off: number): { btf: Btf; off: number } {
    const b = this.base;
    return b && off < b.strLen + b.baseStrLen() ? b.strAt(off) : { btf: this, off: off - this.baseStrLen() };
  }

  private baseStrLen(): number {
    return this.base ? this.base.strLen + this.base.baseStrLen() : 0;
  }

  private parse(): void {
    const v = this.view;
    if (v.byteLength < 24 || v.getUint16(0, true) !== 0xeb9f) throw new Error('not BTF (bad magic)');
    const hdrLen = v.getUint32(4, true);
    const typeOff = hdrLen + v.getUint32(8, true);
    const typeLen = v.getUint32(12, true);
    this.strOff = hdrLen + v.getUint32(16, true);
    this.strLen = v.getUint32(20, true);
    // Every type is at least 12 bytes: an upper bound for the arrays.
    const max = Math.floor(typeLen / 12) + 1;
    this.kinds = new Uint8Array(max);
    this.vlens = new Uint16Array(max);
    this.sizes = new Uint32Array(max);
    this.nameOffs = new Uint32Array(max);
    this.extras = new Uint32Array(max);
    let id = 1; // id 0 is void
    let p = typeOff;
    const end = typeOff + typeLen;
    while (p < end) {
      const info = v.getUint32(p + 4, true);
      const kind = (info >>> 24) & 0x1f;
      const vlen = info & 0xffff;
      this.nameOffs[id] = v.getUint32(p, true);
      this.kinds[id] = kind;
      this.vlens[id] = vlen;
      this.sizes[id] = v.getUint32(p + 8, true);
      this.extras[id] = p + 12;
      id++;
      p += 12 + extraSize(kind, vlen);
    }
    this.count = id;
  }

  private str(at: number): string {
    if (at === 0) return '';
    if (this.base) {
      const { btf, off } = this.strAt(at);
      if (btf !== this) return btf.str(off);
      return this.ownStr(off);
    }
    return this.ownStr(at);
  }

  private ownStr(off: number): string {
    const start = this.strOff + off;
    const limit = this.strOff + this.strLen;
    let end = start;
    while (end < limit && this.bytes[end] !== 0) end++;
    return this.decoder.decode(this.bytes.subarray(start, end));
  }

  /** Name → id for one kind, built the first time that kind is asked for. */
  private index(kind: number): Map<string, number> {
    let m = this.byKind.get(kind);
    if (!m) {
      m = new Map();
      for (let id = 1; id < this.count; id++) {
        if (this.kinds[id] !== kind || !this.nameOffs[id]) continue;
        const name = this.str(this.nameOffs[id]!);
        if (!m.has(name)) m.set(name, id);
      }
      this.byKind.set(kind, m);
    }
    return m;
  }

  /** The first type of this kind named `name`: a scan that compares bytes, so one question costs
   * no string per type (an index of every FUNC name would cost ~100 ms at every start). An index
   * already built for the kind answers instead. */
  private find(name: string, kind: number): number | undefined {
    const built = this.byKind.get(kind);
    if (built) return built.get(name);
    const want = new TextEncoder().encode(name);
    if (want.length === 0) return undefined;
    for (let id = 1; id < this.count; id++) {
      if (this.kinds[id] === kind && this.nameOffs[id] && this.nameIs(this.nameOffs[id]!, want)) return id;
    }
    return undefined;
  }

  /** Whether the string at `off` is exactly `want`. */
  private nameIs(at: number, want: Uint8Array): boolean {
    if (this.base) {
      const { btf, off } = this.strAt(at);
      return btf.ownNameIs(off, want);
    }
    return this.ownNameIs(at, want);
  }

  private ownNameIs(off: number, want: Uint8Array): boolean {
    const start = this.strOff + off;
    if (start + want.length >= this.strOff + this.strLen) return false;
    const b = this.bytes;
    if (b[start] !== want[0] || b[start + want.length] !== 0) return false;
    for (let i = 1; i < want.length; i++) if (b[start + i] !== want[i]) return false;
    return true;
  }

  /** Enumerator names by value, for ENUM and ENUM64 types. */
  enumValues(name: string): Map<number, string> | undefined {
    const id = this.find(name, BTF_KIND.ENUM) ?? this.find(name, BTF_KIND.ENUM64);
    if (id === undefined) return undefined;
    const out = new Map<number, string>();
    const kind = this.kinds[id]!;
    const step = kind === BTF_KIND.ENUM ? 8 : 12;
    const extra = this.extras[id]!;
    for (let i = 0; i < this.vlens[id]!; i++) {
      const at = extra + i * step;
      // ENUM64 values above 2^32 are kept as doubles (exact up to 2^53, enough for every kernel enum).
      const value = kind === BTF_KIND.ENUM ? this.view.getInt32(at + 4, true) : this.view.getUint32(at + 4, true) + this.view.getUint32(at + 8, true) * 2 ** 32;
      out.set(value, this.str(this.view.getUint32(at, true)));
    }
    return out;
  }

  /** Every enumerator of the enum (named or anonymous) that has one named `name`, by value
   * order of declaration: e.g. the softirq vectors from NR_SOFTIRQS. */
  enumContaining(name: string): { name: string; value: number }[] | undefined {
    const at = this.enumeratorAt(name);
    if (!at) return undefined;
    const [id] = at;
    const step = this.kinds[id] === BTF_KIND.ENUM ? 8 : 12;
    const members: { name: string; value: number }[] = [];
    for (let i = 0; i < this.vlens[id]!; i++) {
      const e = this.extras[id]! + i * step;
      members.push({ name: this.str(this.view.getUint32(e, true)), value: this.view.getInt32(e + 4, true) });
    }
    return members;
  }

  /** Value of an enumerator by its name in any enum, named or anonymous (the kernel keeps
   * constants such as NET_RX_SOFTIRQ in anonymous enums, which CO-RE cannot relocate). */
  enumerator(name: string): number | undefined {
    const at = this.enumeratorAt(name);
    return at ? this.view.getInt32(at[1] + 4, true) : undefined;
  }

  /** The first enum with an enumerator named `name`, and where that enumerator is: bytes compared,
   * no string made per enumerator. */
  private enumeratorAt(name: string): [id: number, at: number] | undefined {
    const want = new TextEncoder().encode(name);
    if (want.length === 0) return undefined;
    for (let id = 1; id < this.count; id++) {
      const kind = this.kinds[id];
      if (kind !== BTF_KIND.ENUM && kind !== BTF_KIND.ENUM64) continue;
      const step = kind === BTF_KIND.ENUM ? 8 : 12;
      for (let i = 0; i < this.vlens[id]!; i++) {
        const at = this.extras[id]! + i * step;
        if (this.nameIs(this.view.getUint32(at, true), want)) return [id, at];
      }
    }
    return undefined;
  }

  /** Names of every enum type, for finding subsystem drop-reason enums. */
  enumNames(): string[] {
    return [...this.index(BTF_KIND.ENUM).keys(), ...this.index(BTF_KIND.ENUM64).keys()];
  }

  hasType(name: string, kind?: 'struct' | 'union' | 'enum' | 'func' | 'typedef'): boolean {
    if (!kind) return Object.values(KIND_NAMES).some((k) => this.find(name, k) !== undefined) || this.find(name, BTF_KIND.ENUM64) !== undefined;
    const k = KIND_NAMES[kind]!;
    if (k === BTF_KIND.ENUM) return this.find(name, BTF_KIND.ENUM) !== undefined || this.find(name, BTF_KIND.ENUM64) !== undefined;
    return this.find(name, k) !== undefined;
  }

  /** Id of the first type of this kind named `name` (what a tracing program attaches by). */
  typeId(name: string, kind: 'struct' | 'union' | 'enum' | 'func' | 'typedef'): number | undefined {
    return this.find(name, KIND_NAMES[kind]!);
  }

  /** Size in bytes of a struct or union, for checking decoders against the object. */
  structSize(name: string): number | undefined {
    const id = this.find(name, BTF_KIND.STRUCT) ?? this.find(name, BTF_KIND.UNION);
    return id === undefined ? undefined : this.sizes[id];
  }

  /** Members of a struct or union (or a typedef of one) by name; undefined if there is none. */
  structMembers(name: string, opts: MemberOptions = {}): BtfMember[] | undefined {
    const id = this.find(name, BTF_KIND.STRUCT) ?? this.find(name, BTF_KIND.UNION) ?? this.find(name, BTF_KIND.TYPEDEF);
    return id === undefined ? undefined : this.typeMembers(id, opts);
  }

  /** Members of the struct or union with this type id (through typedefs and modifiers): nested and
   * anonymous structs are reached by the `type.id` of their member. Undefined for other kinds. */
  typeMembers(typeId: number, opts: MemberOptions = {}): BtfMember[] | undefined {
    if (!this.valid(typeId)) return undefined;
    const { id } = this.resolve(typeId);
    const kind = this.kinds[id];
    if (kind !== BTF_KIND.STRUCT && kind !== BTF_KIND.UNION) return undefined;
    return this.members(id, !!opts.flatten, 0);
  }

  private members(id: number, flatten: boolean, base: number): BtfMember[] {
    // kind_flag set: each offset packs the bitfield width in its top 8 bits. Unset (older pahole):
    // the offset is all bit offset, and a bitfield is an INT whose encoding narrows it.
    const packed = this.kindFlag(id);
    const out: BtfMember[] = [];
    for (let i = 0; i < this.vlens[id]!; i++) {
      const at = this.extras[id]! + i * 12;
      const name = this.str(this.view.getUint32(at, true));
      const typeId = this.view.getUint32(at + 4, true);
      const raw = this.view.getUint32(at + 8, true);
      let bitOffset = packed ? raw & 0xffffff : raw;
      let bitSize = packed ? raw >>> 24 : 0;
      const type = this.describe(typeId, 0);
      if (!packed && type.kind === 'int') {
        const enc = this.view.getUint32(this.extras[type.id]!, true);
        const intOffset = (enc >>> 16) & 0xff;
        const bits = enc & 0xff;
        if (intOffset !== 0 || bits !== type.size * 8) {
          bitOffset += intOffset;
          bitSize = bits;
        }
      }
      bitOffset += base;
      if (flatten && name === '' && (type.kind === 'struct' || type.kind === 'union')) {
        out.push(...this.members(type.id, true, bitOffset));
        continue;
      }
      out.push({ name, offset: Math.floor(bitOffset / 8), bitOffset, bitSize, size: type.size, type });
    }
    return out;
  }

  private valid(id: number): boolean {
    return Number.isInteger(id) && id > 0 && id < this.count;
  }

  private kindFlag(id: number): boolean {
    return this.view.getUint32(this.extras[id]! - 8, true) >>> 31 === 1;
  }

  /** Follows typedefs and modifiers to the type they name, keeping the outermost typedef's name. */
  private resolve(typeId: number): { id: number; typedef?: string } {
    let id = typeId;
    let typedef: string | undefined;
    for (let hops = 0; this.valid(id) && MODIFIERS.has(this.kinds[id]!); hops++) {
      if (hops > MAX_DEPTH) throw new Error(`BTF type ${typeId}: typedef or modifier cycle`);
      if (typedef === undefined && this.kinds[id] === BTF_KIND.TYPEDEF) typedef = this.str(this.nameOffs[id]!);
      id = this.sizes[id]!; // typedefs and modifiers keep their target in the size/type word
    }
    return typedef === undefined ? { id } : { id, typedef };
  }

  private describe(typeId: number, depth: number): BtfType {
    if (depth > MAX_DEPTH) throw new Error(`BTF type ${typeId}: nested too deep (cyclic?)`);
    const { id, typedef } = this.resolve(typeId);
    const t = (kind: BtfKindName, size: number, name = ''): BtfType => (typedef === undefined ? { id, kind, name, size } : { id, kind, name, typedef, size });
    if (id === 0) return t('void', 0);
    if (!this.valid(id)) return t('unknown', 0);
    const name = this.str(this.nameOffs[id]!);
    switch (this.kinds[id]) {
      case BTF_KIND.INT: {
        const enc = this.view.getUint32(this.extras[id]!, true);
        return { ...t('int', this.sizes[id]!, name), signed: ((enc >>> 24) & 1) === 1 };
      }
      case BTF_KIND.FLOAT:
        return t('float', this.sizes[id]!, name);
      case BTF_KIND.STRUCT:
        return t('struct', this.sizes[id]!, name);
      case BTF_KIND.UNION:
        return t('union', this.sizes[id]!, name);
      case BTF_KIND.ENUM:
      case BTF_KIND.ENUM64:
        return t('enum', this.sizes[id]!, name);
      case BTF_KIND.FWD:
        return t('fwd', 0, name);
      case BTF_KIND.FUNC_PROTO:
        return t('func_proto', 0);
      case BTF_KIND.PTR:
        return { ...t('ptr', 8), target: this.describe(this.sizes[id]!, depth + 1) };
      case BTF_KIND.ARRAY: {
        const at = this.extras[id]!;
        const element = this.describe(this.view.getUint32(at, true), depth + 1);
        const count = this.view.getUint32(at + 8, true);
        return { ...t('array', element.size * count), element, count };
      }
      default:
        return t('unknown', 0, name);
    }
  }

  /** How many arguments the function named `name` takes (its FUNC_PROTO's parameters). */
  funcParamCount(name: string): number | undefined {
    const id = this.find(name, BTF_KIND.FUNC);
    if (id === undefined) return undefined;
    const proto = this.sizes[id]!;
    return this.valid(proto) && this.kinds[proto] === BTF_KIND.FUNC_PROTO ? this.vlens[proto] : undefined;
  }

  funcNames(): Set<string> {
    return new Set(this.index(BTF_KIND.FUNC).keys());
  }

  datasecVariables(secName: string): DatasecVariable[] {
    const sec = this.find(secName, BTF_KIND.DATASEC);
    if (sec === undefined) return [];
    const out: DatasecVariable[] = [];
    const extra = this.extras[sec]!;
    for (let i = 0; i < this.vlens[sec]!; i++) {
      const at = extra + i * 12;
      const varId = this.view.getUint32(at, true);
      out.push({
        name: varId < this.count ? this.str(this.nameOffs[varId]!) : `var#${varId}`,
        offset: this.view.getUint32(at + 4, true),
        size: this.view.getUint32(at + 8, true),
      });
    }
    return out;
  }
}

function extraSize(kind: number, vlen: number): number {
  switch (kind) {
    case BTF_KIND.INT:
    case BTF_KIND.VAR:
    case BTF_KIND.DECL_TAG:
      return 4;
    case BTF_KIND.ARRAY:
      return 12;
    case BTF_KIND.STRUCT:
    case BTF_KIND.UNION:
    case BTF_KIND.DATASEC:
    case BTF_KIND.ENUM64:
      return 12 * vlen;
    case BTF_KIND.ENUM:
    case BTF_KIND.FUNC_PROTO:
      return 8 * vlen;
    default:
      return 0;
  }
}
