import { describe, expect, it } from 'vitest';
import type { PathRecord } from './report.ts';
import { emptySnapshot, pathFields, renderPathText, type PathSnapshot } from './report.ts';

const snap = (over: Partial<PathSnapshot>): PathSnapshot => ({ ...emptySnapshot(), legs: { request: [0n, 2n], external: [], reply: [] }, ...over });

describe('packet_path_summary records', () => {
  it('counts the interval as now minus before, and since start beside it', () => {
    const before = snap({ states: { complete: 5, internal_drop_request: 1, external_drop: 0, internal_drop_reply: 0 } });
    const now = snap({
      states: { complete: 12, internal_drop_request: 2, external_drop: 3, internal_drop_reply: 1 },
      counters: { unmatched_replies: 1, ring_overflow: 0, retransmitted: 2 },
      inFlight: 4,
      legs: { request: [0n, 5n], external: [], reply: [] },
    });
    const f = pathFields(now, before, { rx: 'eth1', tx: 'eth0' });
    expect(f).toMatchObject({ requests: 7 + 1 + 3 + 1, complete: 7, internal_drop_request: 1, external_drop: 3, internal_drop_reply: 1, in_flight: 4, retransmitted: 2, unmatched_replies: 1 });
    expect(f.since_start).toEqual(now.states);
    expect(f.legs.request.count).toBe(3);
    // The final record: since start, with no since_start beside it.
    const total = pathFields(now, undefined, { rx: 'eth1', tx: 'eth0' });
    expect(total.requests).toBe(18);
    expect(total.since_start).toBeUndefined();
  });

  it('lists the drops of this interval only, most first', () => {
    const row = { state: 'internal_drop_request' as const, reason: 'NETFILTER_DROP', reason_code: 8, location: { symbol: 'nft_do_chain', offset: 0x4a }, address: '0xffff' };
    const before = snap({ drops: new Map([['a', { ...row, count: 2 }]]) });
    const now = snap({ drops: new Map([['a', { ...row, count: 5 }], ['b', { ...row, state: 'internal_drop_reply' as const, count: 1 }]]) });
    expect(pathFields(now, before, { rx: 'a', tx: 'b' }).drops.map((d) => [d.state, d.count])).toEqual([
      ['internal_drop_request', 3],
      ['internal_drop_reply', 1],
    ]);
  });

  it('renders states with their shares, the drops and the legs', () => {
    const now = snap({
      states: { complete: 9, internal_drop_request: 1, external_drop: 0, internal_drop_reply: 0 },
      drops: new Map([['a', { state: 'internal_drop_request', reason: 'NETFILTER_DROP', reason_code: 8, location: { symbol: 'nft_do_chain', offset: 0x4a }, address: '0xffff', count: 1 }]]),
    });
    const rec = { type: 'final', tool: 'packet_path_summary', time: '2026-01-01T00:00:00.000Z', interval_s: 10, ...pathFields(now, undefined, { rx: 'eth1', tx: 'eth0' }) } as PathRecord;
    const text = renderPathText(rec, false);
    expect(text).toMatch(/eth1 -> eth0: 10 requests classified, 0 in flight/);
    expect(text).toMatch(/complete\s+9\s+90\.0%/);
    expect(text).toMatch(/internal_drop_request\s+1\s+10\.0%/);
    expect(text).toMatch(/NETFILTER_DROP\s+nft_do_chain\+0x4a\s+1/);
    expect(text).toMatch(/request in -> out \(this host\)/);
  });
});
