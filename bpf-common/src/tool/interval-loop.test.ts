import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { everyInterval, untilStopped } from './interval-loop';

describe('everyInterval', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('ticks once per interval until the duration ends', async () => {
    const ticks: number[] = [];
    const done = everyInterval({ intervalMs: 20, durationMs: 110, signal: new AbortController().signal }, (t) => {
      ticks.push(t);
    });
    await vi.advanceTimersByTimeAsync(200);
    await done;
    expect(ticks).toEqual([20, 40, 60, 80, 100]);
  });

  it('skips intervals missed during a stall instead of firing them back to back', async () => {
    const ticks: number[] = [];
    const done = everyInterval({ intervalMs: 10, durationMs: 45, signal: new AbortController().signal }, (t) => {
      ticks.push(t);
      if (ticks.length === 1) vi.setSystemTime(Date.now() + 25);
    });
    await vi.advanceTimersByTimeAsync(100);
    await done;
    expect(ticks).toEqual([10, 40]);
  });

  it('stops at once when the signal fires', async () => {
    const ac = new AbortController();
    let n = 0;
    const done = everyInterval({ intervalMs: 10_000, durationMs: 0, signal: ac.signal }, () => {
      n++;
    });
    await vi.advanceTimersByTimeAsync(30);
    ac.abort();
    await done;
    expect(n).toBe(0);
  });

  it('untilStopped resolves on abort', async () => {
    const ac = new AbortController();
    const done = untilStopped({ durationMs: 0, signal: ac.signal });
    ac.abort();
    await done;
    expect(ac.signal.aborted).toBe(true);
  });
});
