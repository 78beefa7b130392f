/**
 * What the audit reads, as plain data: the rules are pure functions of these facts, so each can be
 * tested with a fixture, and the reading (read-namespace.ts, read-host.ts) is kept apart.
 *
 * Every value read carries where it came from (a path, a sysctl, a command), and a value that could
 * not be read says why, so a rule states what it could not check instead of skipping it.
 */

/** A value read, or why it could not be: `from` is the file, sysctl or command it comes from. */
export type Reading<T> = { ok: true; from: string; value: T } | { ok: false; from: string; reason: string };

export const got = <T>(from: string, value: T): Reading<T> => ({ ok: true, from, value });
export const unread = <T = never>(from: string, reason: string): Reading<T> => ({ ok: false, from, reason });

/** One feature of `ethtool -k`: on or off, and whether the driver lets it change. */
export interface Feature {
  on: boolean;
  fixed: boolean;
}

/** Ring sizes of `ethtool -g` (undefined where the driver says n/a). */
export interface Rings {
  rx?: number;
  rxMax?: number;
  tx?: number;
  txMax?: number;
}

export interface RxQueue {
  name: string;
  /** CPUs of rps_cpus (empty: RPS off). */
  rps: Reading<number[]>;
}

export interface TxQueue {
  name: string;
  /** CPUs of xps_cpus; unread where the kernel has no such file (single-queue devices, no XPS). */
  xps: Reading<number[]>;
}

/** A network device of the audited namespace. */
export interface Device {
  name: string;
  ifindex: number;
  /** The TAP's or TUN's flags (tun_flags): tun and tap devices only. */
  tun?: 'tap' | 'tun';
  /** The link's kind as the kernel names it (veth, bridge, vxlan, tun...; null: none, as for a
   * NIC or lo), from `ip -d -j link show`. */
  kind: Reading<string | null>;
  /** Transmit queue length: for a TAP or TUN device, the size of each queue's ring. */
  txqueuelen: Reading<number>;
  /** The bus device (PCI, virtio) behind it, for a device with hardware; absent for virtual ones. */
  bus?: {
    path: string;
    /** NUMA node of the bus device (-1: the platform gives none). */
    numaNode: Reading<number>;
    /** Its interrupts (MSI/MSI-X vectors, or the one legacy line). */
    irqs: Reading<number[]>;
  };
  rxQueues: Reading<RxQueue[]>;
  txQueues: Reading<TxQueue[]>;
  napiDeferHardIrqs: Reading<number>;
  /** Nanoseconds. */
  groFlushTimeout: Reading<number>;
  /** Receive errors the device counts when it had no room (rx_missed_errors + rx_fifo_errors + rx_over_errors). */
  rxNoRoom: Reading<number>;
  /** Packets the device dropped on transmit (for a TAP: its ring was full, or no reader). */
  txDropped: Reading<number>;
  /** ethtool -g; null when the driver has no ring parameters (ethtool says "not supported"). */
  rings: Reading<Rings | null>;
  /** ethtool -k, by ethtool's feature name. */
  features: Reading<Record<string, Feature>>;
}

/** An IPv4 route, from `ip -j route show table all`. */
export interface Route {
  /** Prefix as "a.b.c.d/len" ("0.0.0.0/0" for the default route). */
  dst: string;
  table: string;
  type: string;
  metric: number;
  /** Devices of its next hops (several for a multipath route). */
  devs: string[];
  /** The route as ip prints it, for evidence. */
  text: string;
}

/** A policy routing rule, from `ip -j rule show`. */
export interface RoutingRule {
  priority: number;
  table: string;
  /** Whether it selects packets by anything (from, to, iif, oif, fwmark, ...) rather than all. */
  selective: boolean;
  text: string;
}

export interface Conntrack {
  count: number;
  max: number;
  /** Sums over CPUs of /proc/net/stat/nf_conntrack since the namespace was made. */
  drop: number;
  earlyDrop: number;
  insertFailed: number;
}

/** What the audit reads in the audited network namespace: its devices, sysctls and routes. */
export interface NamespaceFacts {
  /** Inode of the namespace. */
  netns: number;
  devices: Reading<Device[]>;
  /** net.ipv4.conf.{all,DEV}.rp_filter, by "all" or device name. */
  rpFilter: Record<string, Reading<number>>;
  routes: Reading<Route[]>;
  rules: Reading<RoutingRule[]>;
  /** TcpExt IPReversePathFilter of /proc/net/netstat: packets dropped by the reverse-path check. */
  rpFilterDrops: Reading<number>;
  /** null when conntrack is not loaded in the kernel (no table to fill). */
  conntrack: Reading<Conntrack | null>;
}

/** A thread, with its CPU time over the sample. */
export interface ThreadFact {
  pid: number;
  tid: number;
  comm: string;
  /** The process's name (its main thread's comm). */
  processComm: string;
  kernelThread: boolean;
  /** CPUs it may run on (Cpus_allowed_list). */
  allowed: number[];
  /** Time on CPU during the sample, in ms. */
  cpuMs: number;
  /** Time runnable but waiting on a run queue during the sample, in ms (0 where the kernel keeps no
   * schedstat): with cpuMs, how much of the sample the thread wanted a CPU. */
  waitMs: number;
}

export interface InterruptFact {
  irq: number;
  /** Its name in /proc/interrupts (the last column: "virtio2-input.0", "eth0-TxRx-3"). */
  name: string;
  /** Counts since boot per CPU, and over the sample. */
  total: number;
  sample: number[];
  /** Where it is delivered: effective_affinity_list (or smp_affinity_list where the kernel has no
   * effective affinity). */
  cpus: Reading<number[]>;
}

/** A network interrupt: an interrupt of a network device (of the audited namespace or of the
 * namespace the audit runs in). */
export interface NetIrq {
  irq: number;
  device: string;
}

/** What the audit reads of the host as a whole: CPUs, interrupts, threads, global sysctls. */
export interface HostFacts {
  /** Seconds between the two readings of the sampled values. */
  sampleS: number;
  online: Reading<number[]>;
  /** NUMA nodes and their CPUs. */
  nodes: Reading<{ node: number; cpus: number[] }[]>;
  interrupts: Reading<InterruptFact[]>;
  netIrqs: NetIrq[];
  /** NET_RX softirqs per CPU over the sample (/proc/softirqs). */
  netRx: Reading<number[]>;
  /** Times per CPU over the sample that a softirq run ended with work left (budget or time used
   * up): time_squeeze of /proc/net/softnet_stat. */
  timeSqueeze: Reading<number[]>;
  threads: Reading<ThreadFact[]>;
  /** net.core.* sysctls the kernel keeps for the whole host (busy_read, busy_poll, netdev_budget). */
  sysctls: Record<string, Reading<number>>;
}

export interface Facts {
  ns: NamespaceFacts;
  host: HostFacts;
}
