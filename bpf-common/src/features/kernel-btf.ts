/**
 * The running kernel's BTF, parsed once per process and kept while the tool starts: hook checks,
 * drop reasons and softirq names all read it, and a second parse would cost as much as the first.
 * Once the tool runs nothing needs it, and its ~10 MB are let go (forgetKernelBtf).
 */
import { Btf } from '@netstrata/libbpf-ts';

export function kernelBtf(): Btf {
  return Btf.vmlinux();
}

/** Lets the kept kernel BTF be collected; a later kernelBtf() parses it again. */
export function forgetKernelBtf(): void {
  Btf.forgetVmlinux();
}
