/**
 * C structs shared with BPF programs, declared once in TypeScript as their members in C order.
 * Offsets are computed by C's alignment rules, never written by hand, and `checkLayout` compares
 * every member (name, offset, size, array length, nested struct) with the BTF of the built
 * object: a member moved in C fails that check instead of decoding the wrong bytes.
 */
import { CStringCache } from '../packet/c-string.ts';

export type Scalar = 'u8' | 'u16' | 'u32' | 'u64' | 's8' | 's16' | 's32' | 's64';

/** What a member decodes to in TypeScript. */
export type FieldType =
  | Scalar
  /** Raw bytes (addresses, captured headers): a view of the record, valid while its buffer is
   * (a ring record's memory is reused once its callback returns: copy what must outlive it). */
  | { readonly bytes: number }
  /** A NUL-terminated char array, as text. */
  | { readonly chars: number }
  /** An array of scalars. */
  | { readonly array: Scalar; readonly length: number }
  | StructLayout<Fields>;

export type Fields = { readonly [name: string]: FieldType };

type Value<T> = T extends 'u64' | 's64'
  ? bigint
  : T extends Scalar
    ? number
    : T extends { bytes: number }
      ? Uint8Array
      : T extends { chars: number }
        ? string
        : T extends { array: 'u64' | 's64' }
          ? bigint[]
          : T extends { array: Scalar }
            ? number[]
            : T extends StructLayout<infer F>
              ? Decoded<F>
              : never;

export type Decoded<F extends Fields> = { -readonly [K in keyof F]: Value<F[K]> };

export interface Member {
  readonly name: string;
  readonly type: FieldType;
  readonly offset: number;
  readonly size: number;
}

const utf8 = new TextEncoder();

const SCALAR_SIZE: Record<Scalar, number> = { u8: 1, u16: 2, u32: 4, u64: 8, s8: 1, s16: 2, s32: 4, s64: 8 };

function sizeAlign(t: FieldType): { size: number; align: number } {
  if (typeof t === 'string') return { size: SCALAR_SIZE[t], align: SCALAR_SIZE[t] };
  if (t instanceof StructLayout) return { size: t.size, align: t.align };
  if ('bytes' in t) return { size: t.bytes, align: 1 };
  if ('chars' in t) return { size: t.chars, align: 1 };
  return { size: SCALAR_SIZE[t.array] * t.length, align: SCALAR_SIZE[t.array] };
}

const GETTER: Record<Scalar, string> = {
  u8: 'getUint8',
  s8: 'getInt8',
  u16: 'getUint16',
  s16: 'getInt16',
  u32: 'getUint32',
  s32: 'getInt32',
  u64: 'getBigUint64',
  s64: 'getBigInt64',
};

/**
 * A decoder compiled for one struct: one function reading each member at its constant offset,
 * the way generated code would (a loop over members costs several times more per record, which
 * matters for details tools at a million events a second).
 */
function compile(members: readonly Member[]): (v: DataView, base: number) => unknown {
  const deps: unknown[] = [];
  const dep = (x: unknown) => `d${deps.push(x) - 1}`;
  const scalar = (t: Scalar, at: string) => (t === 'u8' || t === 's8' ? `v.${GETTER[t]}(${at})` : `v.${GETTER[t]}(${at}, true)`);
  const expr = (t: FieldType, off: number): string => {
    const at = `b + ${off}`;
    if (typeof t === 'string') return scalar(t, at);
    if (t instanceof StructLayout) return `${dep(t)}.read(v, ${at})`;
    if ('bytes' in t) return `u.subarray(${at}, ${at} + ${t.bytes})`;
    // Names repeat from record to record: each char member keeps its last few strings.
    if ('chars' in t) return `${dep(new CStringCache(t.chars))}.at(u, ${at})`;
    const step = SCALAR_SIZE[t.array];
    // Arrays of 64-bit counts (histogram slots) are mostly zeros: one shared 0n for those instead
    // of a BigInt each, which is most of the memory a table of histogram rows holds once decoded.
    const big = t.array === 'u64' || t.array === 's64';
    const item = (o: string) => (big ? `((v.getUint32(${o}, true) | v.getUint32(${o} + 4, true)) === 0 ? 0n : ${scalar(t.array, o)})` : scalar(t.array, o));
    return `[${Array.from({ length: t.length }, (_, i) => item(`${at} + ${i * step}`)).join(', ')}]`;
  };
  const body = `return { ${members.map((m) => `${JSON.stringify(m.name)}: ${expr(m.type, m.offset)}`).join(', ')} };`;
  const names = deps.map((_, i) => `d${i}`);
  // One byte view per buffer read from (a ring's data area is one buffer for its whole life), not
  // one per member per record.
  const bytesOf = members.some((m) => typeof m.type !== 'string' && !(m.type instanceof StructLayout) && ('bytes' in m.type || 'chars' in m.type));
  const prologue = bytesOf ? 'if (v !== lastV) { lastV = v; lastU = new Uint8Array(v.buffer, v.byteOffset, v.byteLength); } const u = lastU;' : '';
  return new Function(...names, `let lastV, lastU; return function read(v, b) { ${prologue} ${body} };`)(...deps) as (v: DataView, base: number) => unknown;
}

