import { describe, expect, it } from 'vitest';
import { compare, renderComparison } from './compare.ts';
import type { Verdict, VerdictFinding } from './run.ts';
import type { Truth } from './types.ts';

const drop = (reason: string, symbol: string, count: number): VerdictFinding => ({
  kind: 'drops', reason, location: { symbol }, device: 'eth0', count, share: null, stage: null, p99_us: null, p999_us: null, flows: [],
});
const verdict = (kind: Verdict['kind'], findings: VerdictFinding[]): Verdict => ({ type: 'verdict', kind, findings, benign: [] });

const truth: Truth = {
  kind: 'drops',
  items: [
    { what: 'closed port', reason: 'NO_SOCKET', location: '__udp4_lib_rcv', count: 200 },
    { what: 'firewall', reason: 'NETFILTER_DROP', location: 'nft_do_chain', count: 150 },
  ],
  notes: [],
};

describe('compare', () => {
  it('agrees when every item is found with its count and nothing else is', () => {
    const c = compare(truth, verdict('drops', [drop('NO_SOCKET', '__udp4_lib_rcv', 200), drop('NETFILTER_DROP', 'nft_do_chain', 150)]));
    expect(c.ok).toBe(true);
    expect(c.items.map((x) => x.found)).toEqual([200, 150]);
  });

  it('adds findings of one reason and place on several devices', () => {
    const c = compare(truth, verdict('drops', [drop('NO_SOCKET', '__udp4_lib_rcv', 120), drop('NETFILTER_DROP', 'nft_do_chain', 150), drop('NO_SOCKET', '__udp4_lib_rcv', 80)]));
    expect(c.items.map((x) => x.found)).toEqual([200, 150]);
    expect(c.ok).toBe(true);
  });

  it('disagrees on a count, a missing item, a finding nothing injected, or the kind', () => {
    expect(compare(truth, verdict('drops', [drop('NO_SOCKET', '__udp4_lib_rcv', 199), drop('NETFILTER_DROP', 'nft_do_chain', 150)])).ok).toBe(false);
    const missing = compare(truth, verdict('drops', [drop('NO_SOCKET', '__udp4_lib_rcv', 200)]));
    expect([missing.ok, missing.items[1]!.found]).toEqual([false, null]);
    const extra = compare(truth, verdict('drops', [drop('NO_SOCKET', '__udp4_lib_rcv', 200), drop('NETFILTER_DROP', 'nft_do_chain', 150), drop('OTHERHOST', 'ip_rcv_core', 1)]));
    expect([extra.ok, extra.extra.map((f) => f.reason)]).toEqual([false, ['OTHERHOST']]);
    expect(compare({ kind: 'healthy', items: [], notes: [] }, verdict('latency', [])).ok).toBe(false);
  });

  it('a latency item is found by stage and direction, counted by its slow samples', () => {
    const slow: VerdictFinding = { kind: 'latency', reason: null, location: null, device: null, count: 1800, share: null, stage: 'dev_queue -> xmit', direction: 'tx', p99_us: 4, p999_us: 335_544, slow: 6, flows: [] };
    const t: Truth = { kind: 'latency', items: [{ what: 'held', stage: 'dev_queue -> xmit', direction: 'tx', count: 6 }], notes: [] };
    expect(compare(t, verdict('latency', [slow])).ok).toBe(true);
    expect(compare(t, verdict('latency', [{ ...slow, direction: 'rx' }])).ok).toBe(false);
  });

  it('renders one row per item, the findings not injected, and whether they agree', () => {
    const text = renderComparison(compare(truth, verdict('drops', [drop('NO_SOCKET', '__udp4_lib_rcv', 200), drop('OTHERHOST', 'ip_rcv_core', 3)])), ['300 good packets']);
    expect(text).toBe(
      [
        'verdict: drops (injected: drops)',
        '  injected   found  where                          what',
        '       200     200  NO_SOCKET @ __udp4_lib_rcv     closed port',
        '       150       -  NETFILTER_DROP @ nft_do_chain  firewall   <- differs',
        '  not injected: drops: OTHERHOST @ ip_rcv_core on eth0, 3',
        '  300 good packets',
        'diagnose did NOT find what was injected.',
      ].join('\n'),
    );
  });
});
