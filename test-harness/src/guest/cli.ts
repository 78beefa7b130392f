/**
 * npm run guest -- --kernel debian-6.1 packages/packet-drop/src/programs.test.ts
 * npm run guest -- --kernel 6.12 -- netstrata doctor
 *
 * Boots a guest kernel under QEMU (once, for everything asked) and runs test files inside it with
 * vitest, or one command after `--`; streams their output and exits with the worst status.
 */
import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { GUEST_KERNELS, guestKernel } from './kernels.ts';
import { prepareKernel } from './image.ts';
import { REPO } from './suites.ts';
import { Guest } from './vm.ts';

const USAGE = `usage: npm run guest -- --kernel ID [--kernel ID ...] [--early SCRIPT] (TEST_FILE... | -- COMMAND...)
kernels: ${GUEST_KERNELS.map((k) => k.id).join(', ')}`;

const dd = process.argv.indexOf('--');
const { values, positionals } = parseArgs({
  args: process.argv.slice(2, dd < 0 ? undefined : dd),
  options: { kernel: { type: 'string', multiple: true }, early: { type: 'string' }, help: { type: 'boolean' } },
  allowPositionals: true,
});
const command = dd < 0 ? undefined : process.argv.slice(dd + 1);
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const fail = (msg: string): never => {
  console.error(`guest: ${msg}\n${USAGE}`);
  process.exit(2);
};
if (!values.kernel?.length) fail('--kernel: give at least one');
let kernels;
try {
  kernels = values.kernel!.map(guestKernel);
} catch (e) {
  fail(`--kernel: ${(e as Error).message}`);
}
if (!command?.length && !positionals.length) fail('give test files, or a command after --');
const files = positionals.map((f) => {
  const abs = resolve(f);
  if (!existsSync(abs)) fail(`${f}: no such file`);
  let dir = dirname(abs);
  while (!existsSync(join(dir, 'package.json')) && dir !== '/') dir = dirname(dir);
  return { dir, file: relative(dir, abs) };
});

let worst = 0;
process.on('unhandledRejection', (e) => {
  console.error(`guest: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
for (const k of kernels!) {
  const image = prepareKernel(k);
  const guest = await Guest.boot(image, { early: values.early });
  console.error(`guest: ${k.id} (${guest.release}) up in ${guest.bootSeconds.toFixed(1)} s`);
  try {
    const jobs = command?.length ? [{ cmd: command, cwd: process.cwd() }] : files.map((f) => ({ cmd: [process.execPath, join(REPO, 'node_modules/vitest/vitest.mjs'), 'run', f.file], cwd: f.dir }));
    for (const job of jobs) {
      const r = await guest.exec(job.cmd, { cwd: job.cwd, env: { CI: process.env.CI ?? '', NETSTRATA_GUEST: '1', FORCE_COLOR: process.stdout.isTTY ? '1' : '0' }, onOutput: (s, d) => (s === 'stdout' ? process.stdout : process.stderr).write(d) });
      const code = r.code ?? 1;
      console.error(`guest: ${k.id}: ${job.cmd.join(' ')} exited ${r.code ?? r.signal}`);
      worst = Math.max(worst, code);
    }
  } finally {
    await guest.shutdown();
  }
}
process.exit(worst);
