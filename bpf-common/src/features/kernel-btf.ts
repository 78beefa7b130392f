/**
 * The running kernel's BTF, parsed once per process and kept: hook checks, drop reasons and
 * softirq names all read it, and a second parse would cost as much as the first.
 */
import { Btf } from '@netstrata/libbpf-ts';

export function kernelBtf(): Btf {
  return Btf.vmlinux();
}
