/**
 * Function symbols of an ELF64 file (executable or shared library): .symtab when the file keeps
 * it, else .dynsym, and the PT_LOAD segments that turn a file offset into the address the symbols
 * use. Little-endian x86-64 and arm64, which is what this toolkit runs on.
 *
 * Only the headers, the symbol table and its strings are read (not the whole file: a node binary
 * is ~100 MB), and symbols are kept in sorted typed arrays with their names as offsets into one
 * byte buffer of function names, sliced into a string only when a lookup returns one.
 */
import { closeSync, openSync, readSync } from 'node:fs';

const SHT_SYMTAB = 2;
const SHT_DYNSYM = 11;
const STT_FUNC = 2;
const STT_GNU_IFUNC = 10;
const PT_LOAD = 1;

export interface ElfSymbol {
  name: string;
  addr: bigint;
  size: bigint;
}

interface Segment {
  offset: bigint;
  vaddr: bigint;
  filesz: bigint;
}

/** Reads `len` bytes at `at`, from a file or from bytes already in memory. */
type Reader = (at: number, len: number) => Buffer;

export class ElfSymbols {
  /** Sorted by address; exact as doubles (user-space addresses are below 2^53). */
  private readonly addrs: Float64Array;
  private readonly sizes: Float64Array;
  private readonly nameStart: Uint32Array;
  private readonly nameEnd: Uint32Array;
  private readonly names: Buffer;
  private readonly segments: Segment[];

  private constructor(addrs: Float64Array, sizes: Float64Array, nameStart: Uint32Array, nameEnd: Uint32Array, names: Buffer, segments: Segment[]) {
    this.addrs = addrs;
    this.sizes = sizes;
    this.nameStart = nameStart;
    this.nameEnd = nameEnd;
    this.names = names;
    this.segments = segments;
  }

  static fromFile(path: string): ElfSymbols {
    const fd = openSync(path, 'r');
    try {
      return ElfSymbols.read((at, len) => {
        const b = Buffer.alloc(len);
        let got = 0;
        while (got < len) {
          const n = readSync(fd, b, got, len - got, at + got);
          if (n === 0) break;
          got += n;
        }
        return got === len ? b : b.subarray(0, got);
      });
    } finally {
      closeSync(fd);
    }
  }

  static parse(b: Buffer): ElfSymbols {
    return ElfSymbols.read((at, len) => b.subarray(at, at + len));
  }

  private static read(read: Reader): ElfSymbols {
    const h = read(0, 64);
    if (h.length < 64 || h.readUInt32BE(0) !== 0x7f454c46) throw new Error('not an ELF file');
    if (h[4] !== 2 || h[5] !== 1) throw new Error('not a little-endian 64-bit ELF file');
    const phoff = Number(h.readBigUInt64LE(32));
    const shoff = Number(h.readBigUInt64LE(40));
    const phentsize = h.readUInt16LE(54);
    const phnum = h.readUInt16LE(56);
    const shentsize = h.readUInt16LE(58);
    const shnum = h.readUInt16LE(60);
    const segments: Segment[] = [];
    const ph = read(phoff, phnum * phentsize);
    for (let i = 0; i < phnum; i++) {
      const at = i * phentsize;
      if (at + 56 > ph.length || ph.readUInt32LE(at) !== PT_LOAD) continue;
      segments.push({ offset: ph.readBigUInt64LE(at + 8), vaddr: ph.readBigUInt64LE(at + 16), filesz: ph.readBigUInt64LE(at + 32) });
    }
    const sh = read(shoff, shnum * shentsize);
    const sections = Array.from({ length: Math.floor(sh.length / shentsize) }, (_, i) => {
      const at = i * shentsize;
      return {
        type: sh.readUInt32LE(at + 4),
        offset: Number(sh.readBigUInt64LE(at + 24)),
        size: Number(sh.readBigUInt64LE(at + 32)),
        link: sh.readUInt32LE(at + 40),
        entsize: Number(sh.readBigUInt64LE(at + 56)),
      };
    });
    const table = sections.find((s) => s.type === SHT_SYMTAB) ?? sections.find((s) => s.type === SHT_DYNSYM);
    if (!table || table.entsize < 24 || !sections[table.link]) return ElfSymbols.sorted([], [], [], [], Buffer.alloc(0), segments);
    const syms = read(table.offset, table.size);
    const strtab = read(sections[table.link]!.offset, sections[table.link]!.size);
    const addrs: number[] = [];
    const sizes: number[] = [];
    const starts: number[] = [];
    const ends: number[] = [];
    for (let at = 0; at + 24 <= syms.length; at += table.entsize) {
      const type = syms[at + 4]! & 0xf;
      if (type !== STT_FUNC && type !== STT_GNU_IFUNC) continue;
      const value = Number(syms.readBigUInt64LE(at + 8));
      if (value === 0) continue;
      const nameAt = syms.readUInt32LE(at);
      const end = strtab.indexOf(0, nameAt);
      addrs.push(value);
      sizes.push(Number(syms.readBigUInt64LE(at + 16)));
      starts.push(nameAt);
      ends.push(end < 0 ? nameAt : end);
    }
    return ElfSymbols.sorted(addrs, sizes, starts, ends, strtab, segments);
  }

