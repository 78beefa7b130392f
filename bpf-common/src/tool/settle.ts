/**
 * What a tool lets go once it runs: start-up reads several MB it never needs again (the kernel's
 * BTF, /proc/kallsyms, the arrays its symbol tables are built from). A quiet tool allocates too
 * little for V8 to run a full collection for hours, so that garbage would stay resident: one full
 * collection, once, shortly after the tool is ready, and the C heap's freed pages given back (array
 * buffers live there, and glibc keeps what is freed).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { trimNativeHeap } from '@netstrata/libbpf-ts';
import { forgetKernelBtf } from '../features/kernel-btf.ts';

/** Delay after ready: the tool's own start (run right after ready) reads the BTF first. */
const SETTLE_MS = 500;

let gc: (() => void) | undefined;

function collect(): void {
  if (!gc) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
}

/** Schedules the drop and the collection; the returned handle cancels it (a run that ends first). */
export function settleAfterStart(): { [Symbol.dispose](): void } {
  const t = setTimeout(() => {
    forgetKernelBtf();
    collect();
    trimNativeHeap();
  }, SETTLE_MS);
  t.unref();
  return { [Symbol.dispose]: () => clearTimeout(t) };
}
