/** ovs_megaflow_details: which flows does the OVS datapath install, and how long after their upcall? */
import { defineDetails } from '@netstrata/bpf-common';
import object from '../../build/bpf/ovs_megaflow_details.bpf.o';
import { ovsMegaflowHooks } from '../hooks.ts';
import { EV_FLOW, EV_UPCALL, ovsFlowEvent, ovsUpcallEvent } from '../layout.ts';
import { UpcallWindow } from './flow.ts';
import { megaflowFields, renderMegaflowFinal, renderMegaflowText } from './render.ts';

export const ovsMegaflowDetails = defineDetails({
  name: 'ovs_megaflow_details',
  domain: 'ovs',
  describe:
    'Which flows does the OVS datapath install, and how long after the upcall that caused each? One event per megaflow ovs-vswitchd installs in the kernel datapath: its key under its mask, its actions and its UFID as the kernel holds them, the thread that installed it, and the time from its upcall.',
  examples: [
    ['$0', 'every flow installed, as ovs-dpctl would print it'],
    ['$0 --output json', 'as NDJSON, with the UFID to find each flow in ovs-appctl dpctl/dump-flows -m'],
  ],
  epilog:
    'A megaflow is the datapath\'s cached decision for every packet its key matches under its mask. A flood of installs means ovs-vswitchd sees many new flows, or its flows are too narrow (a mask that covers the transport ports turns each connection into a flow and an upcall), or they keep expiring; the time from the upcall is the wait of the packets behind it (see ovs_upcall_latency_summary). ' +
    'The install is a function hook on ovs_flow_tbl_insert (fentry, else kprobe), one run per flow; every upcall (openvswitch:ovs_dp_upcall) also sends its key to the tool, which matches it to the flow it causes. Needs the openvswitch module loaded. Lost events (ring buffer full) are counted and printed at exit. Output fields: docs/output-fields.md',
  hooks: ovsMegaflowHooks,
  uses: {},
  object,
  rodata: () => ({}),
  start: ({ clock }) => {
    const upcalls = new UpcallWindow();
    return {
      event: (data) => {
        const b = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
        const kind = data.getUint32(0, true);
        if (kind === EV_UPCALL) {
          upcalls.add(ovsUpcallEvent.decode(b));
          return undefined;
        }
        if (kind !== EV_FLOW) return undefined;
        const e = ovsFlowEvent.decode(b);
        return megaflowFields(e, upcalls.take(e), clock);
      },
      render: renderMegaflowText,
      renderFinal: renderMegaflowFinal,
    };
  },
});
