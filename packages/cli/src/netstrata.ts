/** `netstrata`: list the tools, check what this kernel supports, audit the host's network configuration. */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { Sink, checkPrivileges, handleErrors, stopSignal, helpWidth, wrapWords, yargsMessage, UsageError } from '@netstrata/bpf-common';
import { doctor, renderDoctor } from './doctor.ts';
import { AUDIT_COMMAND, parseAuditOptions, runAudit, withAuditOptions } from './audit/command.ts';
import { DIAGNOSE_COMMAND, diagnoseCommand, parseDiagnoseOptions, withDiagnoseOptions } from './diagnose/command.ts';
import { runLab } from './lab.ts';
import { TOOLS } from './registry.ts';

export function listText(): string {
  const w = Math.max(...TOOLS.map((t) => t.name.length));
  return TOOLS.map((t) => `${t.name.padEnd(w)}  ${t.describe.split('?')[0]}?`).join('\n');
}

const COMMANDS = ['list', 'doctor', 'audit', 'diagnose', 'lab'];

export async function main(argv = hideBin(process.argv)): Promise<number> {
  try {
    const first = argv[0];
    if (first === 'lab') return await runLab(argv.slice(1));
    if (first && !first.startsWith('-') && !COMMANDS.includes(first)) {
      throw new UsageError(`unknown command '${first}' (commands: ${COMMANDS.join(', ')})`);
    }
    let status = 0;
    await yargs(argv)
      .scriptName('netstrata')
      .usage(`$0 <command>\n\n${wrapWords('Find where packets are dropped and delayed on Linux hosts that run virtual machines.', helpWidth() - 2)}`)
      // Laid out by wrapWords: yargs would break the description inside a word.
      .wrap(null)
      .command('list', 'the tools, one line each', (y) => y, () => void process.stdout.write(`${listText()}\n`))
      .command(
        'doctor',
        'what this kernel supports, and the hook flavour each tool would use',
        (y) => y.option('output', { choices: ['text', 'json'] as const, default: 'text' as const }),
        (a) => {
          const r = doctor();
          new Sink(a.output).record(r, () => renderDoctor(r));
        },
      )
      .command('audit', AUDIT_COMMAND, (y) => withAuditOptions(y).strict(), async (a) => {
        status = await runAudit(parseAuditOptions(a), [process.execPath, ...process.argv.slice(1, 2)]);
      })
      .command('diagnose', DIAGNOSE_COMMAND, (y) => withDiagnoseOptions(y).strict(), async (a) => {
        const o = parseDiagnoseOptions(a);
        checkPrivileges();
        status = await diagnoseCommand(o, stopSignal());
      })
      .command('lab', 'labs in network namespaces with known faults, each diagnosed beside what was injected (lab list, lab run CASE)')
      .demandCommand(1, 'give a command: list, doctor, audit, diagnose or lab')
      .strict()
      .version(false)
      .example('$0 doctor', 'check this host before running the tools')
      .example('$0 list', 'what each tool answers')
      .example('$0 audit', "what in this host's configuration is off, and why it matters")
      .example('$0 diagnose', 'are packets dropped or delayed here, where and why')
      .example('$0 lab run faults', 'see diagnose find four injected faults in a lab')
      .fail((msg, err) => {
        throw err ?? new UsageError(yargsMessage(msg, argv));
      })
      .exitProcess(false)
      .parseAsync();
    return status;
  } catch (err) {
    return handleErrors('netstrata', err);
  }
}
