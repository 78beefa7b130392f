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

/** Addresses seen recently, as text: the same few hosts send most of the packets a tool sees, and
 * a lookup costs less than making the string (and a kept string is already flat when a line is
 * joined). Bounded: cleared when full. */
const KEPT = 4096;
const macs = new Map<number, string>();
const ipv4s = new Map<number, string>();

function mac(b: Uint8Array, off: number): string {
  // 48 bits: exact as a number.
  const key = ((b[off]! << 16) | (b[off + 1]! << 8) | b[off + 2]!) * 0x1000000 + ((b[off + 3]! << 16) | (b[off + 4]! << 8) | b[off + 5]!);
  let s = macs.get(key);
  if (s === undefined) {
    if (macs.size >= KEPT) macs.clear();
    s = `${HEX[b[off]!]}:${HEX[b[off + 1]!]}:${HEX[b[off + 2]!]}:${HEX[b[off + 3]!]}:${HEX[b[off + 4]!]}:${HEX[b[off + 5]!]}`;
    macs.set(key, s);
  }
  return s;
}

function ipv4(b: Uint8Array, off: number): string {
  const key = ((b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!) >>> 0;
  let s = ipv4s.get(key);
  if (s === undefined) {
    if (ipv4s.size >= KEPT) ipv4s.clear();
    s = formatAddress(b, 4, off);
    ipv4s.set(key, s);
  }
  return s;
}

const TCP_FLAGS = ['FIN', 'SYN', 'RST', 'PSH', 'ACK', 'URG', 'ECE', 'CWR'];
/** Every combination of TCP flags, as text, made once. */
const TCP_FLAG_TEXT = Array.from({ length: 256 }, (_, f) => TCP_FLAGS.filter((_, i) => f & (1 << i)).join(',') || 'none');

export interface DecodeOptions {
  start: 'mac' | 'network';
  l3Protocol?: number;
  /** Where the captured bytes start in `bytes` (default 0), and how many there are (default the rest):
   * a record's header can be decoded where it lies, in the ring, without a copy or a view. */
  offset?: number;
  length?: number;
}

const u16 = (b: Uint8Array, at: number) => (b[at]! << 8) | b[at + 1]!;

/** Whether fewer than n bytes are captured at off (the packet is then truncated). */
function short(out: Decoded, end: number, off: number, n: number): boolean {
  if (off + n <= end) return false;
  out.truncated = true;
  return true;
}

/**
 * Decodes the headers of one captured packet. Called once per event by details tools, so it reads
 * bytes directly (no DataView, no copy): the per-event cost is the objects and strings it returns.
 */
export function decodePacket(bytes: Uint8Array, opts: DecodeOptions): Decoded {
  const base = opts.offset ?? 0;
  const end = opts.length ?? bytes.byteLength - base;
  // Offsets below are from the first captured byte; `base` places them in `bytes`.
  const b = bytes;
  const out: Decoded = { vlans: [], truncated: false };
  let off = 0;
  let type = opts.l3Protocol ?? 0;
  if (opts.start === 'mac') {
    if (short(out, end, 0, 14)) return out;
    type = u16(b, base + 12);
    out.eth = { dst: mac(b, base + 0), src: mac(b, base + 6), type };
    off = 14;
    while (VLAN_TPIDS.has(type)) {
      if (short(out, end, off, 4)) return out;
      const tci = u16(b, base + off);
      out.vlans.push({ tpid: type, id: tci & 0xfff, pcp: tci >> 13 });
      type = u16(b, base + off + 2);
      out.eth.type = type;
      off += 4;
    }
  }
  let l4 = -1;
  let l4off = 0;
  if (type === ETH_ARP) {
    if (short(out, end, off, 28)) return out;
    out.arp = { op: u16(b, base + off + 6), senderMac: mac(b, base + off + 8), senderIp: ipv4(b, base + off + 14), targetMac: mac(b, base + off + 18), targetIp: ipv4(b, base + off + 24) };
    return out;
  } else if (type === ETH_IP) {
    if (short(out, end, off, 20)) return out;
    const ihl = (b[base + off]! & 0x0f) * 4;
    const frag = u16(b, base + off + 6);
    out.ipv4 = {
      src: ipv4(b, base + off + 12),
      dst: ipv4(b, base + off + 16),
      ttl: b[base + off + 8]!,
      id: u16(b, base + off + 4),
      protocol: b[base + off + 9]!,
      length: u16(b, base + off + 2),
      flags: { df: !!(frag & 0x4000), mf: !!(frag & 0x2000) },
      fragOffset: (frag & 0x1fff) * 8,
      ihl,
    };
    if (frag & 0x1fff) return out; // later fragments carry no L4 header
    l4 = out.ipv4.protocol;
    l4off = off + ihl;
  } else if (type === ETH_IPV6) {
    if (short(out, end, off, 40)) return out;
    let next = b[base + off + 6]!;
    out.ipv6 = {
      src: formatAddress(b, 6, base + off + 8),
      dst: formatAddress(b, 6, base + off + 24),
      hopLimit: b[base + off + 7]!,
      flowLabel: ((b[base + off + 1]! & 0x0f) << 16) | u16(b, base + off + 2),
      nextHeader: next,
      payloadLength: u16(b, base + off + 4),
    };
    let p = off + 40;
    for (let i = 0; i < 8 && IPV6_EXT.has(next); i++) {
      if (short(out, end, p, 8)) return out;
      const len = next === 44 ? 8 : (b[base + p + 1]! + 1) * 8;
      if (next === 44 && u16(b, base + p + 2) & 0xfff8) {
        out.ipv6.nextHeader = b[base + p]!;
        return out; // not the first fragment
      }
      next = b[base + p]!;
      p += len;
    }
    out.ipv6.nextHeader = next;
    l4 = next;
    l4off = p;
  } else {
    return out;
  }
  if (l4 === 6) {
    if (short(out, end, l4off, 20)) return out;
    out.tcp = {
      sport: u16(b, base + l4off),
      dport: u16(b, base + l4off + 2),
      seq: b[base + l4off + 4]! * 0x1000000 + ((b[base + l4off + 5]! << 16) | u16(b, base + l4off + 6)),
      ack: b[base + l4off + 8]! * 0x1000000 + ((b[base + l4off + 9]! << 16) | u16(b, base + l4off + 10)),
      flags: TCP_FLAG_TEXT[b[base + l4off + 13]!]!,
      window: u16(b, base + l4off + 14),
    };
  } else if (l4 === 17) {
    if (short(out, end, l4off, 8)) return out;
    out.udp = { sport: u16(b, base + l4off), dport: u16(b, base + l4off + 2), length: u16(b, base + l4off + 4) };
  } else if (l4 === 1 || l4 === 58) {
    if (short(out, end, l4off, 4)) return out;
    const v6 = l4 === 58;
    const t = b[base + l4off]!;
    out.icmp = { type: t, code: b[base + l4off + 1]!, v6, typeName: (v6 ? ICMP6 : ICMP4)[t] ?? `type ${t}` };
    const echo = v6 ? t === 128 || t === 129 : t === 0 || t === 8;
    if (echo && !short(out, end, l4off, 8)) {
      out.icmp.id = u16(b, base + l4off + 4);
      out.icmp.seq = u16(b, base + l4off + 6);
    }
  }
  return out;
}

/** The IP 5-tuple of a decoded packet, or undefined when it is not IP. */
export function flowOf(d: Decoded): Flow | undefined {
  return d.ipv4 || d.ipv6 ? flowFromHeaders({ ...d, icmp: undefined }) : undefined;
}
