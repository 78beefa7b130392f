import { describe, expect, it } from 'vitest';
import { formatCpuList, formatCpuMask, parseCpuList, parseCpuMask, subsetOf } from './cpus.ts';

describe('CPU sets', () => {
  it('reads and writes lists as the kernel does', () => {
    expect(parseCpuList('0-3,8,10-11\n')).toEqual([0, 1, 2, 3, 8, 10, 11]);
    expect(parseCpuList('')).toEqual([]);
    expect(parseCpuList('3-1')).toBeUndefined();
    expect(parseCpuList('a')).toBeUndefined();
    expect(formatCpuList([11, 0, 1, 2, 3, 8, 10])).toBe('0-3,8,10-11');
    expect(formatCpuList([5])).toBe('5');
  });

  it('reads and writes masks in 32-bit words, most significant first', () => {
    expect(parseCpuMask('0\n')).toEqual([]);
    expect(parseCpuMask('f')).toEqual([0, 1, 2, 3]);
    expect(parseCpuMask('1,00000001')).toEqual([0, 32]);
    expect(parseCpuMask('zz')).toBeUndefined();
    expect(formatCpuMask([0, 1, 2, 3])).toBe('f');
    expect(formatCpuMask([0, 32])).toBe('1,00000001');
    expect(formatCpuMask([])).toBe('0');
  });

  it('subsets', () => {
    expect(subsetOf([0], [0, 1])).toBe(true);
    expect(subsetOf([0, 2], [0, 1])).toBe(false);
  });
});
