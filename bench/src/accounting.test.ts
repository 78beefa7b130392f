import { describe, expect, it } from 'vitest';
import { parseBpftraceHist, tailText } from './accounting.ts';
import { sampleReport } from './analysis.test.ts';
import { renderReport } from './render.ts';

describe('accounting', () => {
  it('reads bpftrace’s hist() text, K and M bounds included', () => {
    const text = ['@us:', '[0]                  3 |@@@     |', '[1]                  1 |@       |', '[2, 4)               5 |@@@@@   |', '[512, 1K)            2 |@@      |', '[32K, 64K)           7 |@@@@@@@ |', '[1M, 2M)             1 |@       |', ''].join('\n');
    expect(parseBpftraceHist(text)).toEqual([
      { start: 0, end: 1, count: 3 },
      { start: 1, end: 2, count: 1 },
      { start: 2, end: 4, count: 5 },
      { start: 512, end: 1024, count: 2 },
      { start: 32768, end: 65536, count: 7 },
      { start: 1048576, end: 2097152, count: 1 },
    ]);
  });

  it('names the p99 and the slowest bucket of the tool’s end-to-end histogram', () => {
    const e2e = { count: 3, histogram: { unit: 'us', buckets: [{ start: 8, end: 9, count: 2 }, { start: 64, end: 72, count: 1 }, { start: 72, end: 80, count: 0 }], percentiles: { p99: { low: 64, high: 72 } } } };
    expect(tailText(e2e)).toBe('p99 [64, 72) us; slowest [64, 72) us: 1');
    expect(tailText(null)).toBe('');
  });

  it('renders the qdisc’s truth beside both tools', () => {
    const r = sampleReport();
    r.accounting = {
      device: 'va',
      rateMbit: 50,
      seconds: 4,
      toolCommand: 'system_network_latency_summary --direction tx --interface va',
      bpftraceScript: 'tracepoint:net:net_dev_queue { }',
      qdisc: { sent: 16855, dropped: 0, requeues: 0 },
      tool: { ok: true, packets: { started: 1905, completed: 305, segmented: 1600, segments: 16500 }, endToEnd: 1905, tail: 'p99 [64, 72) us' },
      bpftrace: { samples: 1900, staleUs: 32768, stale: 300, buckets: [] },
    };
    const md = renderReport(r);
    expect(md).toContain('## Truthful accounting on a shaped TCP stream');
    expect(md).toContain('| qdisc: packets sent | 16855 |');
    expect(md).toContain('| latency summary: started | 1905 |');
    expect(md).toContain('| bpftrace: samples ≥ 32.8 ms | 300 (15.8 %) |');
    expect(md).toContain('| qdisc packets the summary did not follow (sent − completed − segments) | 50 |');
    expect(md).toContain('| bpftrace: packets timed, of those the qdisc sent | 1900 (11.3 %) |');
  });
});
