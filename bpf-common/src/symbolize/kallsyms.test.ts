import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { KallsymsSymbolizer, stripSuffixes } from './kallsyms.ts';
import { requireRoot } from '../testing/root.ts';

const FIXTURE = [
  'ffffffff81000000 T _stext',
  'ffffffff81000100 t ip_rcv_finish_core.constprop.0',
  'ffffffff81000200 D some_data',
  'ffffffff81000300 T __udp4_lib_rcv',
  'ffffffffc0000000 t vhost_poll\t[vhost]',
].join('\n');

describe('KallsymsSymbolizer', () => {
  const s = new KallsymsSymbolizer(FIXTURE);

  it('resolves addresses above 2^53 exactly, to the nearest text symbol below', () => {
    expect(s.resolve(0xffffffff81000312n)).toEqual({ symbol: '__udp4_lib_rcv', raw: '__udp4_lib_rcv', offset: 0x12 });
    expect(s.resolve(0xffffffff81000101n)).toMatchObject({ symbol: 'ip_rcv_finish_core', raw: 'ip_rcv_finish_core.constprop.0', offset: 1 });
    // Data symbols are not code locations.
    expect(s.resolve(0xffffffff81000250n)?.symbol).toBe('ip_rcv_finish_core');
    expect(s.format(0xffffffffc0000010n)).toBe('vhost_poll+0x10 [vhost]');
    expect(s.resolve(0x1000n)).toBeUndefined();
    expect(s.resolve(0xffffffff81000300n + 0x200000n)).toBeUndefined();
  });

  it('strips compiler suffixes for display', () => {
    expect(stripSuffixes('foo.isra.0')).toBe('foo');
    expect(stripSuffixes('foo.part.3.constprop.0')).toBe('foo');
    expect(stripSuffixes('foo.cold')).toBe('foo');
    expect(stripSuffixes('foo_bar')).toBe('foo_bar');
  });

  it('drops the tracing machinery from the top of a stack', () => {
    const sym = new KallsymsSymbolizer('ffffffff81000000 T bpf_trace_run4\nffffffff81000100 T sk_skb_reason_drop\nffffffff81000200 T __udp4_lib_rcv\n');
    expect(sym.kernelStack([0xfffffffff0000000n, 0xffffffff81000010n, 0xffffffff81000110n, 0xffffffff81000210n])).toEqual([
      'sk_skb_reason_drop+0x10',
      '__udp4_lib_rcv+0x10',
    ]);
  });

  it('says so when addresses are hidden', () => {
    const hidden = new KallsymsSymbolizer('0000000000000000 T _stext\n0000000000000000 T foo\n');
    expect(hidden.available).toBe(false);
    expect(hidden.reason).toMatch(/kptr_restrict/);
  });

  it.runIf(existsSync('/proc/kallsyms') && requireRoot('kallsyms test'))('resolves real kernel symbols', () => {
    const real = KallsymsSymbolizer.fromProc();
    const addr = real.lookup('__udp4_lib_rcv')!;
    expect(addr).toBeGreaterThan(1n << 53n);
    expect(real.resolve(addr + 4n)).toMatchObject({ symbol: '__udp4_lib_rcv', offset: 4 });
  });
});
