import { describe, expect, it } from 'vitest';
import { renderLosses } from '@netstrata/bpf-common';
import type { DropResolver } from '../resolve.ts';
import { renderSummaryText, summaryFields, type SummaryRecord } from './render.ts';
import type { DropSnapshot } from './aggregate.ts';

const v4 = (s: string) => Uint8Array.from([...s.split('.').map(Number), ...new Array(12).fill(0)]);
const resolver: DropResolver = {
  reasonName: (c) => ({ 3: 'NO_SOCKET', 12: 'NETFILTER_DROP' })[c] ?? `UNKNOWN_${c}`,
  location: (a) => ({ symbol: a === 1n ? '__udp4_lib_rcv' : 'nft_do_chain', offset: 0x4bc }),
  stack: () => ['nft_do_chain+0x1', 'nf_hook_slow+0x2'],
  frames: () => [],
};
const key = (reason: number, location: bigint) => ({
  reason,
  location,
  stack_id: 1,
  ifindex: 5,
  netns: 4026531840,
  dev: 'eth0',
  flow: { family: 2, protocol: 17, ethertype: 0x0800, saddr: v4('10.0.0.1'), daddr: v4('10.0.0.2'), sport: 40000, dport: 53 },
});
const snap: DropSnapshot = {
  interval: [{ key: key(3, 1n), count: 75 }, { key: key(12, 2n), count: 20 }, { key: key(12, 3n), count: 5 }],
  total: [{ key: key(3, 1n), count: 175 }],
  intervalDrops: 100,
  totalDrops: 175,
};

/** The whole record as the runner writes it: envelope, the tool's fields, the loss block. */
const record = (type: 'interval' | 'final', fields: ReturnType<typeof summaryFields>, losses = { map_full: 0, stack_failed: 0, missed: 0 }): SummaryRecord => ({
  type,
  tool: 'packet_drop_summary',
  time: '2026-01-01T10:00:00.000Z',
  interval_s: type === 'final' ? 9 : 1,
  ...fields,
  lost: 0,
  evicted: 0,
  ...losses,
  cost: { bpf_stats: false, bpf_runs: null, bpf_ns: null, bpf_ns_per_run: null, cpu_s: 0, cpu_pct: 0, rss_mb: 0 },
});

describe('packet_drop_summary records', () => {
  const rec = record('interval', summaryFields(snap, { type: 'interval' }, { top: 2, groupBy: ['reason', 'location', 'device', 'flow'], resolver }));

  it('has the output contract fields, top N rows and what was left out', () => {
    expect(rec).toMatchObject({ type: 'interval', tool: 'packet_drop_summary', time: '2026-01-01T10:00:00.000Z', drops: 100, total_drops: 175, more_rows: 1, more_drops: 5, map_full: 0, stack_failed: 0, missed: 0 });
    expect(rec.rows[0]).toEqual({
      count: 75,
      share: 0.75,
      reason: 'NO_SOCKET',
      reason_code: 3,
      location: { symbol: '__udp4_lib_rcv', offset: 0x4bc, address: '0x1' },
      device: 'eth0',
      ifindex: 5,
      netns: 4026531840,
      flow: { src: '10.0.0.1', dst: '10.0.0.2', sport: 40000, dport: 53, protocol: 'UDP' },
    });
    expect(rec.rows[0]).not.toHaveProperty('stack');
  });

  it('renders the same rows as text', () => {
    const text = renderSummaryText(rec);
    expect(text).toContain('100 drops in 1.0 s (175 since start)');
    expect(text).toMatch(/75\s+75\.0%\s+NO_SOCKET\s+__udp4_lib_rcv\+0x4bc\s+eth0 \(netns 4026531840\)\s+10\.0\.0\.1:40000 -> 10\.0\.0\.2:53 \(UDP\)/);
    expect(text).toContain('1 more rows with 5 drops');
  });

  it('shows stacks under their row and always shows losses in the final record', () => {
    const fin = record('final', summaryFields(snap, { type: 'final' }, { top: 5, groupBy: ['stack'], resolver }), { map_full: 2, stack_failed: 1, missed: 3 });
    expect(fin.rows[0]!.stack).toEqual(['nft_do_chain+0x1', 'nf_hook_slow+0x2']);
    const text = `${renderSummaryText(fin)}\n${renderLosses(fin, true)}`;
    expect(text).toContain('nf_hook_slow+0x2');
    expect(text).toContain('map_full 2');
    expect(text).toContain('missed by the kernel 3');
  });
});
