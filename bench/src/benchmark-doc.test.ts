import { describe, expect, it } from 'vitest';
import { benchmarkDocument, soakBlockOf } from './benchmark-doc.ts';

describe('benchmark document', () => {
  it('writes an empty soak block under its heading when there was none', () => {
    expect(benchmarkDocument('# Benchmarks\n\nbody\n\n', undefined)).toBe(
      '# Benchmarks\n\nbody\n\n## Soak\n\n<!-- soak:begin -->\nNo soak run recorded yet (npm run soak).\n<!-- soak:end -->\n',
    );
  });

  it('keeps the previous soak block verbatim and drops the rest of the old file', () => {
    const block = '<!-- soak:begin -->\nSoak of 60 min…\n\n| tool | RSS |\n|---|---|\n| x | 1  MiB |  \n<!-- soak:end -->';
    const old = `# Benchmarks\n\nold numbers\n\n## Soak\n\nintro the soak wrote\n\n${block}\n\ntrailing\n`;
    const doc = benchmarkDocument('# Benchmarks\n\nnew numbers', old);
    expect(doc).toBe(`# Benchmarks\n\nnew numbers\n\n## Soak\n\n${block}\n`);
    expect(soakBlockOf(doc)).toBe(block);
  });

  it('ignores a begin marker without an end', () => {
    expect(soakBlockOf('<!-- soak:begin -->\nhalf')).toBeUndefined();
    expect(benchmarkDocument('b', '<!-- soak:begin -->\nhalf')).toContain('No soak run recorded yet');
  });
});
