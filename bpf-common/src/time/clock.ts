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
  private anchorHigh = -1;
  private anchorSecond = 0;
  private anchorNs = 0;

  /** ISO 8601 with microseconds, e.g. 2026-11-22T21:03:05.123456Z. Events come in bursts within
   * the same second: the date part is formatted once per second. */
  toIso(ktimeNs: bigint): string {
    return this.isoAt(Number(ktimeNs & 0xffffffffn), Number(ktimeNs >> 32n));
  }

  /**
   * toIso of the kernel time whose 64 bits are `high` · 2^32 + `low` (two u32 reads of a record),
   * exactly and without a bigint per event: the wall-clock second and nanosecond where this high
   * word starts are worked out once per 2^32 ns (4.3 s), and the low word is added as a number.
   */
  isoAt(low: number, high: number): string {
    if (high !== this.anchorHigh) {
      const start = (BigInt(high) << 32n) + this.offsetNs;
      this.anchorHigh = high;
      this.anchorSecond = Number(start / 1_000_000_000n);
      this.anchorNs = Number(start % 1_000_000_000n);
    }
    const ns = this.anchorNs + low; // < 1e9 + 2^32: exact
    const carry = Math.floor(ns / 1e9);
    const second = this.anchorSecond + carry;
    if (second !== this.isoSecond) {
      this.isoSecond = second;
      this.isoPrefix = `${new Date(second * 1000).toISOString().slice(0, 19)}.`;
    }
    const us = Math.floor((ns - carry * 1e9) / 1000);
    return `${this.isoPrefix}${String(us + 1_000_000).slice(1)}Z`;
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

/** The local time of day of an ISO 8601 time, for text output: HH:MM:SS, and with `micros` the
 * ISO time's microseconds after it (HH:MM:SS.uuuuuu). */
export function timeOfDay(iso: string, micros = false): string {
  const hms = new Date(iso).toTimeString().slice(0, 8);
  return micros ? `${hms}.${iso.slice(20, 26)}` : hms;
}

/** The first words of a summary record's text: its time of day and the span it covers. */
export function spanHeading(rec: { time: string; type: string; interval_s?: number }): string {
  return `${timeOfDay(rec.time)} ${rec.type === 'final' ? 'total since start' : `interval ${(rec.interval_s ?? 0).toFixed(1)} s`}`;
}
