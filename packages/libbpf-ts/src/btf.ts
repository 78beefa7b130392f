/**
 * A pure TypeScript reader of raw BTF (the kernel's /sys/kernel/btf/vmlinux or an object's .BTF):
 * enums for drop-reason names, datasec variables for rodata, and type/function presence for
 * flavour choice. Parsed once, lazily: vmlinux BTF is several MB.
 */
import { readFileSync } from 'node:fs';

export const BTF_KIND = {
  INT: 1, PTR: 2, ARRAY: 3, STRUCT: 4, UNION: 5, ENUM: 6, FWD: 7, TYPEDEF: 8, VOLATILE: 9, CONST: 10,
  RESTRICT: 11, FUNC: 12, FUNC_PROTO: 13, VAR: 14, DATASEC: 15, FLOAT: 16, DECL_TAG: 17, TYPE_TAG: 18, ENUM64: 19,
} as const;

const KIND_NAMES: Record<string, number> = {
  struct: BTF_KIND.STRUCT, union: BTF_KIND.UNION, enum: BTF_KIND.ENUM, func: BTF_KIND.FUNC, typedef: BTF_KIND.TYPEDEF,
};

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

  private constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.parse();
  }

  static vmlinux(path = '/sys/kernel/btf/vmlinux'): Btf {
    if (!Btf.kernel) Btf.kernel = new Btf(readFileSync(path));
    return Btf.kernel;
  }

  static parse(bytes: Uint8Array): Btf {
    return new Btf(bytes);
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

  private str(off: number): string {
    if (off === 0) return '';
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

  private find(name: string, kind: number): number | undefined {
    return this.index(kind).get(name);
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
    for (let id = 1; id < this.count; id++) {
      const kind = this.kinds[id];
      if (kind !== BTF_KIND.ENUM && kind !== BTF_KIND.ENUM64) continue;
      const step = kind === BTF_KIND.ENUM ? 8 : 12;
      const members: { name: string; value: number }[] = [];
      for (let i = 0; i < this.vlens[id]!; i++) {
        const at = this.extras[id]! + i * step;
        members.push({ name: this.str(this.view.getUint32(at, true)), value: this.view.getInt32(at + 4, true) });
      }
      if (members.some((m) => m.name === name)) return members;
    }
    return undefined;
  }

  /** Value of an enumerator by its name in any enum, named or anonymous (the kernel keeps
   * constants such as NET_RX_SOFTIRQ in anonymous enums, which CO-RE cannot relocate). */
  enumerator(name: string): number | undefined {
    for (let id = 1; id < this.count; id++) {
      const kind = this.kinds[id];
      if (kind !== BTF_KIND.ENUM && kind !== BTF_KIND.ENUM64) continue;
      const step = kind === BTF_KIND.ENUM ? 8 : 12;
      for (let i = 0; i < this.vlens[id]!; i++) {
        const at = this.extras[id]! + i * step;
        if (this.str(this.view.getUint32(at, true)) === name) return this.view.getInt32(at + 4, true);
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

  /** Size in bytes of a struct or union, for checking decoders against the object. */
  structSize(name: string): number | undefined {
    const id = this.find(name, BTF_KIND.STRUCT) ?? this.find(name, BTF_KIND.UNION);
    return id === undefined ? undefined : this.sizes[id];
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
