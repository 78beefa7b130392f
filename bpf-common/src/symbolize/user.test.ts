import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ElfSymbols } from './elf.ts';
import { parseMaps, UserSymbolizer } from './user.ts';

const self = parseMaps(readFileSync('/proc/self/maps', 'utf8'));
const libc = self.find((m) => /\/libc\.so\.6$/.test(m.path) || /\/libc-[\d.]+\.so$/.test(m.path));

describe('user symbols', () => {
  it('reads executable mappings', () => {
    expect(parseMaps('7f00-7f80 r-xp 00001000 08:01 12 /usr/lib/libz.so.1\n7f80-7f90 rw-p 00000000 00:00 0 \n')).toEqual([
      { start: 0x7f00n, end: 0x7f80n, offset: 0x1000n, path: '/usr/lib/libz.so.1' },
    ]);
    expect(self.some((m) => m.path === process.execPath || m.path.endsWith('/node'))).toBe(true);
  });

  it.runIf(libc !== undefined)('names a libc function from an address in this process', () => {
    const elf = ElfSymbols.fromFile(libc!.path);
    const fn = elf.find('clock_nanosleep') ?? elf.find('nanosleep')!;
    expect(fn).toBeDefined();
    // The address the function has in this process: its symbol address through the load segments.
    let fileOffset: bigint | undefined;
    for (let off = libc!.offset; off < libc!.offset + (libc!.end - libc!.start); off += 0x1000n) {
      const at = elf.addressOf(off);
      if (at !== undefined && at <= fn.addr && fn.addr < at + 0x1000n) {
        fileOffset = off + (fn.addr - at);
        break;
      }
    }
    expect(fileOffset).toBeDefined();
    const addr = libc!.start + (fileOffset! - libc!.offset) + 4n;
    expect(new UserSymbolizer().symbolize(process.pid, addr)).toBe(`${fn.name}+0x4`);
  });

  it('an address in no mapping stays an address; one without a symbol is module+offset', () => {
    const u = new UserSymbolizer();
    expect(u.symbolize(process.pid, 0x10n)).toBe('0x10');
    const anon = self.find((m) => !m.path.startsWith('/') && m.path !== '');
    if (anon) expect(u.symbolize(process.pid, anon.start)).toBe(`${anon.path}+0x${anon.offset.toString(16)}`);
  });

  it('refuses what is not ELF', () => {
    expect(() => ElfSymbols.parse(Buffer.from('not an elf file at all, really not at all....................................'))).toThrow(/not an ELF/);
  });
});
