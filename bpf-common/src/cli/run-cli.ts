/**
 * Runs a tool's command: yargs parses, zod validates, privileges are checked, then the handler
 * runs. Every failure before the handler is one line and exit 2, with nothing loaded.
 */
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import type { z } from 'zod';
import { EXIT_OK, EXIT_USAGE, handleErrors, UsageError } from './errors.ts';

export interface ToolCommand<S extends z.ZodType> {
  name: string;
  /** One sentence: the question the tool answers. */
  describe: string;
  examples: [string, string][];
  epilog?: string;
  options: (y: Argv) => Argv<unknown>;
  schema: S;
  /** Runs the tool; resolves when it has stopped and printed its final record. */
  handler: (opts: z.infer<S>) => Promise<void>;
  /** Whether the tool needs BPF privileges (default true). */
  privileged?: boolean;
}

/**
 * V8 grows the young generation up to 2 × 16 MB under steady allocation, resident for the whole
 * run. A tool's garbage is short-lived (decoded events and records, dead by the next batch), so it
 * keeps the initial size: tens of MB less resident, at the cost of more (cheap) scavenges. Set when
 * the process starts (the growth factor is read at each resize; the maximum only at start).
 */
export function keepYoungGenerationSmall(): void {
  setFlagsFromString('--semi-space-growth-factor=1');
}

export async function runCli<S extends z.ZodType>(cmd: ToolCommand<S>, argv = hideBin(process.argv)): Promise<never> {
  keepYoungGenerationSmall();
  const code = await runCommand(cmd, argv);
  // Let stdout drain before exiting: a piped consumer must get the final record.
  await new Promise<void>((resolve) => (process.stdout.write('', () => resolve())));
  process.exit(code);
}

/** The same as runCli without exiting: returns the exit code (tests call this). */
export async function runCommand<S extends z.ZodType>(cmd: ToolCommand<S>, argv: string[]): Promise<number> {
  let verbose = argv.includes('--verbose');
  try {
    const parsed = await parseArgs(cmd, argv);
    if (parsed === undefined) return EXIT_OK; // --help
    verbose = Boolean((parsed as { verbose?: boolean }).verbose);
    if (cmd.privileged !== false) checkPrivileges();
    await cmd.handler(parsed);
    return EXIT_OK;
  } catch (err) {
    return handleErrors(cmd.name, err, { verbose });
  }
}

export async function parseArgs<S extends z.ZodType>(cmd: ToolCommand<S>, argv: string[]): Promise<z.infer<S> | undefined> {
  let helped = false;
  const y = cmd
    .options(
      yargs(argv)
        .scriptName(cmd.name)
        .usage(`$0 [options]\n\n${wrapWords(cmd.describe, helpWidth() - 2)}`)
        .strict()
        .parserConfiguration({ 'camel-case-expansion': true, 'strip-dashed': true })
        .help('help')
        .alias('help', 'h')
        .version(false)
        .wrap(helpWidth())
        .fail((msg, err) => {
          // yargs' own validation errors (YError) are bad input; anything else is ours.
          if (err && err.name !== 'YError') throw err;
          throw new UsageError(yargsMessage(msg ?? err?.message ?? 'invalid options', argv));
        }),
    )
    .exitProcess(false);
  // Every option but a flag takes a value: `--top` alone is an error, not the default.
  // getOptions is yargs' own record of the declared options (untyped in @types/yargs).
  const declared = (y as unknown as { getOptions(): DeclaredOptions }).getOptions();
  y.requiresArg(Object.keys(declared.key).filter((k) => !declared.boolean.includes(k) && k !== 'help'));
  const typed = typedValues(argv, declared);
  for (const [ex, what] of cmd.examples) y.example(ex, what);
  if (cmd.epilog) y.epilog(cmd.epilog);
  const args = await y.parseAsync(argv, {}, (_err, _argv, output) => {
    if (output) {
      helped = true;
      process.stdout.write(`${output}\n`);
    }
  });
  if (helped) return undefined;
  const { _: positional, $0: _script, ...rest } = args as Record<string, unknown> & { _: unknown[]; $0: string };
  if (positional.length) throw new UsageError(`unexpected argument '${String(positional[0])}' (options start with --)`);
  // yargs turns a number it cannot read into NaN (and `--port=` into 0): validate what was typed.
  for (const [name, raw] of typed.numbers) rest[camel(name)] = raw;
  const result = cmd.schema.safeParse(rest);
  if (!result.success) throw new UsageError(result.error.issues[0]?.message ?? 'invalid options');
  return result.data;
}

