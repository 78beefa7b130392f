/** vxlan_summary's one hook: skb:kfree_skb, which runs per dropped packet only (bpf-common's
 * netstrata/kfree_skb_flavours.h; only the tracepoint flavours carry the drop reason). What VXLAN
 * devices send and receive is counted by the kernel and read from rtnetlink, not hooked. */
import { DropReasons, tracepointFlavours, type Hook } from '@netstrata/bpf-common';
import { REASONS_MAX, encodeReasons } from './layout.ts';

export const dropHook: Hook = { name: 'skb:kfree_skb', flavours: tracepointFlavours('skb:kfree_skb') };

export const VXLAN_HOOKS: Hook[] = [dropHook];

/** This kernel's reasons only VXLAN gives (`VXLAN_*`: an unknown VNI, a bad header, a static
 * FDB entry a packet would move), by code; none before 6.12, where VXLAN drops say NOT_SPECIFIED. */
export function vxlanReasonCodes(reasons: Pick<DropReasons, 'names' | 'code'>): number[] {
  return reasons
    .names()
    .filter((n) => n.startsWith('VXLAN_'))
    .map((n) => reasons.code(n)!)
    .slice(0, REASONS_MAX);
}

export const vxlanKernelRodata = () => ({ targ_vxlan_reasons: encodeReasons(vxlanReasonCodes(DropReasons.fromKernel())) });
