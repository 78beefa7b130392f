import { describe, expect, it } from 'vitest';
import { lossesOf, replaceSoakBlock, slope, soakBlock, soakCsv, summarizeSoak, SOAK_BEGIN, SOAK_END, type SoakSample } from './soak-report.ts';

const map = (name: string, entries: number | null, maxEntries = 100, bytes = 4096) => ({ id: 1, name, type: entries === null ? 'array' : 'hash', maxEntries, bytes, entries });

describe('soak report', () => {
  it('fits a straight line exactly and calls a flat or single series flat', () => {
    expect(slope([[0, 1], [1, 3], [2, 5]])).toBeCloseTo(2);
    expect(slope([[5, 7]])).toBe(0);
    expect(slope([[3, 1], [3, 9]])).toBe(0);
  });

  it('takes loss counters from the top level and from a grouping object, nothing else', () => {
    expect(lossesOf({ type: 'final', lost: 2, map_full: 1, rows: [{ lost: 99 }], drops: 5 })).toEqual({ lost: 2, map_full: 1 });
    expect(lossesOf({ map_full: 1, lost: { lost: 3, map_full: 4, evicted: 0 } })).toEqual({ map_full: 5, lost: 3, evicted: 0 });
  });

  it('summarizes each tool: RSS trend over the second half, fullest keyed map, overfull maps', () => {
    const samples: SoakSample[] = [0, 1800, 3600].flatMap((t, i) => [
      { elapsedS: t, tool: 'x', rssKb: 50_000 + (i === 0 ? 5_000 : 0), hwmKb: 60_000, maps: [map('flows', [10, 80, 40][i]!), map('lost', null)] },
      { elapsedS: t, tool: 'y', rssKb: 40_000 + i * 1024, hwmKb: 45_000, maps: [map('sessions', [1, 101, 2][i]!)] },
    ]);
    const rows = summarizeSoak(samples, [{ tool: 'x', exitCode: 0, finalRecord: true, losses: { lost: 0 } }]);
    expect(rows.map((r) => r.tool)).toEqual(['x', 'y']);
    const [x, y] = rows;
    expect(x).toMatchObject({ samples: 3, rssStartKb: 55_000, rssEndKb: 50_000, rssMaxKb: 55_000, rssSlopeKbPerHour: 0, mapBytes: 8192, fullest: { name: 'flows', entries: 80 }, overfull: [] });
    // 1024 KiB per 1800 s over the second half: 2048 KiB per hour
    expect(y!.rssSlopeKbPerHour).toBeCloseTo(2048);
    expect(y!.overfull).toEqual(['sessions']);
    expect(y!.end).toBeUndefined();
    const block = soakBlock({ date: 'd', commit: 'c', kernel: 'k', minutes: 60, sampleSeconds: 30, traffic: 't', csv: 'docs/soak.csv' }, rows);
    expect(block).toMatch(/Not every tool ended cleanly/);
    expect(block).toMatch(/: 3 samples, one every 1800 s on average \(asked for every 30 s: walking/);
    expect(block).toMatch(/\| x \| 53\.7 MiB \| 48\.8 MiB \| 53\.7 MiB \| \+0\.0 MiB\/h \| 0\.0 MiB \| flows 80\/100 \| lost 0 \| ok \|/);
    expect(block).toMatch(/sessions 101\/100 \(\*\*over: sessions\*\*\) \| — \| no record \|/);
  });

  it('writes one CSV line per sample, tool and map', () => {
    const csv = soakCsv([{ elapsedS: 30, tool: 'x', rssKb: 1, hwmKb: 2, maps: [map('a', 3), map('b', null)] }, { elapsedS: 30, tool: 'y', rssKb: 4, hwmKb: 5, maps: [] }]);
    expect(csv.trim().split('\n')).toEqual([
      'elapsed_s,tool,rss_kb,hwm_kb,map,map_type,max_entries,entries,map_bytes',
      '30,x,1,2,a,hash,100,3,4096',
      '30,x,1,2,b,array,100,,4096',
      '30,y,4,5,,,,,',
    ]);
  });

  it('replaces the soak block in place, or appends it under a heading', () => {
    const doc = `# B\n\ntext\n\n## Soak\n\n${SOAK_BEGIN}\nold\n${SOAK_END}\n\nafter\n`;
    expect(replaceSoakBlock(doc, 'new')).toBe(`# B\n\ntext\n\n## Soak\n\n${SOAK_BEGIN}\nnew\n${SOAK_END}\n\nafter\n`);
    expect(replaceSoakBlock('# B\n', 'new')).toBe(`# B\n\n## Soak\n\n${SOAK_BEGIN}\nnew\n${SOAK_END}\n`);
  });
});
