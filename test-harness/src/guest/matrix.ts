/**
 * The kernel support matrix from the outcomes the verifier suites record (one JSON line per tool,
 * hook and flavour, on each kernel): for each tool's hook, the flavour it gets on each kernel, the
 * ones it fell back from and why, or why none is available. Rendered into docs/kernel-support.md.
 */
import { ATTACHED_BY_TOOL, type FlavourOutcome } from '@netstrata/bpf-common/testing';

export interface KernelColumn {
  /** The column's heading (e.g. "Debian 6.1 (6.1.0-57-amd64)"). */
  title: string;
  outcomes: FlavourOutcome[];
}

/** What one hook gets on one kernel, from its flavours' outcomes in order of preference. */
export function hookCell(flavours: FlavourOutcome[]): string {
  const chosen = flavours.findIndex((f) => f.result === 'attached');
  const why = (fs: FlavourOutcome[]) => {
    // Flavours refused for the same reason share it: "tp_btf, raw_tp: no sock:sk_data_ready tracepoint".
    const byReason = new Map<string, string[]>();
    for (const f of fs) byReason.set(f.reason, [...(byReason.get(f.reason) ?? []), f.flavour]);
    return [...byReason].map(([reason, names]) => `${names.join(', ')}: ${reason}`).join('; ');
  };
  // Programs the tool attaches itself (uprobes on a library it finds) are only loaded by the suites.
  const byTool = flavours.find((f) => f.result === 'loaded' && f.reason === ATTACHED_BY_TOOL);
  if (chosen < 0 && byTool) return `**${byTool.flavour}** (loads; the tool attaches it at run time)`;
  if (chosen === 0) return `**${flavours[0]!.flavour}**`;
  if (chosen > 0) return `**${flavours[chosen]!.flavour}** (fell back; ${why(flavours.slice(0, chosen))})`;
  return `not available (${why(flavours)})`;
}

/** The table: one row per tool and hook, one column per kernel. Only the tools' own rodata (no variant). */
export function renderMatrix(columns: KernelColumn[]): string {
  const rows = new Map<string, Map<string, FlavourOutcome[]>>();
  columns.forEach((col) => {
    for (const o of col.outcomes) {
      if (o.variant) continue;
      const key = `${o.tool}\u0000${o.hook}`;
      if (!rows.has(key)) rows.set(key, new Map());
      const cell = rows.get(key)!;
      if (!cell.has(col.title)) cell.set(col.title, []);
      cell.get(col.title)!.push(o);
    }
  });
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  const lines = [`| tool | hook | ${columns.map((c) => esc(c.title)).join(' | ')} |`, `|---|---|${columns.map(() => '---|').join('')}`];
  for (const [key, cells] of rows) {
    const [tool, hook] = key.split('\u0000');
    lines.push(`| ${tool} | ${esc(hook!)} | ${columns.map((c) => esc(cells.get(c.title) ? hookCell(cells.get(c.title)!) : 'not tested')).join(' | ')} |`);
  }
  return lines.join('\n');
}

export const MATRIX_START = '<!-- kernel-support-matrix:start -->';
export const MATRIX_END = '<!-- kernel-support-matrix:end -->';

/** The document with its generated block replaced (added at the end if it has none). */
export function replaceMatrix(doc: string, block: string): string {
  const body = `${MATRIX_START}\n${block}\n${MATRIX_END}`;
  const a = doc.indexOf(MATRIX_START);
  const b = doc.indexOf(MATRIX_END);
  if (a >= 0 && b > a) return doc.slice(0, a) + body + doc.slice(b + MATRIX_END.length);
  return `${doc.trimEnd()}\n\n${body}\n`;
}
