/**
 * Where the agents are. Found through the package, not beside this file, because other projects
 * (the bench) bundle this code into their own dist/ and still run the agents kept here.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const root = dirname(createRequire(import.meta.url).resolve('@netstrata/test-harness/package.json'));

/** The path of `test-harness/agents/<file>`. */
export function agentPath(file: string): string {
  return join(root, 'agents', file);
}

/** The path of `test-harness/guest/<file>` (the guest tier's init scripts). */
export function guestFile(file: string): string {
  return join(root, 'guest', file);
}
