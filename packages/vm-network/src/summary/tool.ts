/** vm_network_latency_summary: where do a VM's packets wait on the host? */
import { KernelRows, UsageError, currentNetns, defineSummary, resolveInterfaces, resolveNetns, type Delta } from '@netstrata/bpf-common';
import { z } from 'zod';
import object from '../../build/bpf/vm_network_latency_summary.bpf.o';
import { vmNetworkHooks } from '../hooks.ts';
import { decodePath, vmnetKey, vmnetStats, type PathEntry } from '../layout.ts';
import { pathRowOps, pathRows, renderVmNetworkText } from './report.ts';

/** bpf/vm_network.h VMNET_IFACES_MAX. */
const IFACES_MAX = 16;

interface Interfaces {
  netns: number;
  vms: { name: string; ifindex: number }[];
  phys: { name: string; ifindex: number }[];
}

/** The options' interfaces as this kernel's indexes; usage errors name the option. */
function interfaces(o: { vmInterface?: string; phyInterface?: string; netns?: string }): Interfaces {
  if (o.vmInterface === undefined) throw new UsageError("--vm-interface: required (the VMs' interfaces, such as vnet0)");
  const ns = o.netns === undefined ? undefined : resolveNetns(o.netns);
  if (ns && !ns.path) throw new UsageError(`--netns: cannot look up interfaces in namespace inode ${o.netns}; give --netns as a name or path`);
  const vms = resolveInterfaces([o.vmInterface], '--vm-interface', ns?.path, o.netns);
  const phys = o.phyInterface === undefined ? [] : resolveInterfaces([o.phyInterface], '--phy-interface', ns?.path, o.netns);
  for (const [list, option] of [[vms, '--vm-interface'], [phys, '--phy-interface']] as const) {
    if (list.length > IFACES_MAX) throw new UsageError(`${option}: at most ${IFACES_MAX} devices`);
  }
  const both = phys.find((p) => vms.some((v) => v.ifindex === p.ifindex));
  if (both) throw new UsageError(`--phy-interface: ${both.name} is also a --vm-interface`);
  return { netns: ns?.inode ?? currentNetns(), vms, phys };
}

const u32s = (values: number[]): Uint8Array => {
  const out = new Uint8Array(IFACES_MAX * 4);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setUint32(i * 4, v, true));
  return out;
};

export const vmNetworkLatencySummary = defineSummary({
  name: 'vm_network_latency_summary',
  domain: 'vm-network',
  describe:
    "Where do a VM's packets wait on the host? Per VM interface and direction, the stages of each packet's path between the VM's TAP and the physical interface (backlog, forwarding by the bridge, OVS or routing, the out device's qdisc, its driver or the TAP's ring until the VM reads it) as histograms, with the packets dropped on the way.",
  examples: [
    ['$0 --vm-interface vnet0 --phy-interface eth0', "one VM's packets between its TAP and the uplink, both ways, every 5 seconds"],
    ['$0 --vm-interface vnet0,vnet2 --phy-interface bond0 --histograms', 'two VMs, with every stage drawn'],
    ['$0 --netns host1 --vm-interface tap0 --interval 1 --output json', 'interfaces in another namespace, every second, as NDJSON'],
  ],
  epilog:
    "From the VM (tx): its TAP receives the packet (netif_rx, netif_receive_skb), a bridge, OVS or routing sends it to the physical interface (net_dev_queue), its qdisc lets it go (net_dev_start_xmit), its driver takes it (net_dev_xmit). " +
    "To the VM (rx): the physical interface receives it, it is queued to the VM's TAP, the TAP puts it in its ring (net_dev_start_xmit), and the VM's reader (vhost-net's worker, or QEMU) copies it out (skb:skb_copy_datagram_iovec). " +
    'A packet is followed by its skb from end to end. Without --phy-interface, every other interface of the namespace counts as physical: every packet any of them receives is then followed until it goes elsewhere. ' +
    'Cost: one BPF run per packet at each device tracepoint for every packet of the host (the filters run inside), and one per packet any socket reads. Output fields: docs/output-fields.md',
  hooks: vmNetworkHooks,
  uses: { interval: 5 },
  options: (y) =>
    y
      .option('vm-interface', { type: 'string', describe: "the VMs' interfaces (TAPs, such as vnet0): names or indexes, comma-separated (required)" })
      .option('phy-interface', { type: 'string', describe: 'the physical interfaces (uplinks, bonds): names or indexes, comma-separated; default every other interface' })
      .option('netns', { type: 'string', describe: 'the network namespace the interfaces are in: a name from ip netns or a path (default this one)' })
      .option('histograms', { type: 'boolean', default: false, describe: 'draw every stage of every active path in the text report' }),
  schema: { vmInterface: z.string().optional(), phyInterface: z.string().optional(), netns: z.string().optional(), histograms: z.boolean() },
  check: (o) => void interfaces(o),
  object,
  maps: { stats: { key: vmnetKey, value: vmnetStats } },
  rodata: (o) => {
    const i = interfaces(o);
    return { targ_vm: u32s(i.vms.map((v) => v.ifindex)), targ_nvm: i.vms.length, targ_phy: u32s(i.phys.map((p) => p.ifindex)), targ_nphy: i.phys.length, targ_netns: i.netns };
  },
  start: ({ o, obj, signal }) => {
    const { vms } = interfaces(o);
    const rows = new KernelRows(obj.map('stats'), obj, { decode: decodePath, ...pathRowOps });
    rows.sweepEvery(signal);
    return {
      read: () => rows.read(),
      record: (d: Delta<PathEntry>, tick) => ({ paths: pathRows(tick.type === 'final' ? d.total : d.interval, vms) }),
      render: (rec) => renderVmNetworkText(rec, o.histograms),
    };
  },
});
