import { describe, expect, it } from 'vitest';
import { textTable } from './table.ts';

describe('textTable', () => {
  it('sizes columns to their widest cell, names to the left and numbers to the right', () => {
    expect(textTable(['DEVICE', 'N'], [['tap0', '1200'], ['vnet10', '3']], new Set([0]))).toEqual(['  DEVICE     N', '  tap0    1200', '  vnet10     3']);
  });
  it('drops the spaces a left-aligned last column leaves', () => {
    expect(textTable(['N', 'WHO'], [['1', 'a'], ['22', 'bcd']], new Set([1]))).toEqual(['   N  WHO', '   1  a', '  22  bcd']);
  });
});
