/** Facts for the rules' tests: a healthy host and namespace by default, each test changing one thing. */
import { got, type Device, type Facts, type HostFacts, type InterruptFact, type NamespaceFacts, type ThreadFact } from './facts.ts';

const features = (off: string[] = [], fixedOff: string[] = []) =>
  Object.fromEntries(
    ['generic-receive-offload', 'generic-segmentation-offload', 'tcp-segmentation-offload', 'tx-checksumming', 'rx-checksumming', 'scatter-gather'].map((f) => [
      f,
      { on: !off.includes(f) && !fixedOff.includes(f), fixed: fixedOff.includes(f) },
    ]),
  );

export function device(name: string, o: Partial<Device> & { off?: string[]; fixedOff?: string[]; rx?: number; tx?: number; rps?: number[][]; xps?: number[][] } = {}): Device {
  const base = `/sys/class/net/${name}`;
  const rps = o.rps ?? Array.from({ length: o.rx ?? 1 }, () => []);
  const xps = o.xps ?? Array.from({ length: o.tx ?? 1 }, () => []);
  return {
    name,
    ifindex: o.ifindex ?? 2,
    tun: o.tun,
    kind: o.kind ?? got('ip -d -j link show', o.tun ? 'tun' : null),
    txqueuelen: o.txqueuelen ?? got(`${base}/tx_queue_len`, 1000),
    bus: o.bus,
    rxQueues: o.rxQueues ?? got(`${base}/queues`, rps.map((cpus, i) => ({ name: `rx-${i}`, rps: got(`${base}/queues/rx-${i}/rps_cpus`, cpus) }))),
    txQueues: o.txQueues ?? got(`${base}/queues`, xps.map((cpus, i) => ({ name: `tx-${i}`, xps: got(`${base}/queues/tx-${i}/xps_cpus`, cpus) }))),
    napiDeferHardIrqs: o.napiDeferHardIrqs ?? got(`${base}/napi_defer_hard_irqs`, 0),
    groFlushTimeout: o.groFlushTimeout ?? got(`${base}/gro_flush_timeout`, 0),
    rxNoRoom: o.rxNoRoom ?? got(`${base}/statistics/rx_{missed,fifo,over}_errors`, 0),
    txDropped: o.txDropped ?? got(`${base}/statistics/tx_dropped`, 0),
    rings: o.rings ?? got(`ethtool -g ${name}`, null),
    features: o.features ?? got(`ethtool -k ${name}`, features(o.off, o.fixedOff)),
  };
}

/** A PCI NIC with the given interrupts on NUMA node `node`. */
export function nic(name: string, irqs: number[], o: Parameters<typeof device>[1] & { node?: number } = {}): Device {
  const path = '/sys/devices/pci0000:00/0000:00:03.0';
  return device(name, { ...o, bus: { path, numaNode: got(`${path}/numa_node`, o.node ?? -1), irqs: got(`${path}/msi_irqs`, irqs) } });
}

export function interrupt(irq: number, name: string, cpus: number[], o: { total?: number; sample?: number[] } = {}): InterruptFact {
  return { irq, name, total: o.total ?? 1000, sample: o.sample ?? [], cpus: got(`/proc/irq/${irq}/effective_affinity_list`, cpus) };
}

export function thread(comm: string, o: Partial<ThreadFact> = {}): ThreadFact {
  const pid = o.pid ?? 4000;
  return { pid, tid: o.tid ?? pid, comm, processComm: o.processComm ?? comm, kernelThread: o.kernelThread ?? false, allowed: o.allowed ?? [0, 1, 2, 3], cpuMs: o.cpuMs ?? 0, waitMs: o.waitMs ?? 0 };
}

export function namespace(o: Partial<NamespaceFacts> = {}): NamespaceFacts {
  return {
    netns: 4026531840,
    devices: got('/sys/class/net', []),
    rpFilter: { all: got('net.ipv4.conf.all.rp_filter', 0) },
    routes: got('ip -j -4 route show table all', []),
    rules: got('ip -j -4 rule show', [
      { priority: 0, table: 'local', selective: false, text: '0: from all lookup local' },
      { priority: 32766, table: 'main', selective: false, text: '32766: from all lookup main' },
      { priority: 32767, table: 'default', selective: false, text: '32767: from all lookup default' },
    ]),
    rpFilterDrops: got('/proc/net/netstat: TcpExt IPReversePathFilter', 0),
    conntrack: got('/proc/net/stat/nf_conntrack', null),
    ...o,
  };
}

export function host(o: Partial<HostFacts> = {}): HostFacts {
  return {
    sampleS: 1,
    online: got('/sys/devices/system/cpu/online', [0, 1, 2, 3]),
    nodes: got('/sys/devices/system/node', [{ node: 0, cpus: [0, 1, 2, 3] }]),
    interrupts: got('/proc/interrupts', []),
    netIrqs: [],
    netRx: got('/proc/softirqs', [0, 0, 0, 0]),
    timeSqueeze: got('/proc/net/softnet_stat', [0, 0, 0, 0]),
    threads: got('/proc/PID/task/TID/{stat,schedstat}', []),
    sysctls: {
      'net.core.busy_read': got('net.core.busy_read', 0),
      'net.core.busy_poll': got('net.core.busy_poll', 0),
      'net.core.netdev_budget': got('net.core.netdev_budget', 300),
    },
    ...o,
  };
}

export function facts(o: { ns?: Partial<NamespaceFacts>; host?: Partial<HostFacts> } = {}): Facts {
  return { ns: namespace(o.ns), host: host(o.host) };
}
