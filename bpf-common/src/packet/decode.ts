/**
 * Decoders of packet headers captured by BPF programs as raw bytes. Never throws on short input:
 * decodes what is there and says `truncated`.
 */
import { formatAddress } from '../filter/address.ts';
import { flowFromHeaders, type Flow } from './flow.ts';

export interface Decoded {
  eth?: { src: string; dst: string; type: number };
  vlans: { tpid: number; id: number; pcp: number }[];
  arp?: { op: number; senderMac: string; senderIp: string; targetMac: string; targetIp: string };
  ipv4?: { src: string; dst: string; ttl: number; id: number; protocol: number; length: number; flags: { df: boolean; mf: boolean }; fragOffset: number; ihl: number };
  ipv6?: { src: string; dst: string; hopLimit: number; flowLabel: number; nextHeader: number; payloadLength: number };
  tcp?: { sport: number; dport: number; seq: number; ack: number; flags: string; window: number };
  udp?: { sport: number; dport: number; length: number };
  icmp?: { type: number; code: number; id?: number; seq?: number; v6: boolean; typeName: string };
  truncated: boolean;
}

const ETH_IP = 0x0800;
const ETH_ARP = 0x0806;
const ETH_IPV6 = 0x86dd;
const VLAN_TPIDS = new Set([0x8100, 0x88a8, 0x9100]);
const IPV6_EXT = new Set([0, 43, 44, 60]);

const ICMP4: Record<number, string> = { 0: 'echo-reply', 3: 'dest-unreachable', 5: 'redirect', 8: 'echo-request', 11: 'time-exceeded', 12: 'parameter-problem' };
const ICMP6: Record<number, string> = { 1: 'dest-unreachable', 2: 'packet-too-big', 3: 'time-exceeded', 4: 'parameter-problem', 128: 'echo-request', 129: 'echo-reply', 133: 'router-solicit', 134: 'router-advert', 135: 'neighbor-solicit', 136: 'neighbor-advert' };

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function mac(b: Uint8Array, off: number): string {
  // Called twice per event on the details hot path: a table beats Array.from + padStart.
  return `${HEX[b[off]!]}:${HEX[b[off + 1]!]}:${HEX[b[off + 2]!]}:${HEX[b[off + 3]!]}:${HEX[b[off + 4]!]}:${HEX[b[off + 5]!]}`;
}

function addr(b: Uint8Array, off: number, family: 4 | 6): string {
  const bytes = new Uint8Array(16);
  bytes.set(b.subarray(off, off + (family === 4 ? 4 : 16)));
  return formatAddress(bytes, family);
}

const TCP_FLAGS = ['FIN', 'SYN', 'RST', 'PSH', 'ACK', 'URG', 'ECE', 'CWR'];

export function decodePacket(bytes: Uint8Array, opts: { start: 'mac' | 'network'; l3Protocol?: number }): Decoded {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Decoded = { vlans: [], truncated: false };
  const need = (off: number, n: number) => {
    if (off + n <= bytes.byteLength) return true;
    out.truncated = true;
    return false;
  };
  let off = 0;
  let type = opts.l3Protocol ?? 0;
  if (opts.start === 'mac') {
    if (!need(0, 14)) return out;
    type = v.getUint16(12);
    out.eth = { dst: mac(bytes, 0), src: mac(bytes, 6), type };
    off = 14;
    while (VLAN_TPIDS.has(type)) {
      if (!need(off, 4)) return out;
      const tci = v.getUint16(off);
      out.vlans.push({ tpid: type, id: tci & 0xfff, pcp: tci >> 13 });
      type = v.getUint16(off + 2);
      out.eth.type = type;
      off += 4;
    }
  }
  let l4 = -1;
  let l4off = 0;
  let fam: 4 | 6 = 4;
  if (type === ETH_ARP) {
    if (!need(off, 28)) return out;
    out.arp = { op: v.getUint16(off + 6), senderMac: mac(bytes, off + 8), senderIp: addr(bytes, off + 14, 4), targetMac: mac(bytes, off + 18), targetIp: addr(bytes, off + 24, 4) };
    return out;
  } else if (type === ETH_IP) {
    if (!need(off, 20)) return out;
    const ihl = (bytes[off]! & 0x0f) * 4;
    const frag = v.getUint16(off + 6);
    out.ipv4 = {
      src: addr(bytes, off + 12, 4),
      dst: addr(bytes, off + 16, 4),
      ttl: bytes[off + 8]!,
      id: v.getUint16(off + 4),
      protocol: bytes[off + 9]!,
      length: v.getUint16(off + 2),
      flags: { df: !!(frag & 0x4000), mf: !!(frag & 0x2000) },
      fragOffset: (frag & 0x1fff) * 8,
      ihl,
    };
    if (frag & 0x1fff) return out; // later fragments carry no L4 header
    l4 = out.ipv4.protocol;
    l4off = off + ihl;
  } else if (type === ETH_IPV6) {
    if (!need(off, 40)) return out;
    fam = 6;
    let next = bytes[off + 6]!;
    out.ipv6 = {
      src: addr(bytes, off + 8, 6),
      dst: addr(bytes, off + 24, 6),
      hopLimit: bytes[off + 7]!,
      flowLabel: v.getUint32(off) & 0xfffff,
      nextHeader: next,
      payloadLength: v.getUint16(off + 4),
    };
    let p = off + 40;
    for (let i = 0; i < 8 && IPV6_EXT.has(next); i++) {
      if (!need(p, 8)) return out;
      const len = next === 44 ? 8 : (bytes[p + 1]! + 1) * 8;
      if (next === 44 && v.getUint16(p + 2) & 0xfff8) {
        out.ipv6.nextHeader = bytes[p]!;
        return out; // not the first fragment
      }
      next = bytes[p]!;
      p += len;
    }
    out.ipv6.nextHeader = next;
    l4 = next;
    l4off = p;
  } else {
    return out;
  }
  if (l4 === 6) {
    if (!need(l4off, 20)) return out;
    const f = bytes[l4off + 13]!;
    out.tcp = {
      sport: v.getUint16(l4off),
      dport: v.getUint16(l4off + 2),
      seq: v.getUint32(l4off + 4),
      ack: v.getUint32(l4off + 8),
      flags: TCP_FLAGS.filter((_, i) => f & (1 << i)).join(',') || 'none',
      window: v.getUint16(l4off + 14),
    };
  } else if (l4 === 17) {
    if (!need(l4off, 8)) return out;
    out.udp = { sport: v.getUint16(l4off), dport: v.getUint16(l4off + 2), length: v.getUint16(l4off + 4) };
  } else if (l4 === 1 || l4 === 58) {
    if (!need(l4off, 4)) return out;
    const v6 = l4 === 58;
    const t = bytes[l4off]!;
    out.icmp = { type: t, code: bytes[l4off + 1]!, v6, typeName: (v6 ? ICMP6 : ICMP4)[t] ?? `type ${t}` };
    const echo = v6 ? t === 128 || t === 129 : t === 0 || t === 8;
    if (echo && need(l4off, 8)) {
      out.icmp.id = v.getUint16(l4off + 4);
      out.icmp.seq = v.getUint16(l4off + 6);
    }
  }
  void fam;
  return out;
}

/** The IP 5-tuple of a decoded packet, or undefined when it is not IP. */
export function flowOf(d: Decoded): Flow | undefined {
  return d.ipv4 || d.ipv6 ? flowFromHeaders({ ...d, icmp: undefined }) : undefined;
}
