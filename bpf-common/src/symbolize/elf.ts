/**
 * Function symbols of an ELF64 file (executable or shared library): .symtab when the file keeps
 * it, else .dynsym, and the PT_LOAD segments that turn a file offset into the address the symbols
 * use. Little-endian x86-64 and arm64, which is what this toolkit runs on.
 */
import { readFileSync } from 'node:fs';

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

export class ElfSymbols {
  /** Sorted by address. */
  private readonly syms: ElfSymbol[];
  private readonly segments: Segment[];

  private constructor(syms: ElfSymbol[], segments: Segment[]) {
    this.syms = syms.sort((a, b) => (a.addr < b.addr ? -1 : a.addr > b.addr ? 1 : 0));
    this.segments = segments;
  }

  static fromFile(path: string): ElfSymbols {
    return ElfSymbols.parse(readFileSync(path));
  }

  static parse(b: Buffer): ElfSymbols {
    if (b.length < 64 || b.readUInt32BE(0) !== 0x7f454c46) throw new Error('not an ELF file');
    if (b[4] !== 2 || b[5] !== 1) throw new Error('not a little-endian 64-bit ELF file');
    const phoff = b.readBigUInt64LE(32);
    const shoff = Number(b.readBigUInt64LE(40));
    const phentsize = b.readUInt16LE(54);
    const phnum = b.readUInt16LE(56);
    const shentsize = b.readUInt16LE(58);
    const shnum = b.readUInt16LE(60);
    const segments: Segment[] = [];
    for (let i = 0; i < phnum; i++) {
      const at = Number(phoff) + i * phentsize;
      if (at + 56 > b.length || b.readUInt32LE(at) !== PT_LOAD) continue;
      segments.push({ offset: b.readBigUInt64LE(at + 8), vaddr: b.readBigUInt64LE(at + 16), filesz: b.readBigUInt64LE(at + 32) });
    }
    const sections = Array.from({ length: shnum }, (_, i) => {
      const at = shoff + i * shentsize;
      return {
        type: b.readUInt32LE(at + 4),
        offset: Number(b.readBigUInt64LE(at + 24)),
        size: Number(b.readBigUInt64LE(at + 32)),
        link: b.readUInt32LE(at + 40),
        entsize: Number(b.readBigUInt64LE(at + 56)),
      };
    });
    const table = sections.find((s) => s.type === SHT_SYMTAB) ?? sections.find((s) => s.type === SHT_DYNSYM);
    const syms: ElfSymbol[] = [];
    if (table && table.entsize >= 24) {
      const strtab = sections[table.link]!;
      for (let at = table.offset; at + 24 <= table.offset + table.size; at += table.entsize) {
        const type = b[at + 4]! & 0xf;
        const value = b.readBigUInt64LE(at + 8);
        if ((type !== STT_FUNC && type !== STT_GNU_IFUNC) || value === 0n) continue;
        const nameAt = strtab.offset + b.readUInt32LE(at);
        const end = b.indexOf(0, nameAt);
        syms.push({ name: b.toString('utf8', nameAt, end < 0 ? nameAt : end), addr: value, size: b.readBigUInt64LE(at + 16) });
      }
    }
    return new ElfSymbols(syms, segments);
  }

  get size(): number {
    return this.syms.length;
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
    let lo = 0;
    let hi = this.syms.length - 1;
    let best = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.syms[mid]!.addr <= addr) {
        best = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    if (best < 0) return undefined;
    const s = this.syms[best]!;
    // Symbols without a size (hand-written assembly) cover up to the next one.
    if (s.size && addr >= s.addr + s.size) return undefined;
    return { name: s.name, offset: addr - s.addr };
  }

  find(name: string): ElfSymbol | undefined {
    return this.syms.find((s) => s.name === name);
  }
}
