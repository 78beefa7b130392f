import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
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

  it.runIf(existsSync('/sys/kernel/btf/vmlinux'))("reads the running kernel's reasons from BTF", () => {
    const r = DropReasons.fromKernel();
    expect(r.size).toBeGreaterThan(50);
    expect(r.name(r.code('NO_SOCKET')!)).toBe('NO_SOCKET');
    expect(r.code('NETFILTER_DROP')).toBeDefined();
  });
});
