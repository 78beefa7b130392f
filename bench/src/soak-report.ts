/** The soak's numbers as data, then as CSV and as the soak block of docs/benchmarks.md. Pure. */
import { SOAK_BLOCK_BEGIN as SOAK_BEGIN, SOAK_BLOCK_END as SOAK_END } from './benchmark-doc.ts';
import type { MapStats } from './process-stats.ts';

export interface SoakSample {
  elapsedS: number;
  tool: string;
  rssKb: number;
  hwmKb: number;
  maps: MapStats[];
}

export interface SoakToolEnd {
  tool: string;
  /** Exit status after SIGINT, and whether a final record was printed. */
  exitCode: number | null;
  finalRecord: boolean;
  /** Loss counters of the final record (top level, or one level down), summed by name. */
  losses: Record<string, number>;
}

export interface SoakRow {
  tool: string;
  samples: number;
  /** Time of the last sample, s from start. */
  lastS: number;
  rssStartKb: number;
  rssEndKb: number;
  rssMaxKb: number;
  /** Least-squares slope of RSS over the second half of the run, KiB per hour. */
  rssSlopeKbPerHour: number;
  mapBytes: number;
  /** The keyed map closest to full at any sample. */
  fullest: { name: string; entries: number; maxEntries: number } | null;
  /** Any sample with a keyed map over its max_entries (must never happen). */
  overfull: string[];
  end: SoakToolEnd | undefined;
}

export const LOSS_FIELDS = ['lost', 'map_full', 'evicted', 'stack_failed', 'missed'] as const;

/** Loss counters of a final record: numeric top-level fields by those names, or inside an object
 * field by one of those names (a record may group them). */
export function lossesOf(record: Record<string, unknown>): Record<string, number> {
  const out: Record<string, number> = {};
  const add = (k: string, v: unknown) => {
    if (typeof v === 'number' && (LOSS_FIELDS as readonly string[]).includes(k)) out[k] = (out[k] ?? 0) + v;
  };
  for (const [k, v] of Object.entries(record)) {
    if (typeof v === 'number') add(k, v);
    else if (v && typeof v === 'object' && !Array.isArray(v) && (LOSS_FIELDS as readonly string[]).includes(k)) {
      for (const [k2, v2] of Object.entries(v as Record<string, unknown>)) add(k2, v2);
    }
  }
  return out;
}

