import { describe, expect, it } from 'vitest';
import type { ReasmCounters } from './counters.ts';
import type { DropEntry } from './layout.ts';
import { attribute, fragmentDrops, renderFragmentText, type FragmentRecord, type Names } from './report.ts';

const NS = 4026532100;
const REASONS: Record<number, string> = { 2: 'NOT_SPECIFIED', 94: 'DUP_FRAG', 95: 'FRAG_REASM_TIMEOUT', 5: 'NETFILTER_DROP' };
const SYMBOLS: Record<string, string> = { '1000': 'ip_expire', '2000': 'inet_frag_queue_flush', '3000': 'ip_defrag', '4000': 'ipv6_frag_rcv', '5000': 'nft_do_chain' };
const names: Names = {
  reason: (c) => REASONS[c] ?? `UNKNOWN_${c}`,
  location: (a) => {
    const s = SYMBOLS[String(a - (a % 1000n))];
    return s ? { symbol: s, offset: Number(a % 1000n) } : undefined;
  },
};

const row = (id: number, reason: number, location: number, fragments: number, o: Partial<DropEntry['key']> & Partial<DropEntry['val']> = {}): DropEntry => ({
  key: { family: 4, src: '10.200.0.1', dst: '10.200.0.2', id, protocol: 17, netns: NS, reason, location: BigInt(location), ...o },
  val: { fragments, bytes: fragments * 1000, first: 0, last: 0, ...o },
});

describe('attribute', () => {
  it("a row whose namespace the kernel side could not tell takes its datagram's, when the datagram's rows agree on one", () => {
    const rows = attribute([row(1, 95, 1010, 1), row(1, 95, 2010, 2, { netns: 0 }), row(2, 95, 2010, 1, { netns: 0 })]);
    expect(rows.map((r) => r.key.netns)).toEqual([NS, NS, 0]);
    const torn = attribute([row(3, 95, 1010, 1), row(3, 95, 1010, 1, { netns: NS + 1 }), row(3, 95, 2010, 1, { netns: 0 })]);
    expect(torn[2]!.key.netns).toBe(0);
  });
});

