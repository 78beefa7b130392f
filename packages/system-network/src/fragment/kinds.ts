/**
 * What a fragment's drop means for reassembly, from the kernel's drop reason and, where the kernel
 * gives none, from where it dropped it.
 *
 * Kernels since 6.2 name the faults: DUP_FRAG (ip_frag_queue, ip6_frag_queue: a fragment the queue
 * already holds, dropped alone; the datagram can still complete), FRAG_REASM_TIMEOUT (ip_expire,
 * ip6_frag_expire, then inet_frag_destroy for the rest of the queue) and FRAG_TOO_FAR (IPv4
 * ipfrag_max_dist: ip_frag_reinit empties the queue). An overlapping fragment is still dropped
 * NOT_SPECIFIED by the function that queues it (RFC 5722: the whole datagram goes; the fragments it
 * held are freed as consumed, not dropped), as is one refused for an inconsistent length or because
 * reassembly memory is full (ipfrag_high_thresh). Kernels before 6.2 (6.1) drop every one of these
 * NOT_SPECIFIED: the expiry timer's functions say timeout, the queue's purge that the datagram was
 * given up (timed out, overlapped or too far: the kernel's counters say which), the functions that
 * queue a fragment that it was refused (a duplicate too, on those kernels).
 */
export const KINDS = ['timeout', 'duplicate', 'refused', 'too_far', 'purged', 'other'] as const;
export type Kind = (typeof KINDS)[number];

/** What each kind means, for --help and the docs. */
export const KIND_MEANING: Record<Kind, string> = {
  timeout: 'its datagram was still incomplete when the reassembly time ran out (ipfrag_time, ip6frag_time)',
  duplicate: 'the queue already held its bytes: dropped alone, the datagram can still complete',
  refused: 'refused as it arrived, and its datagram given up: it overlapped another fragment, disagreed with the datagram\'s length, or reassembly memory was full (before 6.2: a duplicate too)',
  too_far: 'IPv4: more than ipfrag_max_dist datagrams from its source arrived since its datagram last grew; the queue was emptied',
  purged: 'kernels before 6.2: a fragment the queue held when its datagram was given up (timed out, overlapped or too far)',
  other: 'dropped elsewhere (a firewall, a full queue, a bad header...): its reason says why; its datagram cannot complete',
};

const EXPIRE = new Set(['ip_expire', 'ip6_frag_expire', 'ip6frag_expire_frag_queue', 'nf_ct_frag6_expire']);
const PURGE = new Set(['inet_frag_rbtree_purge', 'inet_frag_destroy', 'inet_frag_queue_flush', 'inet_frag_putn', 'inet_frags_free_cb', 'fqdir_pre_exit']);
const ARRIVAL = new Set([
  'ip_defrag',
  'ip_frag_queue',
  'ip_frag_reasm',
  'ip_check_defrag',
  'ipv6_frag_rcv',
  'ip6_frag_queue',
  'ip6_frag_reasm',
  'nf_ct_frag6_gather',
  'nf_ct_frag6_queue',
  'nf_ct_frag6_reasm',
]);

/** Where the fragments of a reassembled datagram are freed with it (its frag_list). Kernels before
 * 6.2 free them with kfree_skb (NOT_SPECIFIED) even when the datagram was delivered; since 6.2 they
 * go with the datagram's own fate (consumed, or its drop's reason): either way not a fragment
 * reassembly lost, and left out. */
const RELEASE = new Set(['skb_release_data', 'kfree_skb_list', 'kfree_skb_list_reason', 'skb_release_all']);

/** Whether a fragment freed at `symbol` went with its reassembled datagram (not a drop of its own). */
export const freedWithDatagram = (symbol: string | undefined): boolean => symbol !== undefined && RELEASE.has(symbol);

/** The kind of a fragment's drop: its reason's name (without SKB_DROP_REASON_) and the function it
 * was dropped in (undefined when the address has no symbol). */
export function kindOf(reason: string, symbol: string | undefined): Kind {
  switch (reason) {
    case 'DUP_FRAG':
      return 'duplicate';
    case 'FRAG_REASM_TIMEOUT':
      return 'timeout';
    case 'FRAG_TOO_FAR':
      return 'too_far';
    case 'NOT_SPECIFIED':
    case 'NOT_DROPPED_YET':
      if (symbol === undefined) return 'other';
      if (EXPIRE.has(symbol)) return 'timeout';
      if (PURGE.has(symbol)) return 'purged';
      if (ARRIVAL.has(symbol)) return 'refused';
      return 'other';
    default:
      return 'other';
  }
}
