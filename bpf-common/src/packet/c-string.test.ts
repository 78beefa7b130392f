import { describe, expect, it } from 'vitest';
import { CStringCache, cString } from './c-string.ts';

const bytes = (s: string, size: number) => {
  const b = new Uint8Array(size);
  b.set(new TextEncoder().encode(s));
  return b;
};

describe('cString', () => {
  it('stops at the first NUL, or takes every byte when there is none', () => {
    expect(cString(bytes('eth0', 16))).toBe('eth0');
    expect(cString(new Uint8Array([0x6e, 0x6f, 0x64, 0x65]))).toBe('node');
    expect(cString(new Uint8Array(16))).toBe('');
  });

  it('decodes UTF-8 names (a comm may carry them)', () => {
    expect(cString(bytes('wörker', 16))).toBe('wörker');
  });
});

describe('CStringCache', () => {
  it('gives what cString gives for the chars up to the NUL, whatever it saw before', () => {
    const c = new CStringCache(16, (s) => `<${s}>`, 2);
    const enc = new TextEncoder();
    const names = ['node', 'ksoftirqd/0', 'node', 'no', 'x"y', 'ééé', '', 'exactly-16-bytes', 'node', 'ksoftirqd/0', 'no'];
    for (const name of names) {
      const rec = new Uint8Array(40).fill(0xaa);
      const b = enc.encode(name);
      rec.set(b, 9);
      if (b.length < 16) rec[9 + b.length] = 0;
      expect(c.at(rec, 9)).toBe(`<${cString(rec.subarray(9, 25))}>`);
    }
  });
});
