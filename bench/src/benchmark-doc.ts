/**
 * docs/benchmarks.md is regenerated whole, except its soak block (written by `npm run soak`),
 * which is carried over verbatim and always ends the file under a "Soak" heading.
 */

export const SOAK_BLOCK_BEGIN = '<!-- soak:begin -->';
export const SOAK_BLOCK_END = '<!-- soak:end -->';
const NO_SOAK = 'No soak run recorded yet (npm run soak).';

/** The soak block of a document, markers included, or undefined when it has none. */
export function soakBlockOf(doc: string | undefined): string | undefined {
  if (!doc) return undefined;
  const a = doc.indexOf(SOAK_BLOCK_BEGIN);
  if (a < 0) return undefined;
  const b = doc.indexOf(SOAK_BLOCK_END, a + SOAK_BLOCK_BEGIN.length);
  if (b < 0) return undefined;
  return doc.slice(a, b + SOAK_BLOCK_END.length);
}

/** The new document: the generated body, then the previous soak block (or an empty one). */
export function benchmarkDocument(body: string, previous: string | undefined): string {
  const block = soakBlockOf(previous) ?? `${SOAK_BLOCK_BEGIN}\n${NO_SOAK}\n${SOAK_BLOCK_END}`;
  return `${body.replace(/\s*$/, '')}\n\n## Soak\n\n${block}\n`;
}
