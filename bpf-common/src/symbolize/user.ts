/**
 * User addresses of one process → `symbol+0xoff` (or `module+0xoff` when the file has no symbol
 * there), from its /proc/PID/maps and the ELF symbol tables of the files mapped. Read while the
 * process lives; files are parsed once and shared between processes.
 */
import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { ElfSymbols } from './elf.ts';

export interface Mapping {
  start: bigint;
  end: bigint;
  offset: bigint;
  path: string;
}

/** Executable mappings of a /proc/PID/maps text. */
export function parseMaps(text: string): Mapping[] {
  const out: Mapping[] = [];
  for (const line of text.split('\n')) {
    // 7f2c1c000000-7f2c1c021000 r-xp 00000000 08:01 1234   /usr/lib/x86_64-linux-gnu/libc.so.6
    const m = /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) ([0-9a-f]+) \S+ \d+\s+(.*)$/.exec(line);
    if (!m || m[3]![2] !== 'x') continue;
    out.push({ start: BigInt(`0x${m[1]}`), end: BigInt(`0x${m[2]}`), offset: BigInt(`0x${m[4]}`), path: m[5]!.trim() });
  }
  return out;
}

/** Parsed files by device and inode: one parse per file, shared by every process that maps it,
 * and never confused by two containers with different files at one path. */
const files = new Map<string, ElfSymbols | null>();

function symbolsOf(pid: number, path: string): ElfSymbols | null {
  if (!path.startsWith('/')) return null;
  // Through the process's root while it runs (a file in a container is the right one); the path
  // as this host sees it once the process is gone.
  let p = '';
  let key = '';
  for (const candidate of [`/proc/${pid}/root${path}`, path]) {
    try {
      const st = statSync(candidate);
      [p, key] = [candidate, `${st.dev}:${st.ino}`];
      break;
    } catch {
      // next
    }
  }
  if (!p) return null;
  if (!files.has(key)) {
    try {
      files.set(key, ElfSymbols.fromFile(p));
    } catch {
      files.set(key, null);
    }
  }
  return files.get(key)!;
}

export class UserSymbolizer {
  private readonly maps = new Map<number, Mapping[] | null>();

  /** Reads the process's mappings now (call while it runs; a gone process gives addresses). */
  remember(pid: number): void {
    if (this.maps.has(pid)) return;
    try {
      this.maps.set(pid, parseMaps(readFileSync(`/proc/${pid}/maps`, 'utf8')));
    } catch {
      this.maps.set(pid, null);
    }
  }

  symbolize(pid: number, addr: bigint): string {
    this.remember(pid);
    const m = this.maps.get(pid)?.find((x) => addr >= x.start && addr < x.end);
    if (!m) return `0x${addr.toString(16)}`;
    const fileOffset = addr - m.start + m.offset;
    const module = basename(m.path) || m.path;
    const elf = symbolsOf(pid, m.path);
    const at = elf?.addressOf(fileOffset);
    const sym = at !== undefined ? elf!.lookup(at) : undefined;
    return sym ? `${sym.name}+0x${sym.offset.toString(16)}` : `${module}+0x${fileOffset.toString(16)}`;
  }

  stack(pid: number, addrs: readonly bigint[]): string[] {
    return addrs.map((a) => this.symbolize(pid, a));
  }
}
