import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Btf } from '@netstrata/libbpf-ts';
import { DropReasons } from './drop-reasons.ts';

describe('DropReasons', () => {
  it('strips the prefix and maps both ways', () => {
    const r = new DropReasons(new Map([[2, 'SKB_DROP_REASON_NOT_SPECIFIED'], [3, 'SKB_DROP_REASON_NO_SOCKET']]));
    expect(r.name(3)).toBe('NO_SOCKET');
    expect(r.code('no_socket')).toBe(3);
    expect(r.name(999)).toBe('UNKNOWN_999');
  });

  it('names subsystem reasons from their own enum', () => {
    const r = new DropReasons(new Map(), new Map([[3, new Map([[(3 << 16) | 1, 'OVS_DROP_LAST_ACTION']])]]));
    expect(r.name((3 << 16) | 1)).toBe('OVS_DROP_LAST_ACTION');
  });

  it("finds a subsystem's reasons by the id in their values, in the kernel's BTF or its module's", () => {
    const fake = (enums: Record<string, [number, string][]>) =>
      ({ enumValues: (n: string) => (enums[n] ? new Map(enums[n]) : undefined), enumNames: () => Object.keys(enums) }) as unknown as Btf;
    const kernel = fake({
      skb_drop_reason: [[2, 'SKB_DROP_REASON_NOT_SPECIFIED']],
      skb_drop_reason_subsys: [[0, 'SKB_DROP_REASON_SUBSYS_CORE'], [1, 'SKB_DROP_REASON_SUBSYS_MAC80211_UNUSABLE'], [3, 'SKB_DROP_REASON_SUBSYS_OPENVSWITCH'], [4, 'SKB_DROP_REASON_SUBSYS_NUM']],
    });
    const ovs = fake({ ovs_drop_reason: [[3 << 16, '__OVS_DROP_REASON'], [(3 << 16) | 1, 'OVS_DROP_LAST_ACTION'], [(3 << 16) | 2, 'OVS_DROP_MAX']] });
    const asked: string[] = [];
    const r = DropReasons.fromBtf(kernel, (m) => (asked.push(m), m === 'openvswitch' ? ovs : undefined));
    expect(asked).toEqual(['mac80211', 'openvswitch']);
    expect(r.name((3 << 16) | 1)).toBe('OVS_DROP_LAST_ACTION');
    expect(r.name(3 << 16)).toBe(`UNKNOWN_${3 << 16}`);
    expect(r.name((1 << 16) | 1)).toBe(`UNKNOWN_${(1 << 16) | 1}`);
    expect(r.name(2)).toBe('NOT_SPECIFIED');
    expect(r.code('ovs_drop_last_action')).toBe((3 << 16) | 1);
    expect(r.names()).toEqual(['NOT_SPECIFIED', 'OVS_DROP_LAST_ACTION']);
  });

  it.runIf(existsSync('/sys/kernel/btf/vmlinux'))("reads the running kernel's reasons from BTF", () => {
    const r = DropReasons.fromKernel();
    expect(r.size).toBeGreaterThan(50);
    expect(r.name(r.code('NO_SOCKET')!)).toBe('NO_SOCKET');
    expect(r.code('NETFILTER_DROP')).toBeDefined();
  });
});