  /** Sorts by address and copies the function names (only) into one compact buffer. */
  private static sorted(addrs: number[], sizes: number[], starts: number[], ends: number[], strtab: Buffer, segments: Segment[]): ElfSymbols {
    const order = Uint32Array.from(addrs.keys()).sort((x, y) => addrs[x]! - addrs[y]!);
    let total = 0;
    for (let i = 0; i < order.length; i++) total += ends[order[i]!]! - starts[order[i]!]!;
    const names = Buffer.allocUnsafe(total);
    const a = new Float64Array(order.length);
    const s = new Float64Array(order.length);
    const ns = new Uint32Array(order.length);
    const ne = new Uint32Array(order.length);
    let at = 0;
    for (let k = 0; k < order.length; k++) {
      const i = order[k]!;
      a[k] = addrs[i]!;
      s[k] = sizes[i]!;
      ns[k] = at;
      at += strtab.copy(names, at, starts[i]!, ends[i]!);
      ne[k] = at;
    }
    return new ElfSymbols(a, s, ns, ne, names, segments);
  }

  get size(): number {
    return this.addrs.length;
  }

  private name(k: number): string {
    return this.names.toString('utf8', this.nameStart[k], this.nameEnd[k]);
  }

  /** The symbol address of a byte at `fileOffset` in the file, through its PT_LOAD segment. */
  addressOf(fileOffset: bigint): bigint | undefined {
    const s = this.segments.find((x) => fileOffset >= x.offset && fileOffset < x.offset + x.filesz);
    return s ? fileOffset - s.offset + s.vaddr : undefined;
  }

  /** The file offset of a symbol address: what a uprobe on it is attached by. */
  fileOffsetOf(addr: bigint): bigint | undefined {
    const s = this.segments.find((x) => addr >= x.vaddr && addr < x.vaddr + x.filesz);
    return s ? addr - s.vaddr + s.offset : undefined;
  }

  /** The function containing `addr` (a symbol address), and the offset into it. */
  lookup(addr: bigint): { name: string; offset: bigint } | undefined {
    const x = Number(addr);
    let lo = 0;
    let hi = this.addrs.length - 1;
    let best = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.addrs[mid]! <= x) {
        best = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    if (best < 0) return undefined;
    const start = this.addrs[best]!;
    const size = this.sizes[best]!;
    // Symbols without a size (hand-written assembly) cover up to the next one.
    if (size && x >= start + size) return undefined;
    return { name: this.name(best), offset: addr - BigInt(start) };
  }

  find(name: string): ElfSymbol | undefined {
    const want = Buffer.from(name, 'utf8');
    for (let k = 0; k < this.addrs.length; k++) {
      if (this.nameEnd[k]! - this.nameStart[k]! === want.length && this.names.compare(want, 0, want.length, this.nameStart[k], this.nameEnd[k]) === 0) {
        return { name, addr: BigInt(this.addrs[k]!), size: BigInt(this.sizes[k]!) };
      }
    }
    return undefined;
  }
}