/** Least-squares slope of y over x; 0 with fewer than two distinct x. */
export function slope(points: readonly [number, number][]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, p) => s + p[0], 0) / n;
  const my = points.reduce((s, p) => s + p[1], 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

export function summarizeSoak(samples: readonly SoakSample[], ends: readonly SoakToolEnd[]): SoakRow[] {
  const tools = [...new Set(samples.map((s) => s.tool))];
  return tools.map((tool) => {
    const mine = samples.filter((s) => s.tool === tool).sort((a, b) => a.elapsedS - b.elapsedS);
    const last = mine.at(-1)!;
    const half = last.elapsedS / 2;
    const second = mine.filter((s) => s.elapsedS >= half).map((s) => [s.elapsedS, s.rssKb] as [number, number]);
    let fullest: SoakRow['fullest'] = null;
    const overfull = new Set<string>();
    for (const s of mine) {
      for (const m of s.maps) {
        if (m.entries === null) continue;
        if (m.entries > m.maxEntries) overfull.add(m.name);
        if (!fullest || m.entries / m.maxEntries > fullest.entries / fullest.maxEntries) fullest = { name: m.name, entries: m.entries, maxEntries: m.maxEntries };
      }
    }
    return {
      tool,
      samples: mine.length,
      lastS: last.elapsedS,
      rssStartKb: mine[0]!.rssKb,
      rssEndKb: last.rssKb,
      rssMaxKb: Math.max(...mine.map((s) => s.rssKb)),
      rssSlopeKbPerHour: slope(second) * 3600,
      mapBytes: last.maps.reduce((s, m) => s + m.bytes, 0),
      fullest,
      overfull: [...overfull],
      end: ends.find((e) => e.tool === tool),
    };
  });
}

const CSV_HEADER = 'elapsed_s,tool,rss_kb,hwm_kb,map,map_type,max_entries,entries,map_bytes';

/** One line per sample, tool and map (the process's own figures repeat on each of its maps). */
export function soakCsv(samples: readonly SoakSample[]): string {
  const lines = [CSV_HEADER];
  for (const s of samples) {
    const head = `${s.elapsedS},${s.tool},${s.rssKb},${s.hwmKb}`;
    if (!s.maps.length) lines.push(`${head},,,,,`);
    for (const m of s.maps) lines.push(`${head},${m.name},${m.type},${m.maxEntries},${m.entries ?? ''},${m.bytes}`);
  }
  return `${lines.join('\n')}\n`;
}

const mib = (kb: number) => `${(kb / 1024).toFixed(1)} MiB`;

export interface SoakMeta {
  date: string;
  commit: string;
  kernel: string;
  minutes: number;
  sampleSeconds: number;
  traffic: string;
  csv: string;
}

export function soakBlock(meta: SoakMeta, rows: readonly SoakRow[]): string {
  const n = Math.max(0, ...rows.map((r) => r.samples));
  const spacing = n > 1 ? Math.max(...rows.map((r) => r.lastS)) / (n - 1) : 0;
  const slow = spacing > 1.5 * meta.sampleSeconds ? ` (asked for every ${meta.sampleSeconds} s: walking every key of the fuller maps with bpftool takes longer)` : '';
  const allClean = rows.every((r) => r.end && r.end.exitCode === 0 && r.end.finalRecord && !r.overfull.length);
  const lines = [
    `Soak of ${meta.minutes} min on ${meta.date} (commit ${meta.commit}, kernel ${meta.kernel}): every summary tool at once,`,
    `unfiltered, \`--interval 60\`, under ${meta.traffic}; RSS and map sizes in \`${meta.csv}\`: ${n} samples, one every ${Math.round(spacing)} s on average${slow}.`,
    `${allClean ? 'Every tool stopped cleanly on SIGINT with its final record, and no map ever held more than its max_entries.' : '**Not every tool ended cleanly, or a map exceeded its size: see the table.**'}`,
    '',
    '| tool | RSS start | RSS end | RSS max | RSS trend, 2nd half | BPF maps | fullest keyed map | losses in final record | exit |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const full = r.fullest ? `${r.fullest.name} ${r.fullest.entries}/${r.fullest.maxEntries}` : '—';
    const losses = r.end ? Object.entries(r.end.losses).map(([k, v]) => `${k} ${v}`).join(', ') || 'none reported' : '—';
    const exit = !r.end ? 'no record' : `${r.end.exitCode === 0 ? 'ok' : `exit ${r.end.exitCode}`}${r.end.finalRecord ? '' : ', no final record'}`;
    const trend = `${r.rssSlopeKbPerHour >= 0 ? '+' : '−'}${mib(Math.abs(r.rssSlopeKbPerHour))}/h`;
    lines.push(`| ${r.tool} | ${mib(r.rssStartKb)} | ${mib(r.rssEndKb)} | ${mib(r.rssMaxKb)} | ${trend} | ${mib(r.mapBytes / 1024)} | ${full}${r.overfull.length ? ` (**over: ${r.overfull.join(', ')}**)` : ''} | ${losses} | ${exit} |`);
  }
  return lines.join('\n');
}

export { SOAK_BLOCK_BEGIN as SOAK_BEGIN, SOAK_BLOCK_END as SOAK_END } from './benchmark-doc.ts';

/** The document with its soak block replaced (or appended under a "Soak" heading when absent). */
export function replaceSoakBlock(doc: string, block: string): string {
  const wrapped = `${SOAK_BEGIN}\n${block}\n${SOAK_END}`;
  const a = doc.indexOf(SOAK_BEGIN);
  const b = doc.indexOf(SOAK_END);
  if (a >= 0 && b > a) return doc.slice(0, a) + wrapped + doc.slice(b + SOAK_END.length);
  return `${doc.replace(/\s*$/, '')}\n\n## Soak\n\n${wrapped}\n`;
}
