import { describe, expect, it } from 'vitest';
import { UsageError } from '@netstrata/bpf-common';
import { fragmentDropHook, fragmentSummary } from './tool.ts';

describe('fragment_summary', () => {
  it('one hook, skb:kfree_skb, in the tracepoint flavours that carry the drop reason', () => {
    expect(fragmentSummary.hooks).toEqual([fragmentDropHook]);
    expect(fragmentDropHook.flavours.map((f) => f.name)).toEqual(['tp_btf', 'raw_tp', 'tracepoint']);
  });

  it('refuses port filters, naming the option: fragments after the first carry no ports', () => {
    const check = fragmentSummary.spec.check!;
    for (const [key, option] of [['srcPort', '--src-port'], ['dstPort', '--dst-port'], ['port', '--port']] as const) {
      expect(() => check({ [key]: 53 } as never)).toThrow(UsageError);
      expect(() => check({ [key]: 53 } as never)).toThrow(new RegExp(`^${option}: fragments after the first carry no ports`));
    }
    expect(() => check({ protocol: 17 } as never)).not.toThrow();
  });
});
