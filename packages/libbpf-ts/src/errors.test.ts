import { describe, expect, it } from 'vitest';
import { BpfError, classify, errnoName } from './errors.ts';

describe('BpfError', () => {
  it('classifies failures a CLI can explain', () => {
    expect(classify('load', 1, '')).toBe('permission');
    expect(classify('load', 13, 'processed 12 insns (limit 1000000)\nR1 invalid mem access')).toBe('verifier');
    expect(classify('load', 22, 'libbpf: prog x: relo #0: <invalid CO-RE relocation>\nfailed to resolve CO-RE relocation')).toBe('core-relocation');
    expect(classify('attach', 2, '')).toBe('unsupported');
    expect(classify('attach', 2, '', 'attach p to uprobe /lib/libc.so.6:nope')).toBe('not-found');
    expect(classify('attach', 95, '')).toBe('unsupported');
    expect(classify('map', 2, '')).toBe('not-found');
    expect(classify('load', 524, '')).toBe('unsupported');
  });

  it('names errnos, including the kernel-internal ENOTSUPP', () => {
    expect(errnoName(1)).toBe('EPERM');
    expect(errnoName(524)).toBe('ENOTSUPP');
  });

  it('explains in one line, without advice about memlock limits', () => {
    const e = new BpfError('load BPF object x', 1, 'libbpf: try raising ulimit -l', 'permission');
    expect(e.explain()).toBe('load BPF object x: permission denied (EPERM); run as root, or this kernel forbids this program type here');
    expect(e.explain()).not.toMatch(/\n|ulimit/);
    expect(new BpfError('attach p', 2, '', 'unsupported').explain()).toBe('attach p: not supported by this kernel (ENOENT)');
  });
});
