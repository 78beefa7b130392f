import { describe, expect, it } from 'vitest';
import { cString } from './c-string.ts';

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
