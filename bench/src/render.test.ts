import { describe, expect, it } from 'vitest';
import { sampleReport } from './analysis.test.ts';
import { renderReport, si, spreadText } from './render.ts';

describe('render', () => {
  it('formats rates and spreads', () => {
    expect([si(1_234_567), si(12_300), si(999), si(NaN)]).toEqual(['1.23 M', '12.3 k', '999', '—']);
    expect(spreadText({ n: 3, median: 2, min: 1, max: 3 }, String)).toBe('2 (1..3)');
    expect(spreadText({ n: 1, median: 2, min: 2, max: 2 }, String)).toBe('2');
    expect(spreadText({ n: 0, median: NaN, min: NaN, max: NaN }, String)).toBe('—');
  });

  it('renders every phase from data, with the machine and the targets', () => {
    const md = renderReport(sampleReport());
    for (const heading of ['# Benchmarks', '## Machine and run', '## Targets', '## Throughput cost', '### UDP flood, dropped by nftables', '## Where the cost goes', '## Start-up', '## Details pipeline', '## Memory']) {
      expect(md).toContain(`${heading}`);
    }
    expect(md).toContain('| kernel | 6.18 |');
    expect(md).toContain('| packet_drop_summary | 0.980 | 2.00 % | 98 | — |');
    expect(md).toContain('| tool | 1.00 M/s | 1.00 M | 200.0 k | 1000000 | 200000 | 800000 | 80.00 % | holds | 99 | 4950 | 0 |');
    expect(md).toContain('| decode | bursts | — | 2.00 M | 100000 | 100000 | 0 | 0.00 % | holds | 100 | 500 | 0 |');
    expect(md).toContain('| packet_drop_summary | 400 (390..410) | 100 (100..100) | 300 | none |');
    expect(md).toMatch(/\| RSS ≤ 70 MB \| packet_drop_summary \| 81\.9 MB \| \*\*missed\*\* \| 11\.9 MB over \|/);
    // Pipes inside cells would break the table
    expect(md.split('\n').filter((l) => l.startsWith('|')).every((l) => !/[^\\]\|[^ ]/.test(l.slice(1, -1).replace(/\|---/g, '')) || l.startsWith('|---'))).toBe(true);
    expect(md).not.toContain('soak:begin');
  });
});
