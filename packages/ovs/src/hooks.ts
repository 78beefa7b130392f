/** Hooks of the OVS tools, with their flavours in order of preference. The openvswitch module defines
 * the datapath's tracepoints (in its BTF, once loaded); the upcall's outcome needs a function hook. */
import { existsSync } from 'node:fs';
import { functionFlavours, moduleMissing, moduleTracepointFlavours, type Hook, type HookFlavour } from '@netstrata/bpf-common';

/** A miss sent up to ovs-vswitchd (or a flow's userspace action), in the receiving context. */
export const upcallHook: Hook = { name: 'openvswitch:ovs_dp_upcall', flavours: moduleTracepointFlavours('openvswitch', 'openvswitch:ovs_dp_upcall') };
/** Each action the datapath executes: for a packet ovs-vswitchd sent back down, in its handler thread. */
export const executeHook: Hook = { name: 'openvswitch:ovs_do_execute_action', flavours: moduleTracepointFlavours('openvswitch', 'openvswitch:ovs_do_execute_action') };

/** A function of the openvswitch module: says so when the module is not there. */
const inOvs = (f: HookFlavour): HookFlavour => ({
  ...f,
  available: () => (existsSync('/sys/module/openvswitch') ? (f.available?.() ?? true) : moduleMissing('openvswitch')),
});

/** ovs_dp_upcall's return (fexit, kretprobe): the upcalls that failed. Optional: without it those
 * are among the ones never answered. */
const [fentry, kprobe] = functionFlavours('ovs_dp_upcall');
export const upcallReturnHook: Hook = {
  name: 'ovs_dp_upcall (return)',
  optional: true,
  flavours: [
    { ...fentry!, name: 'fexit', programs: ['ovs_dp_upcall_fexit'] },
    { ...kprobe!, name: 'kretprobe', programs: ['ovs_dp_upcall_kretprobe'] },
  ].map(inOvs),
};

export const ovsUpcallHooks: Hook[] = [upcallHook, executeHook, upcallReturnHook];

/** A megaflow installed: ovs_flow_tbl_insert (fentry, kprobe); the datapath has no tracepoint there. */
const [insFentry, insKprobe] = functionFlavours('ovs_flow_tbl_insert');
export const insertHook: Hook = { name: 'ovs_flow_tbl_insert', flavours: [insFentry!, insKprobe!].map(inOvs) };

/** ovs_megaflow_details: the installs, and the upcalls (optional: without them no install is timed). */
export const ovsMegaflowHooks: Hook[] = [insertHook, { ...upcallHook, optional: true }];