/** Columns --help is laid out in: the terminal's, at most 110. */
export function helpWidth(): number {
  return Math.min(110, process.stdout.columns || 80);
}

/** Text broken into lines of at most `width` columns at spaces (yargs breaks a long usage
 * line in the middle of a word). */
export function wrapWords(text: string, width: number): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.join('\n');
}

interface DeclaredOptions {
  key: Record<string, unknown>;
  boolean: string[];
  number: string[];
}

const camel = (name: string) => name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * What the user typed for the declared options, checked where yargs is lenient: an option given
 * twice (yargs makes an array), `--flag=text` (yargs reads it as false), and number options whose
 * text is not a number (returned, so the message can quote it).
 */
export function typedValues(argv: readonly string[], declared: DeclaredOptions): { numbers: Map<string, string> } {
  const numbers = new Map<string, string>();
  const seen = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const t = argv[i]!;
    if (t === '--') break;
    const m = /^--([^=]+)(?:=(.*))?$/s.exec(t);
    if (!m) continue;
    const flag = m[1]!.replace(/^no-/, '');
    const name = m[1]! in declared.key ? m[1]! : flag in declared.key && declared.boolean.includes(flag) ? flag : undefined;
    if (name === undefined || name === 'help') continue;
    if (seen.has(name)) throw new UsageError(`--${name}: given more than once`);
    seen.add(name);
    if (declared.boolean.includes(name)) {
      if (m[2] !== undefined && !/^(true|false)$/.test(m[2])) throw new UsageError(`--${m[1]}: '${m[2]}' is not true or false (a flag takes no value)`);
      continue;
    }
    const value = m[2] ?? argv[i + 1];
    if (m[2] === undefined) i++;
    if (value === undefined || !declared.number.includes(name)) continue;
    if (value.trim() === '' || !Number.isFinite(Number(value))) numbers.set(name, value);
  }
  return { numbers };
}

/** yargs' messages, made into one line that names the option. */
export function yargsMessage(msg: string, argv: readonly string[] = []): string {
  const unknown = /^Unknown arguments?: (.*)$/.exec(msg);
  if (unknown) {
    const first = unknown[1]!.split(',')[0]!.trim();
    if (argv.includes(first)) return `unexpected argument '${first}' (options start with --)`;
    // yargs reports --no-x as x and camel-cases names: show the token the user typed.
    const flat = (t: string) => t.replace(/^-+/, '').replace(/=.*$/, '').replace(/-/g, '').toLowerCase();
    const typed = argv.find((t) => t.startsWith('-') && (flat(t) === flat(first) || flat(t) === `no${flat(first)}`));
    return `unknown option ${typed?.replace(/=.*$/, '') ?? `--${first}`}`;
  }
  const missing = /^Not enough arguments following: (.*)$/.exec(msg);
  if (missing) return `--${missing[1]}: needs a value`;
  const invalid = /^Invalid values:\s*Argument: (\S+), Given: (.*?), Choices: (.*)$/s.exec(msg.replace(/\n/g, ' '));
  if (invalid) return `--${invalid[1]}: ${invalid[2]} is not one of ${invalid[3]}`;
  return msg.split('\n')[0]!;
}

const CAP_SYS_ADMIN = 21n;
const CAP_PERFMON = 38n;
const CAP_BPF = 39n;

/** Root, or CAP_BPF with CAP_PERFMON, or CAP_SYS_ADMIN: what loading tracing programs needs. */
export function checkPrivileges(status?: string): void {
  const text = status ?? readStatus();
  const m = /^CapEff:\s*([0-9a-f]+)/m.exec(text);
  const caps = m ? BigInt(`0x${m[1]}`) : 0n;
  const has = (c: bigint) => (caps >> c) & 1n;
  if (has(CAP_SYS_ADMIN) || (has(CAP_BPF) && has(CAP_PERFMON))) return;
  throw new UsageError('needs root (or CAP_BPF and CAP_PERFMON) to load BPF programs; run it with sudo');
}

function readStatus(): string {
  return readFileSync('/proc/self/status', 'utf8');
}
