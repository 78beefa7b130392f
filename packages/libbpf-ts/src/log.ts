/**
 * libbpf's print callback is process-global: install it once and collect what libbpf says during
 * each operation, so a failing load carries its verifier log instead of spraying it on stderr.
 */
import { n, registerPrint, type Ptr } from './native.ts';

export type LogLevel = 'warn' | 'info' | 'debug';
const LEVELS: Record<LogLevel, number> = { warn: 0, info: 1, debug: 2 };

let level = LEVELS.debug;
let installed = false;
let capture: string[] | undefined;
// libbpf prints a failed load's whole verifier log as one message: room for a large one.
// allocUnsafe: pages are only resident once a long log actually touches them.
const scratch = Buffer.allocUnsafe(4 << 20);

function install(): void {
  if (installed) return;
  installed = true;
  const cb = registerPrint((lvl: number, fmt: string, args: Ptr) => {
    if (lvl > level || !capture) return 0;
    const len = n.vsnprintf(scratch, scratch.length, fmt, args) as number;
    capture.push(scratch.toString('utf8', 0, Math.max(0, Math.min(len, scratch.length - 1))));
    return 0;
  });
  n.libbpf_set_print(cb);
}

export function setLogLevel(l: LogLevel): void {
  level = LEVELS[l];
}

/** Runs fn and returns its result with everything libbpf printed meanwhile. */
export function withLog<T>(fn: () => T): { value: T; log: string } {
  install();
  const outer = capture;
  const mine: string[] = [];
  capture = mine;
  try {
    const value = fn();
    return { value, log: mine.join('') };
  } catch (err) {
    (err as { __libbpfLog?: string }).__libbpfLog = mine.join('');
    throw err;
  } finally {
    capture = outer;
    if (outer) outer.push(...mine);
  }
}

/** libbpf's advice to raise RLIMIT_MEMLOCK is wrong on memcg-accounted kernels: drop it. */
export function cleanLog(log: string): string {
  return log
    .split('\n')
    .filter((l) => !/ulimit -l|RLIMIT_MEMLOCK/i.test(l))
    .join('\n');
}
