/**
 * lab list
 * lab run CASE [--duration S] [--output text|json] [--no-auto]
 *
 * Labs with one known problem each: `run` builds the case's lab in network namespaces, runs
 * `netstrata diagnose` on it, injects the problem once diagnose is attached, and prints diagnose's
 * verdict beside what was injected. The lab is removed on every exit.
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { UsageError, handleErrors, yargsMessage } from '@netstrata/bpf-common';
import type { Diagnosis } from '@netstrata/cli';
import { renderDiagnosis } from '@netstrata/cli/src/diagnose/report.ts';
import { LAB_CASES, LabInterrupted, compare, labCase, renderComparison, runLabCase } from './lab-cases/index.ts';

const listText = () => {
  const w = Math.max(...LAB_CASES.map((c) => c.name.length));
  return LAB_CASES.map((c) => `${c.name.padEnd(w)}  ${c.title}`).join('\n');
};

async function run(a: { case: string; duration?: number; output: 'text' | 'json'; auto: boolean }): Promise<number> {
  const c = labCase(a.case);
  if (!c) throw new UsageError(`CASE: no case '${a.case}' (cases: ${LAB_CASES.map((x) => x.name).join(', ')})`);
  if (a.duration !== undefined && !(Number.isFinite(a.duration) && a.duration > 0 && a.duration <= 3600)) throw new UsageError('--duration: give seconds, more than 0 and at most 3600');
  if (process.getuid?.() !== 0) throw new Error('a lab builds network namespaces and diagnose loads BPF programs: run it as root');
  if (a.output === 'text') console.log(`lab ${c.name}: ${c.title}\n  ${c.what}\n  building the lab, running netstrata diagnose for ${a.duration ?? c.duration} s, injecting once it is attached...`);
  const { command, truth, verdict } = await runLabCase(c, { duration: a.duration, auto: a.auto });
  const cmp = compare(truth, verdict);
  if (a.output === 'json') console.log(JSON.stringify({ type: 'lab', case: c.name, ok: cmp.ok, truth, verdict }));
  else console.log(`\n$ netstrata diagnose ${command.join(' ')}\n${renderDiagnosis(verdict as unknown as Diagnosis)}\n\n${renderComparison(cmp, truth.notes)}`);
  return cmp.ok ? 0 : 1;
}

async function main(argv: string[]): Promise<number> {
  let status = 0;
  try {
    await yargs(argv)
      .scriptName('lab')
      .usage('$0 <command>\n\nLabs with one known problem each, diagnosed by netstrata diagnose and held to what was injected.')
      .command('list', 'the cases, one line each', (y) => y, () => void console.log(listText()))
      .command(
        'run <case>',
        'build the case, run netstrata diagnose on it, compare its verdict with what was injected (exit 0 when they agree)',
        (y) =>
          y
            .positional('case', { type: 'string', demandOption: true, describe: `one of ${LAB_CASES.map((c) => c.name).join(', ')}` })
            .option('duration', { type: 'number', requiresArg: true, describe: "seconds diagnose measures (default: the case's)" })
            .option('output', { choices: ['text', 'json'] as const, default: 'text' as const, requiresArg: true, describe: 'json: one record with the truth and the verdict' })
            .option('auto', { type: 'boolean', default: true, describe: "diagnose's layers 2 and 3 (--no-auto: layer 1 only)" })
            .example('$0 run faults', 'four faults among good traffic')
            .example('$0 run latency-tail --output json', 'the latency tail, as one JSON record'),
        async (a) => void (status = await run(a)),
      )
      .demandCommand(1, 'give a command: list or run')
      .strict()
      .version(false)
      .fail((msg, err) => {
        // yargs' own validation errors (YError) are bad input; anything else is a failure.
        if (err && err.name !== 'YError') throw err;
        const text = msg ?? err?.message ?? 'invalid options';
        if (/^Not enough non-option arguments/.test(text)) throw new UsageError(`CASE: give one (cases: ${LAB_CASES.map((c) => c.name).join(', ')})`);
        throw new UsageError(yargsMessage(text, argv));
      })
      .exitProcess(false)
      .parseAsync();
    return status;
  } catch (err) {
    if (err instanceof LabInterrupted) {
      console.error(`lab: ${err.message}`);
      return err.signal === 'SIGINT' ? 130 : 143;
    }
    return handleErrors('lab', err);
  }
}

process.exitCode = await main(hideBin(process.argv));
