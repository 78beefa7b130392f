/**
 * Workloads a tool is pointed at by pid are spawned before it, but must not start their work
 * until it is ready: a timed head start loses to a slow start-up (a loaded CPU, a slower flavour).
 * The agents (agents/sleeper.py, agents/lockstress.c) wait for one line, or the end of file, on
 * standard input; spawn them with a piped stdin and `release` them once `startTool` returned.
 */
import type { ChildProcess } from 'node:child_process';

/** Lets a held workload start. Closing stdin also releases it if the test process dies first. */
export function release(workload: ChildProcess): void {
  if (!workload.stdin) throw new Error('the workload was spawned without a piped stdin: it cannot be released');
  workload.stdin.end('go\n');
}
