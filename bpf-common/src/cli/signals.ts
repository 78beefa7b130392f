/** The environment variable a parent sets for a tool that must not outlive it (netstrata diagnose). */
export const STOP_WITH_PARENT = 'NETSTRATA_STOP_WITH_PARENT';

/**
 * SIGINT/SIGTERM stop a tool gracefully (final summary, detach); a second one exits at once. With
 * NETSTRATA_STOP_WITH_PARENT=1 in its environment the tool also stops so when its parent is gone
 * (it was re-parented): a parent killed with SIGKILL cannot stop its children itself.
 */
export function stopSignal(env: NodeJS.ProcessEnv = process.env): AbortSignal {
  const ac = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    if (ac.signal.aborted) process.exit(sig === 'SIGINT' ? 130 : 143);
    ac.abort(sig);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  if (env[STOP_WITH_PARENT] === '1') {
    const parent = process.ppid;
    const watch = setInterval(() => {
      if (process.ppid !== parent && !ac.signal.aborted) ac.abort('SIGTERM');
    }, 250);
    watch.unref();
    ac.signal.addEventListener('abort', () => clearInterval(watch), { once: true });
  }
  return ac.signal;
}
