/** Exit codes and the one error handler every tool uses. */
import { BpfError } from '@netstrata/libbpf-ts';

/** Bad input or a missing privilege or kernel feature: one line, exit 2, nothing loaded. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const EXIT_OK = 0;
export const EXIT_RUNTIME = 1;
export const EXIT_USAGE = 2;

/** Prints one line for the error (the verifier log too with --verbose) and returns the exit code. */
export function handleErrors(tool: string, err: unknown, opts: { verbose?: boolean; write?: (s: string) => void } = {}): number {
  const write = opts.write ?? ((s: string) => void process.stderr.write(s));
  if (err instanceof UsageError) {
    write(`${tool}: ${err.message}\n`);
    return EXIT_USAGE;
  }
  if (err instanceof BpfError) {
    write(`${tool}: ${err.explain()}\n`);
    if (opts.verbose && err.log.trim()) write(`${err.log.trimEnd()}\n`);
    else if (err.log.trim()) write(`${tool}: (run with --verbose for the libbpf log)\n`);
    return EXIT_RUNTIME;
  }
  const message = err instanceof Error ? err.message : String(err);
  write(`${tool}: ${message}\n`);
  if (opts.verbose && err instanceof Error && err.stack) write(`${err.stack}\n`);
  return EXIT_RUNTIME;
}
