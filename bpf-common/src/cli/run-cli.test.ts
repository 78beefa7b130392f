import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { checkPrivileges, parseArgs, wrapWords, yargsMessage } from './run-cli.ts';
import { commonSchema, withCommonOptions } from './options.ts';
import { handleErrors, UsageError } from './errors.ts';

const cmd = {
  name: 'demo_tool',
  describe: 'What does this answer?',
  examples: [['$0', 'run it']] as [string, string][],
  options: (y: never) => withCommonOptions(y),
  schema: commonSchema,
  handler: async () => {},
};

describe('CLI scaffolding', () => {
  it('validates common options with one message naming the option', async () => {
    await expect(parseArgs(cmd as never, ['--interval', '0'])).rejects.toThrow("--interval: '0' must be greater than 0");
    await expect(parseArgs(cmd as never, ['--top', '2.5'])).rejects.toThrow("--top: '2.5' is not a whole number");
    await expect(parseArgs(cmd as never, ['--output', 'yaml'])).rejects.toThrow(/--output: "yaml" is not one of/);
    await expect(parseArgs(cmd as never, ['--bogus'])).rejects.toThrow('unknown option --bogus');
    const ok = (await parseArgs(cmd as never, ['--interval', '2', '--ready-file', '/tmp/x'])) as z.infer<typeof commonSchema>;
    expect(ok).toMatchObject({ interval: 2, duration: 0, top: 10, output: 'text', readyFile: '/tmp/x' });
  });

  it('rejects what yargs would let through: a missing value, a flag with a value, an option twice, text for a number', async () => {
    await expect(parseArgs(cmd as never, ['--top'])).rejects.toThrow(new UsageError('--top: needs a value'));
    await expect(parseArgs(cmd as never, ['--output'])).rejects.toThrow(new UsageError('--output: needs a value'));
    await expect(parseArgs(cmd as never, ['--verbose=maybe'])).rejects.toThrow(new UsageError("--verbose: 'maybe' is not true or false (a flag takes no value)"));
    await expect(parseArgs(cmd as never, ['--interval', '2', '--interval=3'])).rejects.toThrow(new UsageError('--interval: given more than once'));
    await expect(parseArgs(cmd as never, ['--interval', 'soon'])).rejects.toThrow(new UsageError("--interval: 'soon' is not a number"));
    await expect(parseArgs(cmd as never, ['--top='])).rejects.toThrow(new UsageError("--top: '' is not a number"));
    const ok = await parseArgs(cmd as never, ['--verbose=false', '--interval', '0.5', '--top=3']);
    expect(ok).toMatchObject({ verbose: false, interval: 0.5, top: 3 });
  });

  it("turns yargs' messages into one line", () => {
    expect(yargsMessage('Unknown arguments: no-such-flag, x', ['--no-such-flag'])).toBe('unknown option --no-such-flag');
    expect(yargsMessage('Unknown argument: stray', ['stray'])).toBe("unexpected argument 'stray' (options start with --)");
    // The option named, not a known one whose name ends the same way.
    expect(yargsMessage('Unknown argument: interface', ['--rx-interface', 'lo', '--interface', 'lo'])).toBe('unknown option --interface');
    expect(yargsMessage('Unknown argument: fooBar', ['--no-foo-bar'])).toBe('unknown option --no-foo-bar');
    expect(yargsMessage('Not enough arguments following: src-ip')).toBe('--src-ip: needs a value');
  });

  it('checks privileges from the effective capability set', () => {
    expect(() => checkPrivileges('CapEff:\t0000000000000000\n')).toThrow(UsageError);
    expect(() => checkPrivileges('CapEff:\t000001ffffffffff\n')).not.toThrow();
    expect(() => checkPrivileges(`CapEff:\t${((1n << 39n) | (1n << 38n)).toString(16)}\n`)).not.toThrow();
  });

  it('maps errors to exit codes with one line', () => {
    const out: string[] = [];
    expect(handleErrors('t', new UsageError('--x: bad'), { write: (s) => out.push(s) })).toBe(2);
    expect(handleErrors('t', new Error('failed to load: boom'), { write: (s) => out.push(s) })).toBe(1);
    expect(out).toEqual(['t: --x: bad\n', 't: failed to load: boom\n']);
  });
});

describe('wrapWords', () => {
  it('breaks at spaces only, within the width', () => {
    const text = 'Find where packets are dropped and delayed on Linux hosts that run virtual machines.';
    const out = wrapWords(text, 78).split('\n');
    expect(out.join(' ')).toBe(text);
    for (const l of out) expect(l.length).toBeLessThanOrEqual(78);
    expect(out[0]).toBe('Find where packets are dropped and delayed on Linux hosts that run virtual');
  });
});
