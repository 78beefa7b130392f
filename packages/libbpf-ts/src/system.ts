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
  return fdHolder(fd);
}

/** A file descriptor closed once, by close() or disposal. */
function fdHolder(fd: number): { close(): void; [Symbol.dispose](): void } {
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

const CLOCK_REALTIME = 0;
const CLOCK_TAI = 11;

function clockNs(clk: number): bigint {
  const ts = new BigInt64Array(2);
  if ((n.clock_gettime(clk, ts) as number) !== 0) {
    const e = errno();
    throw new BpfError(`clock_gettime(${clk})`, e, '', classify('other', e, ''));
  }
  return ts[0]! * 1_000_000_000n + ts[1]!;
}

/**
 * CLOCK_TAI − CLOCK_REALTIME in ns, in whole seconds (the kernel's TAI offset: 0 until something
 * sets it, 37 s today where NTP does). BPF reads CLOCK_TAI (bpf_ktime_get_tai_ns) and the kernel
 * stamps received packets with CLOCK_REALTIME: this is what lies between.
 */
export function taiOffsetNs(): bigint {
  const tai = clockNs(CLOCK_TAI);
  const real = clockNs(CLOCK_REALTIME);
  const s = 1_000_000_000n;
  return ((tai - real + s / 2n) / s) * s;
}

const AF_INET = 2;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SO_TIMESTAMPNS = 35;

/**
 * Keeps the kernel's software RX timestamps on (as tcpdump does) while the holder is open: one
 * unbound UDP socket with SO_TIMESTAMPNS makes the kernel stamp every received skb (skb->tstamp,
 * CLOCK_REALTIME) where it enters the stack. The kernel turns the stamping on a moment later (a
 * deferred static-key switch) and off when the last such socket closes.
 */
export function holdRxTimestamps(): { close(): void; [Symbol.dispose](): void } {
  const fd = n.socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0) as number;
  if (fd < 0) {
    const e = errno();
    throw new BpfError('open a socket for RX timestamps', e, '', classify('other', e, ''));
  }
  if ((n.setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, new Int32Array([1]), 4) as number) !== 0) {
    const e = errno();
    n.close(fd);
    throw new BpfError('turn on RX timestamps (SO_TIMESTAMPNS)', e, '', classify('other', e, ''));
  }
  return fdHolder(fd);
}
