import { describe, expect, it } from 'vitest';
import { parseComm, parseCpuList } from './options.ts';

describe('options', () => {
  it('CPU lists as the kernel writes them', () => {
    expect(parseCpuList('0,2-3', 4)).toEqual([0, 2, 3]);
    expect(parseCpuList('3,1,1', 4)).toEqual([1, 3]);
    expect(parseCpuList('4', 4)).toMatch(/CPU 4 does not exist here \(CPUs 0-3\)/);
    expect(parseCpuList('3-1', 4)).toMatch(/runs backwards/);
    expect(parseCpuList('x', 4)).toMatch(/is not a CPU number or range/);
  });

  it('thread name prefixes', () => {
    expect(parseComm('vhost-*')).toBe('vhost-');
    expect(parseComm('ksoftirqd')).toBe('ksoftirqd');
    expect(parseComm('*')).toEqual({ error: expect.stringMatching(/empty/) });
    expect(parseComm('a?b')).toEqual({ error: expect.stringMatching(/only a trailing \*/) });
    expect(parseComm('0123456789abcdef')).toEqual({ error: expect.stringMatching(/15 bytes/) });
  });
});
