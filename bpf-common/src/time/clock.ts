/**
 * Kernel time → wall-clock time. bpf_ktime_get_ns() is CLOCK_MONOTONIC, as is Node's hrtime on
 * Linux; the offset to the real-time clock is measured once at start from the tightest of several
 * readings taken back to back.
 */
export class WallClock {
  /** realtime_ns - monotonic_ns */
  readonly offsetNs: bigint;

  constructor(offsetNs?: bigint) {
    this.offsetNs = offsetNs ?? measureOffset();
  }

  toDate(ktimeNs: bigint): Date {
    return new Date(Number((ktimeNs + this.offsetNs) / 1_000_000n));
  }

  private isoSecond = -1;
  private isoPrefix = '';

  /** ISO 8601 with microseconds, e.g. 2026-11-22T21:03:05.123456Z. Events come in bursts within
   * the same second: the date part is formatted once per second. */
  toIso(ktimeNs: bigint): string {
    const us = (ktimeNs + this.offsetNs) / 1000n;
    const second = Number(us / 1_000_000n);
    if (second !== this.isoSecond) {
      this.isoSecond = second;
      this.isoPrefix = new Date(second * 1000).toISOString().slice(0, 19);
    }
    return `${this.isoPrefix}.${String(Number(us % 1_000_000n)).padStart(6, '0')}Z`;
  }

  /** Microseconds within the second, for text output. */
  micros(ktimeNs: bigint): number {
    return Number(((ktimeNs + this.offsetNs) / 1000n) % 1_000_000n);
  }
}

function measureOffset(): bigint {
  // Date.now() has ms resolution: wait for its edge so the reading is exact to the sandwich width.
  let best: bigint | undefined;
  let bestWidth = BigInt(Number.MAX_SAFE_INTEGER);
  for (let i = 0; i < 5; i++) {
    const first = Date.now();
    let before = process.hrtime.bigint();
    let now = Date.now();
    while (now === first) {
      before = process.hrtime.bigint();
      now = Date.now();
    }
    const after = process.hrtime.bigint();
    const width = after - before;
    if (width < bestWidth) {
      bestWidth = width;
      best = BigInt(now) * 1_000_000n - (before + width / 2n);
    }
  }
  return best!;
}
