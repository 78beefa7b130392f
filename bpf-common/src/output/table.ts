/** A text report's table: columns as wide as their widest cell, two spaces apart, indented by two;
 * the columns in `left` are aligned left (names), the others right (numbers). */
export function textTable(header: readonly string[], body: readonly (readonly string[])[], left: ReadonlySet<number>): string[] {
  const all = [header, ...body];
  const w = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return all.map((r) => `  ${r.map((c, i) => (left.has(i) ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ')}`.trimEnd());
}