describe('fragmentDrops', () => {
  it('by datagram (its kind the one most of its fragments are of), by kind and by reason and location', () => {
    const r = fragmentDrops(
      [
        row(1, 95, 1010, 1, { first: 1 }),
        row(1, 95, 2020, 1, { netns: 0, last: 1 }),
        row(2, 94, 3030, 1, { first: 1 }),
        row(3, 2, 3040, 1),
        row(4, 2, 4050, 1, { family: 6, src: 'fd00:200::1', dst: 'fd00:200::2' }),
        row(5, 5, 5060, 2),
      ],
      names,
      10,
    );
    expect(r.drops).toMatchObject({ fragments: 7, bytes: 7000, datagrams: 5, by_kind: { timeout: 2, duplicate: 1, refused: 2, too_far: 0, purged: 0, other: 2 } });
    expect(r.drops.by_reason.map((x) => [x.family, x.kind, x.reason, x.location.symbol, x.fragments])).toEqual([
      [4, 'other', 'NETFILTER_DROP', 'nft_do_chain', 2],
      [4, 'refused', 'NOT_SPECIFIED', 'ip_defrag', 1],
      [4, 'duplicate', 'DUP_FRAG', 'ip_defrag', 1],
      [4, 'timeout', 'FRAG_REASM_TIMEOUT', 'inet_frag_queue_flush', 1],
      [4, 'timeout', 'FRAG_REASM_TIMEOUT', 'ip_expire', 1],
      [6, 'refused', 'NOT_SPECIFIED', 'ipv6_frag_rcv', 1],
    ]);
    const timedOut = r.datagrams.find((d) => d.datagram.id === 1)!;
    expect(timedOut).toMatchObject({ datagram: { src: '10.200.0.1', dst: '10.200.0.2', id: 1, protocol: 'UDP' }, netns: NS, kind: 'timeout', fragments: 2, first: 1, last: 1 });
    expect(timedOut.reasons.map((x) => [x.reason, x.location.symbol, x.fragments])).toEqual([
      ['FRAG_REASM_TIMEOUT', 'inet_frag_queue_flush', 1],
      ['FRAG_REASM_TIMEOUT', 'ip_expire', 1],
    ]);
    expect(r.datagrams.map((d) => d.datagram.id)).toEqual([1, 5, 2, 3, 4]);
  });

  it("before 6.2: a datagram's kind is what befell it, not the purge of the fragments it held; fragments freed with a reassembled datagram are no drops", () => {
    const r = fragmentDrops(
      [row(1, 2, 4050, 1, { family: 6 }), row(1, 2, 6010, 2, { family: 6 }), row(2, 2, 6010, 2), row(3, 2, 1010, 1), row(3, 2, 6010, 1), row(4, 2, 7010, 2), row(4, 2, 3010, 1)],
      { ...names, location: (a) => (a >= 6000n && a < 8000n ? { symbol: a < 7000n ? 'inet_frag_rbtree_purge' : 'skb_release_data', offset: 0 } : names.location(a)) },
      10,
    );
    expect(r.datagrams.map((d) => [d.datagram.id, d.kind, d.fragments])).toEqual([
      [1, 'refused', 3],
      [2, 'purged', 2],
      [3, 'timeout', 2],
      [4, 'refused', 1],
    ]);
    expect(r.drops).toMatchObject({ fragments: 8, by_kind: { refused: 2, purged: 5, timeout: 1, other: 0 } });
  });

  it('a location without a symbol is its address, and its drop is told by its reason alone', () => {
    const r = fragmentDrops([row(1, 95, 9010, 1), row(2, 2, 9020, 1)], names, 5);
    expect(r.drops.by_reason.map((x) => [x.kind, x.location])).toEqual([
      ['other', { symbol: '?', offset: 0, address: '0x233c' }],
      ['timeout', { symbol: '?', offset: 0, address: '0x2332' }],
    ]);
  });

  it('--top keeps the datagrams that lost most and counts the rest', () => {
    const r = fragmentDrops([row(1, 95, 1010, 3), row(2, 95, 1010, 1), row(3, 95, 1010, 2)], names, 2);
    expect(r.datagrams.map((d) => d.datagram.id)).toEqual([1, 3]);
    expect(r.more_datagrams).toBe(1);
    expect(r.drops.fragments).toBe(6);
  });

  it('a namespace nobody named stays null; with --netns, such fragments are counted apart, not shown as its own', () => {
    expect(fragmentDrops([row(1, 95, 2010, 1, { netns: 0 })], names, 5).datagrams[0]!.netns).toBeNull();
    const r = fragmentDrops([row(1, 95, 2010, 1, { netns: 0 }), row(2, 95, 2010, 1, { netns: 0 }), row(2, 95, 1010, 1)], names, 5, NS);
    expect(r.drops).toMatchObject({ fragments: 2, unattributed: 1, datagrams: 1 });
    expect(r.datagrams.map((d) => [d.datagram.id, d.netns, d.fragments])).toEqual([[2, NS, 2]]);
  });
});

const kernel: ReasmCounters = {
  ipv4: { fragments: 30, reassembled: 7, failed: 4, timeouts: 2, overlaps: 1 },
  ipv6: { fragments: 0, reassembled: 0, failed: 0, timeouts: 0, overlaps: null },
};

describe('renderFragmentText', () => {
  it("the host line, then one line per datagram with each reason's location", () => {
    const fields = fragmentDrops([row(0x1a, 95, 1010, 1, { first: 1 }), row(0x1a, 95, 2020, 1), row(2, 94, 3030, 1)], names, 10);
    const rec = { type: 'final', tool: 'fragment_summary', time: '2026-01-01T10:00:00.000Z', interval_s: 10, lost: 0, map_full: 0, stack_failed: 0, evicted: 0, kernel, ...fields } as unknown as FragmentRecord;
    const text = renderFragmentText(rec);
    const lines = text.split('\n');
    expect(lines[0]).toContain('total since start: IPv4 30 fragments in, 7 reassembled, 4 failed (2 timed out, 1 overlap); IPv6 0 fragments in, 0 reassembled, 0 failed; 3 fragments dropped (timeout 2, duplicate 1) of 2 datagrams');
    expect(lines[1]).toMatch(/^ +DATAGRAM +ID +NETNS +KIND +DROPPED +FIRST +LAST +REASON \(LOCATION\) FRAGMENTS$/);
    expect(lines[2]).toMatch(/^ +10\.200\.0\.1 -> 10\.200\.0\.2 \(UDP\) +0x1a +4026532100 +timeout +2 +1 +0 +FRAG_REASM_TIMEOUT \(inet_frag_queue_flush\) 1, FRAG_REASM_TIMEOUT \(ip_expire\) 1$/);
    expect(text).toContain('fragments dropped by reason:');
    expect(text).toContain('IPv4 duplicate: DUP_FRAG at ip_defrag: 1');
  });
});
