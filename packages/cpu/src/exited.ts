/**
 * Rows of threads that exited will not count again: every few seconds, between reads, the tables
 * keyed by thread remove them (what they counted since the last read goes into the next report),
 * so a host whose threads come and go leaves room for the living however long the interval.
 */
import { existsSync } from 'node:fs';
import type { KernelRows } from '@netstrata/bpf-common';

export const EXITED_SWEEP_MS = 5000;

/** Remove, every EXITED_SWEEP_MS until `signal` aborts, the rows whose key names a thread (u32 pid
 * and tid at those offsets, as the kernel numbers them) that no longer exists. */
export function sweepExitedThreads<V>(rows: KernelRows<V>, at: { pid: number; tid: number }, signal: AbortSignal): void {
  const timer = setInterval(() => {
    const alive = new Map<string, boolean>();
    rows.removeWhere((key) => {
      const view = new DataView(key.buffer, key.byteOffset, key.byteLength);
      const pid = view.getUint32(at.pid, true);
      const tid = view.getUint32(at.tid, true);
      const id = `${pid}/${tid}`;
      let a = alive.get(id);
      if (a === undefined) alive.set(id, (a = existsSync(`/proc/${pid}/task/${tid}`)));
      return !a;
    });
  }, EXITED_SWEEP_MS);
  timer.unref();
  signal.addEventListener('abort', () => clearInterval(timer), { once: true });
}
