/** Commands the lab runs: no shell, and a failure names the command and what it printed. */
import { execFileSync } from 'node:child_process';

export function run(cmd: string, args: readonly string[], opts: { input?: string; allowFail?: boolean; cwd?: string } = {}): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', input: opts.input, cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; status?: number };
    if (opts.allowFail) return e.stdout ?? '';
    throw new Error(`${cmd} ${args.join(' ')} failed (${e.status ?? '?'}): ${(e.stderr ?? '').trim()}`);
  }
}
