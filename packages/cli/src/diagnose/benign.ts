/**
 * Drops every host has and that harm no one. They are counted and shown apart, and never make a
 * verdict by themselves (docs/diagnose.md says why each is here).
 */
import { isIP } from 'node:net';

export interface DropIdentity {
  reason: string;
  /** The kernel function that freed the packet. */
  symbol: string;
  /** The packet's destination address, when the drop was grouped by flow and the packet was IP. */
  dst?: string;
}

/** Reasons that are benign wherever they happen, and why. */
export const BENIGN_REASONS: Readonly<Record<string, string>> = {
  OTHERHOST: 'a frame addressed to another host (a bridge or promiscuous device saw a copy)',
  UNICAST_IN_L2_MULTICAST: 'a unicast IP packet in a link-layer multicast or broadcast frame, refused as the RFCs ask',
  IPV6_NDISC_FRAG: 'a fragmented neighbour-discovery message, refused as RFC 6980 asks',
  IPV6_NDISC_HOP_LIMIT: 'a neighbour-discovery message from off the link (hop limit not 255)',
  IPV6_NDISC_BAD_CODE: 'a neighbour-discovery message with a code no RFC defines',
  IPV6_NDISC_BAD_OPTIONS: 'a neighbour-discovery message with malformed options',
  IPV6_NDISC_NS_OTHERHOST: "a neighbour solicitation for another host's address",
  TCP_OLD_DATA: 'a TCP segment whose data the socket already has (a retransmitted copy)',
  TCP_OFOMERGE: 'out-of-order TCP data merged into what the socket already queued',
};

/** Reasons that are benign when the packet was sent to a multicast or broadcast address. */
const GROUP_REASONS = new Set(['NO_SOCKET', 'UDP_CSUM', 'IP_NOPROTO', 'SOCKET_FILTER', 'OTHERHOST']);

export function isGroupAddress(addr: string): boolean {
  const v = isIP(addr);
  if (v === 4) {
    const first = Number(addr.split('.')[0]);
    return (first >= 224 && first <= 239) || addr === '255.255.255.255';
  }
  return v === 6 && addr.toLowerCase().startsWith('ff');
}

/** Why a drop harms no one, or undefined when it may. */
export function benignWhy(d: DropIdentity): string | undefined {
  const r = BENIGN_REASONS[d.reason];
  if (r) return r;
  if (d.dst && GROUP_REASONS.has(d.reason) && isGroupAddress(d.dst)) return 'a multicast or broadcast packet no socket on this host joined';
  return undefined;
}
