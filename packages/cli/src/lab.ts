/**
 * `netstrata lab`: labs in network namespaces with known faults, each diagnosed beside what was
 * injected. The labs are built by the test harness (they need its traffic generators and agents),
 * so this runs the harness's lab command from a checkout where it is built.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The harness's lab command beside this bundle in a built checkout (packages/cli/dist → test-harness/dist). */
export const LAB_BIN = fileURLToPath(new URL('../../../test-harness/dist/lab.js', import.meta.url));

export async function runLab(args: readonly string[]): Promise<number> {
  if (!existsSync(LAB_BIN)) {
    process.stderr.write(`netstrata lab: the labs come with the repository's test harness, not built here (${LAB_BIN}): run npm run build in a checkout\n`);
    return 1;
  }
  const child = spawn(process.execPath, [LAB_BIN, ...args], { stdio: 'inherit' });
  // The lab removes itself on SIGINT/SIGTERM: pass them on and wait for it.
  const forward = (sig: NodeJS.Signals) => child.kill(sig);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  return new Promise((resolve) => child.once('exit', (code, sig) => resolve(code ?? (sig === 'SIGINT' ? 130 : 1))));
}