type Writer = (v: DataView, base: number, value: unknown) => void;

function writer(t: FieldType, off: number): Writer {
  if (typeof t === 'string') {
    const big = t === 'u64' || t === 's64';
    const set = {
      u8: 'setUint8',
      s8: 'setInt8',
      u16: 'setUint16',
      s16: 'setInt16',
      u32: 'setUint32',
      s32: 'setInt32',
      u64: 'setBigUint64',
      s64: 'setBigInt64',
    }[t] as 'setUint32';
    return (v, b, x) => (v[set] as (o: number, x: unknown, le: boolean) => void).call(v, b + off, big ? BigInt(x as bigint) : x, true);
  }
  if (t instanceof StructLayout) return (v, b, x) => t.write(v, b + off, x as Partial<Decoded<Fields>>);
  if ('bytes' in t || 'chars' in t) {
    const n = 'bytes' in t ? t.bytes : t.chars;
    return (v, b, x) => {
      const src = typeof x === 'string' ? utf8.encode(x) : (x as Uint8Array);
      new Uint8Array(v.buffer, v.byteOffset + b + off, n).set(src.subarray(0, 'chars' in t ? n - 1 : n));
    };
  }
  const one = writer(t.array, 0);
  const step = SCALAR_SIZE[t.array];
  return (v, b, x) => (x as unknown[]).forEach((e, i) => i < t.length && one(v, b + off + i * step, e));
}

export class StructLayout<F extends Fields> {
  readonly members: readonly Member[];
  readonly size: number;
  readonly align: number;
  private readonly reader: (v: DataView, base: number) => unknown;
  private readonly writers: Map<string, Writer>;

  constructor(
    /** The C name, without `struct`. */
    readonly cName: string,
    readonly fields: F,
  ) {
    let off = 0;
    let align = 1;
    const members: Member[] = [];
    for (const [name, type] of Object.entries(fields)) {
      const sa = sizeAlign(type);
      off = Math.ceil(off / sa.align) * sa.align;
      members.push({ name, type, offset: off, size: sa.size });
      off += sa.size;
      align = Math.max(align, sa.align);
    }
    this.members = members;
    this.align = align;
    this.size = Math.ceil(off / align) * align;
    this.reader = compile(members);
    this.writers = new Map(members.map((m) => [m.name, writer(m.type, m.offset)]));
  }

  member(name: keyof F & string): Member {
    return this.members.find((m) => m.name === name)!;
  }

  offsetOf(name: keyof F & string): number {
    return this.member(name).offset;
  }

  /** Decodes one struct at `base` of a view. */
  read(v: DataView, base = 0): Decoded<F> {
    return this.reader(v, base) as Decoded<F>;
  }

  /** Decodes a whole record (a map key or value, a ring record) of exactly this size. */
  decode(bytes: Uint8Array | DataView): Decoded<F> {
    if (bytes.byteLength !== this.size) throw new Error(`struct ${this.cName} is ${bytes.byteLength} bytes, the decoder expects ${this.size}`);
    return this.read(bytes instanceof DataView ? bytes : new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }

  write(v: DataView, base: number, values: Partial<Decoded<F>>): void {
    for (const [name, x] of Object.entries(values)) if (x !== undefined) this.writers.get(name)!(v, base, x);
  }

  /** The bytes of one struct, zero where a member is not given. */
  encode(values: Partial<Decoded<F>>): Uint8Array {
    const b = new Uint8Array(this.size);
    this.write(new DataView(b.buffer), 0, values);
    return b;
  }
}

/** Declares `struct cName` by its members in C order. */
export function struct<F extends Fields>(cName: string, fields: F): StructLayout<F> {
  return new StructLayout(cName, fields);
}

export const bytes = (n: number) => ({ bytes: n }) as const;
export const chars = (n: number) => ({ chars: n }) as const;
export const array = <S extends Scalar>(of: S, length: number) => ({ array: of, length }) as const;
