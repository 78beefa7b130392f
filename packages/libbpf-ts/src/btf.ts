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

interface RawType {
  name: string;
  kind: number;
  vlen: number;
  sizeOrType: number;
  /** Byte offset of the kind-specific data that follows the 12-byte common header. */
  extra: number;
}

export interface DatasecVariable {
  name: string;
  offset: number;
  size: number;
}

export class Btf {
  private static kernel: Btf | undefined;
  private readonly types: RawType[] = [];
  private readonly byName = new Map<string, number[]>();
  private readonly view: DataView;

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
    const strOff = hdrLen + v.getUint32(16, true);
    const strLen = v.getUint32(20, true);
    const strings = this.bytes.subarray(strOff, strOff + strLen);
    const decoder = new TextDecoder();
    const str = (off: number): string => {
      if (off === 0) return '';
      let end = off;
      while (end < strings.length && strings[end] !== 0) end++;
      return decoder.decode(strings.subarray(off, end));
    };
    this.strAt = str;
    this.types.push({ name: '', kind: 0, vlen: 0, sizeOrType: 0, extra: 0 }); // id 0 is void
    let p = typeOff;
    const end = typeOff + typeLen;
    while (p < end) {
      const nameOff = v.getUint32(p, true);
      const info = v.getUint32(p + 4, true);
      const kind = (info >>> 24) & 0x1f;
      const vlen = info & 0xffff;
      const t: RawType = { name: '', kind, vlen, sizeOrType: v.getUint32(p + 8, true), extra: p + 12 };
      const id = this.types.length;
      this.types.push(t);
      p += 12 + extraSize(kind, vlen);
      if (nameOff) {
        const name = str(nameOff);
        t.name = name;
        const ids = this.byName.get(name);
        if (ids) ids.push(id);
        else this.byName.set(name, [id]);
      }
    }
  }

  private strAt: (off: number) => string = () => '';

  private find(name: string, kind: number): RawType | undefined {
    for (const id of this.byName.get(name) ?? []) {
      const t = this.types[id]!;
      if (t.kind === kind) return t;
    }
    return undefined;
  }

  /** Enumerator names by value, for ENUM and ENUM64 types. */
  enumValues(name: string): Map<number, string> | undefined {
    const t = this.find(name, BTF_KIND.ENUM) ?? this.find(name, BTF_KIND.ENUM64);
    if (!t) return undefined;
    const out = new Map<number, string>();
    const step = t.kind === BTF_KIND.ENUM ? 8 : 12;
    for (let i = 0; i < t.vlen; i++) {
      const at = t.extra + i * step;
      // ENUM64 values above 2^32 are kept as doubles (exact up to 2^53, enough for every kernel enum).
      const value = t.kind === BTF_KIND.ENUM ? this.view.getInt32(at + 4, true) : this.view.getUint32(at + 4, true) + this.view.getUint32(at + 8, true) * 2 ** 32;
      out.set(value, this.strAt(this.view.getUint32(at, true)));
    }
    return out;
  }

  /** Names of every enum type, for finding subsystem drop-reason enums. */
  enumNames(): string[] {
    return this.types.filter((t) => (t.kind === BTF_KIND.ENUM || t.kind === BTF_KIND.ENUM64) && t.name).map((t) => t.name);
  }

  hasType(name: string, kind?: 'struct' | 'union' | 'enum' | 'func' | 'typedef'): boolean {
    if (!kind) return this.byName.has(name);
    const k = KIND_NAMES[kind]!;
    if (k === BTF_KIND.ENUM) return !!(this.find(name, BTF_KIND.ENUM) ?? this.find(name, BTF_KIND.ENUM64));
    return !!this.find(name, k);
  }

  /** Size in bytes of a struct or union, for checking decoders against the object. */
  structSize(name: string): number | undefined {
    return (this.find(name, BTF_KIND.STRUCT) ?? this.find(name, BTF_KIND.UNION))?.sizeOrType;
  }

  funcNames(): Set<string> {
    return new Set(this.types.filter((t) => t.kind === BTF_KIND.FUNC).map((t) => t.name));
  }

  datasecVariables(secName: string): DatasecVariable[] {
    const sec = this.find(secName, BTF_KIND.DATASEC);
    if (!sec) return [];
    const out: DatasecVariable[] = [];
    for (let i = 0; i < sec.vlen; i++) {
      const at = sec.extra + i * 12;
      const varId = this.view.getUint32(at, true);
      const varType = this.types[varId];
      out.push({
        name: varType?.name ?? `var#${varId}`,
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
