import { describe, expect, it } from 'vitest';
import { chooseFlavour, type Hook } from './flavours.ts';
import type { Answer, FeatureName } from './probes.ts';

const hook: Hook = {
  name: 'skb:kfree_skb',
  flavours: [
    { name: 'tp_btf', programs: ['a'], needs: 'tp_btf' },
    { name: 'raw_tp', programs: ['b'], needs: 'raw_tp' },
    { name: 'kprobe', programs: ['c'], needs: 'kprobe', available: () => 'kfree_skb is not a function' },
  ],
};
const answers = (yes: FeatureName[]) => (f: FeatureName): Answer => (yes.includes(f) ? { answer: 'yes', reason: 'ok' } : { answer: 'no', reason: `${f} missing` });

describe('chooseFlavour', () => {
  it('takes the first flavour the kernel supports', () => {
    expect(chooseFlavour(hook, answers(['tp_btf', 'raw_tp'])).chosen?.name).toBe('tp_btf');
    const c = chooseFlavour(hook, answers(['raw_tp']));
    expect(c.chosen?.name).toBe('raw_tp');
    expect(c.rejected).toEqual([{ flavour: 'tp_btf', reason: 'tp_btf missing' }]);
  });

  it('honours a flavour’s own availability check and explains every refusal', () => {
    const c = chooseFlavour(hook, answers(['kprobe']));
    expect(c.chosen).toBeUndefined();
    expect(c.rejected.map((r) => r.reason)).toEqual(['tp_btf missing', 'raw_tp missing', 'kfree_skb is not a function']);
  });
});
