/** vxlan_summary: Is VXLAN losing packets on this host: per device and VNI, how many were
 * encapsulated and decapsulated, and which were dropped at either end and why? */
import { DropReasons, KallsymsSymbolizer, KernelRows, defineSummary, type BpfObject, type Delta } from '@netstrata/bpf-common';
import object from '../../build/bpf/vxlan_summary.bpf.o';
import { readNamespaceDevices, type NamespaceDevices } from './devices.ts';
import { VXLAN_HOOKS, vxlanKernelRodata } from './hooks.ts';
import { decodeDrop, encodePortKey, vxlanDropKey, vxlanPortKey, type DropEntry } from './layout.ts';
import { filterRodata, namespacesNow, vxlanSchema, vxlanSelection, withVxlanOptions, type Selection } from './options.ts';
import { CounterTotals, counterRows, renderVxlanText, vxlanFields, type VxlanFields } from './report.ts';

export const DESCRIBE = 'Is VXLAN losing packets on this host: per device and VNI, how many were encapsulated and decapsulated, and which were dropped at either end and why?';

/** The IANA port for VXLAN: drops of UDP packets to it count in every namespace, a VXLAN device
 * there or not (a peer sending to a host whose device is down or missing). */
export const IANA_VXLAN_PORT = 4789;

interface Snapshot {
  namespaces: NamespaceDevices[];
  counters: ReturnType<CounterTotals['update']>;
  drops: Delta<DropEntry>;
}

const readAll = (s: Selection): NamespaceDevices[] => namespacesNow(s).map(readNamespaceDevices);

/** The `ports` table: every device's port in its namespace, and the IANA port anywhere. Entries
 * are only added: a port no device uses any more costs one lookup's worth of nothing. */
function updatePorts(obj: BpfObject, namespaces: readonly NamespaceDevices[], known: Set<string>): void {
  const want: [number, number][] = [[0, IANA_VXLAN_PORT]];
  for (const ns of namespaces) for (const d of ns.devices) if (d.config.port) want.push([d.netns, d.config.port]);
  const ports = obj.map('ports');
  for (const [netns, port] of want) {
    const id = `${netns}/${port}`;
    if (known.has(id)) continue;
    ports.update(encodePortKey(netns, port), new Uint8Array([1]));
    known.add(id);
  }
}

/** What `attach` read, for `start`: the devices at start (the counters' baseline) and the ports. */
const started = new WeakMap<object, { namespaces: NamespaceDevices[]; ports: Set<string> }>();

export const vxlanSummary = defineSummary({
  name: 'vxlan_summary',
  domain: 'system-network',
  describe: DESCRIBE,
  examples: [
    ['$0', 'every VXLAN device of every namespace, every 5 seconds: packets in and out of each tunnel, the kernel\'s drop counters, the drops seen and why'],
    ['$0 --netns blue --device vx0', 'one device of namespace blue, and the drops on its UDP port (a VNI it does not serve, say)'],
    ['$0 --interval 60 --output json', 'once a minute, as NDJSON (docs/output-fields.md)'],
  ],
  epilog:
    'Encapsulated and decapsulated packets, and each device\'s own drop and error counters, are the kernel\'s: the link statistics of every VXLAN device (ip -s -d link) and, for a device with vnifilter, of every VNI (bridge -s vni), read each interval from each selected namespace. ' +
    'A device in external (collect_md) mode counts every VNI together: its row has VNI any, and per-VNI counts would need a hook per packet (not measured). ' +
    'Drops are seen at skb:kfree_skb, by direction, the kernel\'s drop reason, location, VNI and remote VTEP: frames on a VXLAN device on their way into the tunnel (no FDB entry, no route), packets being decapsulated (an unknown VNI, a bad header, a refused source MAC), ' +
    'and outer UDP packets to a VXLAN port on any other device, either way (too big for the underlay, no neighbour, a firewall, no socket: the receiver\'s device down). ' +
    'Kernels before 6.12 have no VXLAN drop reasons: their VXLAN drops say NOT_SPECIFIED, at the driver\'s function (vxlan_rcv, vxlan_xmit). Inner packets dropped after decapsulation are not counted (packet_drop_summary shows them). ' +
    'Cost: nothing per packet through a tunnel; one BPF run per packet the host drops (any packet: most leave at the first checks), and one ip(8) and one bridge(8) per namespace per interval. Output fields: docs/output-fields.md',
  hooks: VXLAN_HOOKS,
  uses: { interval: 5, top: 20 },
  options: withVxlanOptions,
  schema: vxlanSchema,
  check: (o) => void vxlanSelection(o),
  object,
  kernelRodata: vxlanKernelRodata,
  maps: { drops: { key: vxlanDropKey, value: 8 }, ports: { key: vxlanPortKey, value: 1 } },
  rodata: (o) => ({ targ_filter: filterRodata(vxlanSelection(o)) }),
  attach: (obj, o) => {
    // Before the ready file: the counters count from here, and the ports table is filled.
    const namespaces = readAll(vxlanSelection(o));
    const ports = new Set<string>();
    updatePorts(obj, namespaces, ports);
    started.set(o, { namespaces, ports });
  },
  start: ({ o, obj, signal, info }) => {
    const sel = vxlanSelection(o);
    const { namespaces: atStart, ports } = started.get(o)!;
    const reasons = DropReasons.fromKernel();
    const symbols = KallsymsSymbolizer.fromProc();
    if (!symbols.available) info(`locations shown as addresses: ${symbols.reason}`);
    const names = {
      reason: (c: number) => reasons.name(c),
      location: (a: bigint) => {
        const s = symbols.resolve(a);
        return s ? { symbol: s.symbol, offset: s.offset } : undefined;
      },
    };
    const totals = new CounterTotals(counterRows(atStart));
    const drops = new KernelRows(obj.map('drops'), obj, {
      decode: decodeDrop,
      sub: (now, before) => ({ ...now, count: now.count - before.count }),
      add: (a, b) => ({ ...b, count: a.count + b.count }),
      isEmpty: (d) => !d.count,
    });
    drops.sweepEvery(signal);
    return {
      read: (): Snapshot => {
        const namespaces = readAll(sel);
        updatePorts(obj, namespaces, ports);
        return { namespaces, counters: totals.update(counterRows(namespaces)), drops: drops.read() };
      },
      record: (s: Snapshot, tick): VxlanFields => {
        const final = tick.type === 'final';
        return vxlanFields({ namespaces: s.namespaces, counters: final ? s.counters.total : s.counters.interval, drops: final ? s.drops.total : s.drops.interval, only: sel.devices }, names, o.top);
      },
      render: renderVxlanText,
    };
  },
});
