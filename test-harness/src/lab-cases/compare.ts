/** What was injected beside what diagnose found: pure, for `lab run` and its tests. */
import type { Verdict, VerdictFinding } from './run.ts';
import type { Truth, TruthItem } from './types.ts';

export interface ComparedItem {
  item: TruthItem;
  /** What diagnose reported for it: packets dropped there, or samples at or over the threshold
   * in that stage; null when no finding matches. */
  found: number | null;
}

export interface Comparison {
  kind: { injected: Truth['kind']; found: Verdict['kind'] };
  items: ComparedItem[];
  /** Findings nothing injected explains. */
  extra: VerdictFinding[];
  ok: boolean;
}

const matches = (f: VerdictFinding, it: TruthItem) =>
  it.stage ? f.kind === 'latency' && f.stage === it.stage && f.direction === it.direction : f.kind === 'drops' && f.reason === it.reason && f.location?.symbol === it.location;

const measure = (f: VerdictFinding) => (f.kind === 'latency' ? (f.slow ?? 0) : f.count);

export function compare(truth: Truth, verdict: Verdict): Comparison {
  const items = truth.items.map((item) => {
    const fs = verdict.findings.filter((f) => matches(f, item));
    return { item, found: fs.length ? fs.reduce((s, f) => s + measure(f), 0) : null };
  });
  const extra = verdict.findings.filter((f) => !truth.items.some((it) => matches(f, it)));
  const ok = truth.kind === verdict.kind && items.every((x) => x.found === x.item.count) && !extra.length;
  return { kind: { injected: truth.kind, found: verdict.kind }, items, extra, ok };
}

const where = (it: TruthItem) => (it.stage ? `${it.direction} ${it.stage}` : `${it.reason} @ ${it.location}`);

const findingText = (f: VerdictFinding) =>
  f.kind === 'latency'
    ? `latency: ${f.direction} ${f.stage}, ${f.slow ?? 0} slow of ${f.count}, p99.9 ${f.p999_us ?? '?'} µs`
    : `drops: ${f.reason} @ ${f.location?.symbol ?? '?'}${f.device ? ` on ${f.device}` : ''}, ${f.count}`;

/** The comparison as a short table for people. */
export function renderComparison(c: Comparison, notes: readonly string[] = []): string {
  const out = [`verdict: ${c.kind.found} (injected: ${c.kind.injected})`];
  if (c.items.length) {
    const w = Math.max(...c.items.map((x) => where(x.item).length));
    out.push(`  ${'injected'.padStart(8)}  ${'found'.padStart(6)}  ${'where'.padEnd(w)}  what`);
    for (const x of c.items) out.push(`  ${String(x.item.count).padStart(8)}  ${String(x.found ?? '-').padStart(6)}  ${where(x.item).padEnd(w)}  ${x.item.what}${x.found === x.item.count ? '' : '   <- differs'}`);
  }
  for (const f of c.extra) out.push(`  not injected: ${findingText(f)}`);
  for (const n of notes) out.push(`  ${n}`);
  out.push(c.ok ? 'diagnose found what was injected.' : 'diagnose did NOT find what was injected.');
  return out.join('\n');
}
