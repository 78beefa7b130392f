/** Runs libbpf calls with their log captured, and turns a failure into a BpfError naming the step. */
import { BpfError, classify } from './errors.ts';
import { cleanLog, withLog } from './log.ts';
import { errno, isNull, type Ptr } from './native.ts';

/** Runs a libbpf call that returns a pointer (NULL + errno on failure). */
export function callPtr(op: string, kind: Parameters<typeof classify>[0], fn: () => Ptr): Ptr {
  let e = 0;
  const { value, log } = withLog(() => {
    errno(0);
    const v = fn();
    e = errno(); // read at once: later native calls may overwrite it
    return v;
  });
  if (isNull(value)) {
    e ||= 22;
    throw new BpfError(op, e, cleanLog(log), classify(kind, e, log, op));
  }
  return value;
}

/** Runs a libbpf call that returns 0 or -errno. */
export function callInt(op: string, kind: Parameters<typeof classify>[0], fn: () => number): number {
  const { value, log } = withLog(fn);
  if (value < 0) {
    const e = -value;
    throw new BpfError(op, e, cleanLog(log), classify(kind, e, log));
  }
  return value;
}
