import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { UsageError } from '@netstrata/bpf-common';
import { parseAuditOptions, targetNamespace } from './command.ts';

describe('audit options', () => {
  it('defaults and valid values', () => {
    expect(parseAuditOptions({ sample: '1', output: 'text' })).toEqual({ sample: 1, output: 'text' });
    expect(parseAuditOptions({ sample: '0.5', output: 'json', netns: 'lab' })).toEqual({ sample: 0.5, output: 'json', netns: 'lab' });
  });

  it('bad input is one line naming the option', () => {
    const bad = (argv: Record<string, unknown>) => {
      try {
        parseAuditOptions(argv);
      } catch (e) {
        expect(e).toBeInstanceOf(UsageError);
        return (e as Error).message;
      }
      throw new Error('accepted');
    };
    expect(bad({ sample: 'abc', output: 'text' })).toBe("--sample: 'abc' is not a number");
    expect(bad({ sample: '0', output: 'text' })).toBe("--sample: '0' must be at least 0.1");
    expect(bad({ sample: '61', output: 'text' })).toBe("--sample: '61' must be at most 60");
    expect(bad({ sample: '1', output: 'text', netns: ['a', 'b'] })).toBe('--netns: given more than once');
    expect(bad({ sample: '1', output: 'text', netns: '' })).toBe('--netns: give a namespace (a name, a path or an inode)');
  });

  it('--netns: this namespace needs no entering; an unknown one is refused naming the option', () => {
    expect(targetNamespace(undefined).path).toBeUndefined();
    const self = targetNamespace('/proc/self/ns/net');
    expect(self.name).toBe('/proc/self/ns/net');
    expect(self.path).toBeUndefined();
    expect(() => targetNamespace('no-such-namespace-here')).toThrow(/^--netns: no network namespace 'no-such-namespace-here'/);
    expect(() => targetNamespace('/etc/hostname')).toThrow("--netns: '/etc/hostname' is not a network namespace");
  });
});

describe('netstrata audit --help', () => {
  it('states the question, the options, examples and the exit status', () => {
    const bin = fileURLToPath(new URL('../../dist/netstrata.js', import.meta.url));
    const out = execFileSync(process.execPath, [bin, 'audit', '--help'], { encoding: 'utf8' });
    expect(out.replace(/\s+/g, ' ')).toContain("What in this host's configuration is off, and why does it matter for drops and latency?");
    for (const o of ['--netns', '--sample', '--output']) expect(out).toContain(o);
    expect(out).not.toContain('--namespace-facts');
    expect(out).toMatch(/Examples:\n {2}netstrata audit {2,}/);
    expect(out.replace(/\s+/g, ' ')).toContain('Exit status: 0 when no finding is a warning or critical, 3 when one is, 1 when the audit failed, 2 for bad input.');
    const top = execFileSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
    expect(top).toMatch(/netstrata audit +what in this host's configuration is off, and why it matters for drops and latency/);
  });
});
