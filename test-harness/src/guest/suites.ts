/**
 * A package's vitest file run inside a guest (or on this host, for the same record): its counts,
 * its log, and the flavour outcomes its verifier suite recorded (NETSTRATA_SUPPORT_REPORT).
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { FlavourOutcome } from '@netstrata/bpf-common/testing';
import type { Guest } from './vm.ts';

/** The repository this code runs from (the guest sees the same path through its shared root). */
export const REPO = join(dirname(createRequire(import.meta.url).resolve('@netstrata/test-harness/package.json')), '..');
const VITEST = join(dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs');

export interface Suite {
  /** The package directory, from the repository root. */
  dir: string;
  /** The test file, from the package directory (default: every file the config includes). */
  file?: string;
  /** A vitest config of the package directory other than its own. */
  config?: string;
  /** Verifier suites: the tools' own rodata only, no variants (NETSTRATA_VERIFY_BASE_ONLY). */
  baseOnly?: boolean;
  /** Only the tests whose names match (vitest -t). */
  only?: string;
  /** More environment for the run. */
  env?: Record<string, string>;
}

export interface SuiteResult {
  passed: number;
  failed: number;
  skipped: number;
  seconds: number;
  /** The test files that ran. */
  files: number;
  /** The end of the run's output, for a failure message. */
  log: string;
  outcomes: FlavourOutcome[];
}

let runs = 0;

function vitestArgs(suite: Suite, json: string): string[] {
  return [VITEST, 'run', ...(suite.config ? [`--config=${suite.config}`] : []), ...(suite.file ? [suite.file] : []), ...(suite.only ? [`--testNamePattern=${suite.only}`] : []), '--reporter=default', '--reporter=json', `--outputFile.json=${json}`];
}

function result(json: string, support: string, log: string, seconds: number): SuiteResult {
  const counts = existsSync(json) ? (JSON.parse(readFileSync(json, 'utf8')) as { numPassedTests: number; numFailedTests: number; numPendingTests: number; numTodoTests: number; testResults: unknown[] }) : undefined;
  const outcomes = existsSync(support)
    ? readFileSync(support, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as FlavourOutcome)
    : [];
  return {
    passed: counts?.numPassedTests ?? 0,
    failed: counts ? counts.numFailedTests : 1,
    skipped: (counts?.numPendingTests ?? 0) + (counts?.numTodoTests ?? 0),
    seconds,
    files: counts?.testResults.length ?? 0,
    log: log.split('\n').slice(-60).join('\n'),
    outcomes,
  };
}

/** A test's time limit in a guest: TCG runs the same test several times slower than this host, and
 * slower still when the host is busy (the limits are there to end hangs, not to time the tests). */
const GUEST_TEST_TIMEOUT_MS = 300_000;

/** Runs the suite inside the guest, as root with CI set (so nothing may skip). */
export async function runSuite(guest: Guest, suite: Suite): Promise<SuiteResult> {
  const n = ++runs;
  const t = performance.now();
  const r = await guest.exec(['node', ...vitestArgs(suite, `/mnt/out/suite-${n}.json`), `--testTimeout=${GUEST_TEST_TIMEOUT_MS}`, `--hookTimeout=${GUEST_TEST_TIMEOUT_MS}`], {
    cwd: join(REPO, suite.dir),
    env: { CI: 'true', NO_COLOR: '1', NETSTRATA_GUEST: '1', NETSTRATA_SUPPORT_REPORT: `/mnt/out/support-${n}.jsonl`, ...(suite.baseOnly ? { NETSTRATA_VERIFY_BASE_ONLY: '1' } : {}), ...suite.env },
  });
  return result(join(guest.outDir, `suite-${n}.json`), join(guest.outDir, `support-${n}.jsonl`), r.stdout + r.stderr, (performance.now() - t) / 1000);
}

/** The same suite on this host, for the matrix's first column (asynchronous: the guests' lanes run
 * in the same process meanwhile). */
export async function runSuiteOnHost(suite: Suite): Promise<SuiteResult> {
  const n = ++runs;
  const json = `/tmp/nst-host-suite-${process.pid}-${n}.json`;
  const support = `/tmp/nst-host-support-${process.pid}-${n}.jsonl`;
  const t = performance.now();
  const child = spawn(process.execPath, vitestArgs(suite, json), {
    cwd: join(REPO, suite.dir),
    env: { ...process.env, NO_COLOR: '1', NETSTRATA_SUPPORT_REPORT: support },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const keep = (d: Buffer) => void (log = (log + d.toString('utf8')).slice(-200_000));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  await new Promise((resolve) => child.once('close', resolve));
  const res = result(json, support, log, (performance.now() - t) / 1000);
  rmSync(json, { force: true });
  rmSync(support, { force: true });
  return res;
}
