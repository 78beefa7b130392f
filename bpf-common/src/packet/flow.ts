/**
 * The flow of the output contract, one shape for every tool: addresses as text (v4 or v6),
 * ports, the protocol's name, and for ICMP the echo id and type/code, for ARP the opcode.
 * Built from the kernel's `struct nst_flow` (summary keys, sessions) or from decoded headers
 * (details events): both give the same object for the same packet.
 */
import { formatAddress } from '../filter/address.ts';
import { bytes, struct, type Decoded as Struct } from '../layout/struct.ts';
import type { Decoded } from './decode.ts';

export interface Flow {
  src: string;
  dst: string;
  sport: number;
  dport: number;
  protocol: string;
  /** ICMP/ICMPv6 only: echo identifier and type/code (ports are 0). */
  icmp_id?: number;
  icmp_type?: number;
  icmp_code?: number;
  /** ARP only: the opcode (1 request, 2 reply); src and dst are sender and target IPs. */
  arp_op?: number;
}

const PROTOCOLS: Record<number, string> = { 1: 'ICMP', 6: 'TCP', 17: 'UDP', 58: 'ICMPv6' };

/** An IP protocol number's name, or the number as text. */
export function protocolName(p: number): string {
  return PROTOCOLS[p] ?? String(p);
}

/** struct nst_flow (bpf/include/netstrata/filter_types.h). */
export const nstFlow = struct('nst_flow', {
  saddr: bytes(16),
  daddr: bytes(16),
  sport: 'u16',
  dport: 'u16',
  family: 'u8',
  protocol: 'u8',
  ethertype: 'u16',
});

export type RawFlow = Struct<typeof nstFlow.fields>;

const AF_INET = 2;
const AF_INET6 = 10;
const ETH_P_ARP = 0x0806;

/** The contract's flow from a kernel nst_flow; undefined when the packet was not parsed as IP or ARP. */
export function flowFromRaw(raw: RawFlow): Flow | undefined {
  if (raw.family !== AF_INET && raw.family !== AF_INET6) return undefined;
  const fam = raw.family === AF_INET ? 4 : 6;
  if (raw.ethertype === ETH_P_ARP) {
    return { src: formatAddress(raw.saddr, 4), dst: formatAddress(raw.daddr, 4), sport: 0, dport: 0, protocol: 'ARP', arp_op: raw.sport };
  }
  const flow: Flow = { src: formatAddress(raw.saddr, fam), dst: formatAddress(raw.daddr, fam), sport: raw.sport, dport: raw.dport, protocol: protocolName(raw.protocol) };
  if (raw.protocol === 1 || raw.protocol === 58) {
    // The BPF side keeps the echo id in sport and type<<8|code in dport.
    flow.icmp_id = raw.sport;
    flow.icmp_type = raw.dport >> 8;
    flow.icmp_code = raw.dport & 0xff;
    flow.sport = 0;
    flow.dport = 0;
  }
  return flow;
}

/** The contract's flow from decoded headers; undefined when they are neither IP nor ARP. */
export function flowFromHeaders(h: Decoded): Flow | undefined {
  if (h.arp) return { src: h.arp.senderIp, dst: h.arp.targetIp, sport: 0, dport: 0, protocol: 'ARP', arp_op: h.arp.op };
  const ip = h.ipv4 ?? h.ipv6;
  if (!ip) return undefined;
  const l4 = h.tcp ?? h.udp;
  const flow: Flow = { src: ip.src, dst: ip.dst, sport: l4?.sport ?? 0, dport: l4?.dport ?? 0, protocol: protocolName(h.ipv4 ? h.ipv4.protocol : h.ipv6!.nextHeader) };
  if (h.icmp) {
    flow.icmp_id = h.icmp.id ?? 0;
    flow.icmp_type = h.icmp.type;
    flow.icmp_code = h.icmp.code;
  }
  return flow;
}

/** `10.0.0.1:5000 -> 10.0.0.2:53 (UDP)`, `[fd00::1]:5000 -> [fd00::2]:53 (UDP)`, `a -> b (ICMP)`. */
export function formatFlow(f: Pick<Flow, 'src' | 'dst' | 'sport' | 'dport' | 'protocol'>): string {
  const v6 = f.src.includes(':');
  const host = (a: string) => (v6 ? `[${a}]` : a);
  if (f.protocol === 'TCP' || f.protocol === 'UDP') return `${host(f.src)}:${f.sport} -> ${host(f.dst)}:${f.dport} (${f.protocol})`;
  return `${f.src} -> ${f.dst} (${f.protocol})`;
}
