/** vm_network_latency_summary: where do a VM's packets wait on the host? */
import { KernelRows, defineSummary, type Delta } from '@netstrata/bpf-common';
import { z } from 'zod';
import object from '../../build/bpf/vm_network_latency_summary.bpf.o';
import { vmNetworkHooks } from '../hooks.ts';
import { PATH_EPILOG, interfaceRodata, interfaceSchema, interfaces, withInterfaceOptions } from '../interfaces.ts';
import { decodePath, vmnetKey, vmnetStats, type PathEntry } from '../layout.ts';
import { pathRowOps, pathRows, renderVmNetworkText } from './report.ts';

export const vmNetworkLatencySummary = defineSummary({
  name: 'vm_network_latency_summary',
  domain: 'vm-network',
  describe:
    "Where do a VM's packets wait on the host? Per VM interface and direction, the stages of each packet's path between the VM's TAP and the physical interface (backlog, forwarding by the bridge, OVS or routing, an OVS upcall to ovs-vswitchd, the out device's qdisc, its driver or the TAP's ring until the VM reads it) as histograms, with the packets dropped on the way.",
  examples: [
    ['$0 --vm-interface vnet0 --phy-interface eth0', "one VM's packets between its TAP and the uplink, both ways, every 5 seconds"],
    ['$0 --vm-interface vnet0,vnet2 --phy-interface bond0 --histograms', 'two VMs, with every stage drawn'],
    ['$0 --netns host1 --vm-interface tap0 --interval 1 --output json', 'interfaces in another namespace, every second, as NDJSON'],
  ],
  epilog: `${PATH_EPILOG} Output fields: docs/output-fields.md`,
  hooks: vmNetworkHooks,
  uses: { interval: 5 },
  options: (y) =>
    withInterfaceOptions(y).option('histograms', { type: 'boolean', default: false, describe: 'draw every stage of every active path in the text report' }),
  schema: { ...interfaceSchema, histograms: z.boolean() },
  check: (o) => void interfaces(o),
  object,
  maps: { stats: { key: vmnetKey, value: vmnetStats } },
  rodata: (o) => interfaceRodata(interfaces(o)),
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
