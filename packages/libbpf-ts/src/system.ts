/** Process-wide questions about libbpf and the kernel that need no object. */
import { BpfError, classify } from './errors.ts';
import { errno, n } from './native.ts';

let possibleCpus: number | undefined;
export function numPossibleCpus(): number {
  possibleCpus ??= n.libbpf_num_possible_cpus() as number;
  return possibleCpus;
}

export function libbpfVersion(): string {
  return `${n.libbpf_major_version()}.${n.libbpf_minor_version()}`;
}

/** Creates a map outside any object and returns its fd (feature probes); the caller closes it. */
export function createMap(type: number, keySize: number, valueSize: number, maxEntries: number): { fd: number; close(): void } {
  const fd = n.bpf_map_create(type, null, keySize, valueSize, maxEntries, null) as number;
  if (fd < 0) {
    const e = -fd || errno();
    throw new BpfError(`create map of type ${type}`, e, '', classify('map', e, ''));
  }
  return { fd, close: () => void n.close(fd) };
}
