/** Process-wide questions about libbpf and the kernel that need no object. */
import { BpfError, classify } from './errors.ts';
import { cbuf, errno, n } from './native.ts';

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

/** `r0 = 0; exit`: the smallest program the verifier accepts. */
const RETURN_ZERO = new Uint8Array([0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);
// struct bpf_prog_load_opts (libbpf 1.x): sz, attempts, expected_attach_type, prog_btf_fd,
// prog_flags, prog_ifindex, kern_version, attach_btf_id at 32, ... log_buf ending at 104.
const PROG_LOAD_OPTS_SIZE = 104;

export interface TinyProgramOptions {
  /** The program's name in the kernel (15 characters at most). */
  name?: string;
  expectedAttachType?: number;
  /** A type id in the kernel's own BTF (vmlinux): the function or tracepoint a tracing program attaches to. */
  attachBtfId?: number;
}

/**
 * Loads a program that returns 0, outside any object, and returns its fd (feature probes). No ELF
 * is opened and no kernel BTF is parsed here: a tracing program's target comes as a BTF id.
 */
export function loadTinyProgram(type: number, opts: TinyProgramOptions = {}): { fd: number; close(): void } {
  const o = new Uint8Array(PROG_LOAD_OPTS_SIZE);
  const v = new DataView(o.buffer);
  v.setBigUint64(0, BigInt(PROG_LOAD_OPTS_SIZE), true);
  v.setUint32(12, opts.expectedAttachType ?? 0, true);
  v.setUint32(32, opts.attachBtfId ?? 0, true);
  const fd = n.bpf_prog_load(type, opts.name ?? 'probe', 'GPL', cbuf(RETURN_ZERO), 2, cbuf(o)) as number;
  if (fd < 0) {
    const e = -fd || errno();
    throw new BpfError(`load probe program of type ${type}`, e, '', classify('load', e, ''));
  }
  return { fd, close: () => void n.close(fd) };
}

/** Attaches a loaded tp_btf or raw_tp program (raw tracepoint open); closing the result detaches it. */
export function openRawTracepoint(progFd: number, name: string | null = null): { fd: number; close(): void } {
  const fd = n.bpf_raw_tracepoint_open(name, progFd) as number;
  if (fd < 0) {
    const e = -fd || errno();
    throw new BpfError(`attach probe program${name ? ` to ${name}` : ''}`, e, '', classify('attach', e, ''));
  }
  return { fd, close: () => void n.close(fd) };
}

/** Gives the C heap's free pages back to the system (malloc_trim): what a parse freed stays
 * resident otherwise, since glibc keeps freed memory for later allocations. */
export function trimNativeHeap(): void {
  n.malloc_trim(0);
}
