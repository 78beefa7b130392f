/** The clock offset and the RX timestamp holder the latency tools use (no privilege needed). */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { holdRxTimestamps, taiOffsetNs } from './index.ts';

describe('clocks and RX timestamps', () => {
  it('TAI − REALTIME is whole seconds, and never negative', () => {
    const off = taiOffsetNs();
    expect(off % 1_000_000_000n).toBe(0n);
    expect(off >= 0n).toBe(true);
  });

  it('the RX timestamp holder is one socket, closed once', () => {
    const fds = () => readdirSync('/proc/self/fd').length;
    const before = fds();
    const h = holdRxTimestamps();
    expect(fds()).toBe(before + 1);
    h.close();
    h[Symbol.dispose]();
    expect(fds()).toBe(before);
  });
});
