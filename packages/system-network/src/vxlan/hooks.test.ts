import { describe, expect, it } from 'vitest';
import { DropReasons } from '@netstrata/bpf-common';
import { VXLAN_HOOKS, dropHook, vxlanReasonCodes } from './hooks.ts';
import { encodeReasons } from './layout.ts';

describe('vxlan_summary hooks', () => {
  it('one hook, skb:kfree_skb, in the three tracepoint flavours (the ones that carry the reason), BTF first', () => {
    expect(VXLAN_HOOKS).toEqual([dropHook]);
    expect(dropHook.flavours.map((f) => f.name)).toEqual(['tp_btf', 'raw_tp', 'tracepoint']);
    expect(dropHook.flavours.map((f) => f.programs)).toEqual([['kfree_skb_tp_btf'], ['kfree_skb_raw_tp'], ['kfree_skb_tp']]);
    expect(dropHook.optional).toBeUndefined();
  });

  it("the reasons only VXLAN gives, by this kernel's numbers; none on a kernel without them", () => {
    // As 6.12 numbers them (6.18 numbers them 110-113): names are what count.
    const k612 = new DropReasons(
      new Map([
        [2, 'SKB_DROP_REASON_NOT_SPECIFIED'],
        [96, 'SKB_DROP_REASON_VXLAN_INVALID_HDR'],
        [97, 'SKB_DROP_REASON_VXLAN_VNI_NOT_FOUND'],
        [98, 'SKB_DROP_REASON_MAC_INVALID_SOURCE'],
        [99, 'SKB_DROP_REASON_VXLAN_ENTRY_EXISTS'],
        [100, 'SKB_DROP_REASON_NO_TX_TARGET'],
      ]),
    );
    expect(vxlanReasonCodes(k612)).toEqual([96, 97, 99]);
    const k61 = new DropReasons(new Map([[1, 'SKB_DROP_REASON_NOT_SPECIFIED'], [2, 'SKB_DROP_REASON_NO_SOCKET']]));
    expect(vxlanReasonCodes(k61)).toEqual([]);
    expect([...new Uint32Array(encodeReasons([96, 97, 99]).buffer)]).toEqual([96, 97, 99, 0]);
    expect([...new Uint32Array(encodeReasons([1, 2, 3, 4, 5]).buffer)]).toEqual([1, 2, 3, 4]);
  });
});
