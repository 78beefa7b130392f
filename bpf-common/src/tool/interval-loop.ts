/**
 * The steady-state loop of a tool: call `tick` every interval until the stop signal fires or the
 * duration has passed. Timers are re-armed from the schedule, not from the end of the last tick,
 * so a slow tick does not make every later interval drift.
 */
export async function everyInterval(
  opts: { intervalMs: number; durationMs: number; signal: AbortSignal },
  tick: (elapsedMs: number) => void | Promise<void>,
): Promise<void> {
  const start = Date.now();
  const deadline = opts.durationMs > 0 ? start + opts.durationMs : Infinity;
  let next = start + opts.intervalMs;
  while (!opts.signal.aborted) {
    const wake = Math.min(next, deadline);
    await sleepUntil(wake, opts.signal);
    if (opts.signal.aborted) return;
    if (Date.now() >= deadline) return;
    await tick(Date.now() - start);
    next += opts.intervalMs;
    // After a long stall, skip missed intervals instead of firing them back to back.
    while (next <= Date.now()) next += opts.intervalMs;
  }
}

/** Resolves when the signal fires or the duration has passed (details tools, which have no ticks). */
export async function untilStopped(opts: { durationMs: number; signal: AbortSignal }): Promise<void> {
  const deadline = opts.durationMs > 0 ? Date.now() + opts.durationMs : Infinity;
  await sleepUntil(deadline, opts.signal);
}

function sleepUntil(when: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const ms = when - Date.now();
    const timer = Number.isFinite(ms) ? setTimeout(done, Math.max(0, ms)) : undefined;
    function done() {
      if (timer) clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
