/** Commands the lab runs: no shell, and a failure names the command and what it printed. */
import { execFileSync } from 'node:child_process';

export function run(cmd: string, args: readonly string[], opts: { input?: string; allowFail?: boolean } = {}): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', input: opts.input, stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (err) {
    if (opts.allowFail) return '';
    const e = err as { stderr?: string; status?: number };
    throw new Error(`${cmd} ${args.join(' ')} failed (${e.status ?? '?'}): ${(e.stderr ?? '').trim()}`);
  }
}
