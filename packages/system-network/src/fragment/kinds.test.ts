import { describe, expect, it } from 'vitest';
import { KINDS, KIND_MEANING, freedWithDatagram, kindOf } from './kinds.ts';

describe('kindOf', () => {
  it("the kernel's fragment reasons name their kind wherever they were dropped", () => {
    expect(kindOf('DUP_FRAG', 'ip_defrag')).toBe('duplicate');
    expect(kindOf('DUP_FRAG', 'ipv6_frag_rcv')).toBe('duplicate');
    expect(kindOf('FRAG_REASM_TIMEOUT', 'ip_expire')).toBe('timeout');
    expect(kindOf('FRAG_REASM_TIMEOUT', 'inet_frag_queue_flush')).toBe('timeout');
    expect(kindOf('FRAG_TOO_FAR', 'inet_frag_rbtree_purge')).toBe('too_far');
  });

  it('a drop without a reason is told by the function that dropped it (6.2 on: overlaps; before: every fault)', () => {
    for (const f of ['ip_defrag', 'ip_frag_queue', 'ipv6_frag_rcv', 'ip6_frag_queue', 'nf_ct_frag6_gather']) expect(kindOf('NOT_SPECIFIED', f), f).toBe('refused');
    for (const f of ['ip_expire', 'ip6_frag_expire', 'nf_ct_frag6_expire']) expect(kindOf('NOT_SPECIFIED', f), f).toBe('timeout');
    for (const f of ['inet_frag_rbtree_purge', 'inet_frag_destroy', 'inet_frag_queue_flush']) expect(kindOf('NOT_SPECIFIED', f), f).toBe('purged');
    // The kprobe fallbacks of kernels without the reason tracepoint pass 0.
    expect(kindOf('NOT_DROPPED_YET', 'ip_expire')).toBe('timeout');
  });

  it('any other drop of a fragment is other: its reason says why', () => {
    expect(kindOf('NETFILTER_DROP', 'nft_do_chain')).toBe('other');
    expect(kindOf('NOT_SPECIFIED', 'tcp_v4_rcv')).toBe('other');
    expect(kindOf('NOT_SPECIFIED', undefined)).toBe('other');
  });

  it('fragments freed with their reassembled datagram (its frag_list) are told apart', () => {
    expect(freedWithDatagram('skb_release_data')).toBe(true);
    expect(freedWithDatagram('kfree_skb_list_reason')).toBe(true);
    expect(freedWithDatagram('ip_defrag')).toBe(false);
    expect(freedWithDatagram(undefined)).toBe(false);
  });

  it('every kind has its meaning written down', () => {
    for (const k of KINDS) expect(KIND_MEANING[k].length).toBeGreaterThan(20);
  });
});
