/** The interfaces both vm-network tools follow packets between: options, checks and rodata. */
import { UsageError, currentNetns, resolveInterfaces, resolveNetns, type RodataValue } from '@netstrata/bpf-common';
import type { Argv } from 'yargs';
import { z } from 'zod';

/** bpf/vm_network.h VMNET_IFACES_MAX. */
const IFACES_MAX = 16;

export interface InterfaceOptions {
  vmInterface?: string;
  phyInterface?: string;
  netns?: string;
}

export interface Interfaces {
  netns: number;
  vms: { name: string; ifindex: number }[];
  phys: { name: string; ifindex: number }[];
}

export function withInterfaceOptions<T>(y: Argv<T>) {
  return y
    .option('vm-interface', { type: 'string', describe: "the VMs' interfaces (TAPs, such as vnet0): names or indexes, comma-separated (required)" })
    .option('phy-interface', { type: 'string', describe: 'the physical interfaces (uplinks, bonds): names or indexes, comma-separated; default every other interface' })
    .option('netns', { type: 'string', describe: 'the network namespace the interfaces are in: a name from ip netns or a path (default this one)' });
}

export const interfaceSchema = { vmInterface: z.string().optional(), phyInterface: z.string().optional(), netns: z.string().optional() };

const resolved = new WeakMap<InterfaceOptions, Interfaces>();

/** The options' interfaces as this kernel's indexes, looked up once per run (the check, the rodata
 * and the report see the same devices); usage errors name the option. */
export function interfaces(o: InterfaceOptions): Interfaces {
  let i = resolved.get(o);
  if (!i) resolved.set(o, (i = resolveOptions(o)));
  return i;
}

function resolveOptions(o: InterfaceOptions): Interfaces {
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

export function interfaceRodata(i: Interfaces): Record<string, RodataValue> {
  return { targ_vm: u32s(i.vms.map((v) => v.ifindex)), targ_nvm: i.vms.length, targ_phy: u32s(i.phys.map((p) => p.ifindex)), targ_nphy: i.phys.length, targ_netns: i.netns };
}

export const PATH_EPILOG =
  "From the VM (tx): its TAP receives the packet (netif_rx, netif_receive_skb), a bridge, OVS or routing sends it to the physical interface (net_dev_queue), its qdisc lets it go (net_dev_start_xmit), its driver takes it (net_dev_xmit). " +
  "To the VM (rx): the physical interface receives it, it is queued to the VM's TAP, the TAP puts it in its ring (net_dev_start_xmit), and the VM's reader (vhost-net's worker, or QEMU) copies it out (skb:skb_copy_datagram_iovec). " +
  'Through Open vSwitch (where the openvswitch module is loaded), a packet its datapath has no flow for goes up to ovs-vswitchd and comes back down as a new skb: the tool follows it across and times the upcall as its own stage. ' +
  'A packet is followed by its skb from end to end. Without --phy-interface, every other interface of the namespace counts as physical: every packet any of them receives is then followed until it goes elsewhere. ' +
  'Cost: one BPF run per packet at each device tracepoint for every packet of the host (the filters run inside), one per packet any socket reads, and with OVS one per datapath action (a received packet leaves at the first check).';
