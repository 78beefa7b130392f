/**
 * Where a process's pthread lock functions live: the mapped file (libc.so.6 on current glibc,
 * libpthread.so.0 before 2.34, or the executable itself when linked statically) whose ELF symbols
 * define them. Read from /proc/PID/maps, never a fixed path.
 */
import { readFileSync } from 'node:fs';
import { ElfSymbols, parseMaps } from '@netstrata/bpf-common';

export const LOCK_FUNCTIONS = { mutex: 'pthread_mutex_lock', rwlock_wr: 'pthread_rwlock_wrlock', rwlock_rd: 'pthread_rwlock_rdlock' } as const;

export interface LockLibrary {
  /** The file as the process sees it (through /proc/PID/root, so containers work). */
  path: string;
  shown: string;
  functions: (typeof LOCK_FUNCTIONS)[keyof typeof LOCK_FUNCTIONS][];
  /** File offset of each function: uprobes attach by offset, since a function exported under
   * several symbol versions (glibc's pthread_rwlock_* at GLIBC_2.2.5 and GLIBC_2.34) is one
   * address with two names. */
  offsets: Record<string, number>;
}

export function findLockLibrary(pid: number): LockLibrary | string {
  let maps: string;
  try {
    maps = readFileSync(`/proc/${pid}/maps`, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') return `cannot read the memory map of process ${pid} (permission denied): run as root`;
    return `no process ${pid}`;
  }
  const files = [...new Set(parseMaps(maps).map((m) => m.path).filter((p) => p.startsWith('/')))];
  for (const shown of files) {
    const path = `/proc/${pid}/root${shown}`;
    let elf: ElfSymbols;
    try {
      elf = ElfSymbols.fromFile(path);
    } catch {
      continue;
    }
    const offsets: Record<string, number> = {};
    for (const f of Object.values(LOCK_FUNCTIONS)) {
      const sym = elf.find(f);
      const off = sym ? elf.fileOffsetOf(sym.addr) : undefined;
      if (off !== undefined) offsets[f] = Number(off);
    }
    const functions = Object.values(LOCK_FUNCTIONS).filter((f) => offsets[f] !== undefined);
    if (functions.includes('pthread_mutex_lock')) return { path, shown, functions, offsets };
  }
  return `process ${pid} maps no library with pthread_mutex_lock (not linked with the C library's threads?)`;
}

const found = new Map<number, LockLibrary | string>();

/** findLockLibrary, once per process: options validation and attach see the same file. */
export function lockLibrary(pid: number): LockLibrary | string {
  let l = found.get(pid);
  if (l === undefined) found.set(pid, (l = findLockLibrary(pid)));
  return l;
}
