import { describe, expect, it } from 'vitest';
import type { OffcpuEntry, OffcpuKey } from '../layout.ts';
import { foldedLine, largestFirst, offcpuDeltas } from './report.ts';

const byKey = (es: readonly OffcpuEntry[]) => es.map((e): [string, OffcpuEntry] => [Object.values(e.key).join('/'), e]);

describe('offcpu report', () => {
  const key = (o: Partial<OffcpuKey>) => ({ pid: 5, tid: 6, kstack: 1, ustack: 2, state: 'S', comm: 'app', ...o });

  it('time added since the last read, largest first', () => {
    const before = [{ key: key({}), totalNs: 1000, count: 1 }, { key: key({ kstack: 3 }), totalNs: 500, count: 1 }];
    const after = [{ key: key({}), totalNs: 1500, count: 2 }, { key: key({ kstack: 3 }), totalNs: 5500, count: 3 }];
    const deltas = offcpuDeltas();
    deltas.update(byKey(before));
    expect(largestFirst(deltas.update(byKey(after)).interval).map((e) => [e.key.kstack, e.totalNs, e.count])).toEqual([[3, 5000, 2], [1, 500, 1]]);
    expect(largestFirst(deltas.update(byKey(after)).interval)).toEqual([]);
  });

  it('folded stacks: comm, user frames outermost first, then kernel frames, then µs', () => {
    const line = foldedLine({
      pid: 5, tid: 6, comm: 'app', state: 'S', total_us: 1234.4, count: 2,
      kernel_stack: ['schedule+0x2f', 'do_nanosleep+0x70'],
      user_stack: ['clock_nanosleep+0x51', 'main+0x10'],
    });
    expect(line).toBe('app;main;clock_nanosleep;do_nanosleep;schedule 1234');
    expect(line).toMatch(/^[^ ;]+(;[^ ;]+)* \d+$/);
  });
});
