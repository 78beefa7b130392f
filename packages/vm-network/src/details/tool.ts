/** vm_network_latency_details: which of a VM's packets were slow on the host, and where? */
import { defineDetails } from '@netstrata/bpf-common';
import { z } from 'zod';
import object from '../../build/bpf/vm_network_latency_details.bpf.o';
import { vmNetworkHooks } from '../hooks.ts';
import { PATH_EPILOG, interfaceRodata, interfaceSchema, interfaces, withInterfaceOptions } from '../interfaces.ts';
import { decodeEvent } from '../layout.ts';
import { eventFields, renderEventText, renderFinalText } from './render.ts';

export const vmNetworkLatencyDetails = defineDetails({
  name: 'vm_network_latency_details',
  domain: 'vm-network',
  describe:
    "Which of a VM's packets were slow on the host, and where? One event per packet whose path between the VM's TAP and the physical interface took at least the threshold, either way, with its flow and every stage timed.",
  examples: [
    ['$0 --vm-interface vnet0 --phy-interface eth0', "one VM's packets that took 1 ms or more between its TAP and the uplink"],
    ['$0 --vm-interface vnet0 --phy-interface eth0 --latency-threshold-us 10000 --output json', 'those of 10 ms or more, as NDJSON'],
  ],
  epilog: `${PATH_EPILOG} Lost events (ring buffer full) are counted and printed at exit. Output fields: docs/output-fields.md`,
  hooks: vmNetworkHooks,
  uses: {},
  options: (y) => withInterfaceOptions(y).option('latency-threshold-us', { type: 'number', default: 1000, describe: 'report a packet whose path took at least this long (µs)' }),
  schema: { ...interfaceSchema, latencyThresholdUs: z.number().nonnegative('must be 0 or more microseconds') },
  check: (o) => void interfaces(o),
  object,
  rodata: (o) => ({ ...interfaceRodata(interfaces(o)), targ_flow: true, targ_threshold_ns: BigInt(Math.round(o.latencyThresholdUs * 1000)) }),
  start: ({ o, clock }) => {
    const names = new Map(interfaces(o).vms.map((v) => [v.ifindex, v.name]));
    const vmName = (i: number) => names.get(i) ?? `ifindex ${i}`;
    return {
      event: (data) => eventFields(decodeEvent(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)), clock, vmName),
      render: renderEventText,
      renderFinal: renderFinalText,
    };
  },
});
