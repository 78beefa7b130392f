/** What bad input must get from every tool, asserted case by case. */
import { basename } from 'node:path';
import { expect } from 'vitest';
import { runToolOnce } from './runner.ts';

/** Each case run once: exit 2, one line on stderr (the tool's name, then the message), nothing on
 * stdout, and not one bpf(2) call (strace): the input is refused before anything loads. */
export function expectUsageErrors(bin: string, cases: readonly (readonly [readonly string[], RegExp])[]): void {
  const name = basename(bin, '.js');
  for (const [args, message] of cases) {
    const r = runToolOnce(bin, [...args], { traceBpf: true });
    const lines = r.stderr.split('\n').filter((l) => l !== '');
    expect({ args, exit: r.exitCode, lines: lines.length }).toEqual({ args, exit: 2, lines: 1 });
    expect(lines[0]!.startsWith(`${name}: `), lines[0]).toBe(true);
    expect(lines[0]!.slice(name.length + 2)).toMatch(message);
    expect(r.stdout).toBe('');
    expect(r.bpfCalls).toEqual([]);
  }
}
