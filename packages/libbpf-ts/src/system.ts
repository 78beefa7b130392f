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

const BPF_STATS_RUN_TIME = 0;

/**
 * Turns the kernel's run-time statistics of every BPF program on (BPF_ENABLE_STATS) for as long as
 * the returned holder is open; closing it, or the process ending, turns them back off unless
 * something else holds them (the sysctl kernel.bpf_stats_enabled, another holder).
 */
export function enableStats(): { close(): void; [Symbol.dispose](): void } {
  const fd = n.bpf_enable_stats(BPF_STATS_RUN_TIME) as number;
  if (fd < 0) {
    const e = -fd || errno();
    throw new BpfError('enable BPF run-time statistics', e, '', classify('other', e, ''));
  }
  let open = true;
  const close = () => {
    if (open) n.close(fd);
    open = false;
  };
  return { close, [Symbol.dispose]: close };
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
