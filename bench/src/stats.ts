/** Statistics of repeated trials: medians and spreads, and ratios to a baseline measured in between. */

export interface Spread {
  n: number;
  median: number;
  min: number;
  max: number;
}

export function median(xs: readonly number[]): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function spread(xs: readonly number[]): Spread {
  const ok = xs.filter((x) => Number.isFinite(x));
  if (!ok.length) return { n: 0, median: NaN, min: NaN, max: NaN };
  return { n: ok.length, median: median(ok), min: Math.min(...ok), max: Math.max(...ok) };
}

/**
 * Ratios of each measured run to the baseline runs next to it. `runs` is the order the runs were
 * made in (A B A B … A, A = baseline); each B is divided by the mean of the nearest A before and the
 * nearest A after it (or the one that exists), so a machine whose speed drifts during the run still
 * compares each B with what it could do at that moment.
 */
export function alternatingRatios<T extends { baseline: boolean; value: number }>(runs: readonly T[]): { run: T; ratio: number }[] {
  const out: { run: T; ratio: number }[] = [];
  for (let i = 0; i < runs.length; i++) {
    const r = runs[i]!;
    if (r.baseline) continue;
    let before: number | undefined;
    let after: number | undefined;
    for (let j = i - 1; j >= 0; j--) if (runs[j]!.baseline) { before = runs[j]!.value; break; }
    for (let j = i + 1; j < runs.length; j++) if (runs[j]!.baseline) { after = runs[j]!.value; break; }
    const base = before !== undefined && after !== undefined ? (before + after) / 2 : (before ?? after);
    out.push({ run: r, ratio: base && base > 0 ? r.value / base : NaN });
  }
  return out;
}

/** Throughput cost in percent from a ratio to the no-tool run (0.99 → 1 %). */
export function costPct(ratio: number): number {
  return (1 - ratio) * 100;
}
