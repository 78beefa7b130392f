/**
 * A megaflow as the datapath holds it: its key under its mask, in ovs-dpctl's own notation, its
 * actions decoded from the netlink attributes the kernel keeps, and its UFID as ovs-vswitchd prints
 * it. Pure functions over the decoded event.
 */
import type { FlowEvent, KeyFields, UpcallEvent } from '../layout.ts';

const be16 = (v: number): number => ((v & 0xff) << 8) | (v >> 8);
const hex = (v: number, w = 0): string => `0x${v.toString(16).padStart(w, '0')}`;
const mac = (b: Uint8Array): string => [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
const ipv4 = (b: Uint8Array): string => [...b.subarray(0, 4)].join('.');
function ipv6(b: Uint8Array): string {
  const words = Array.from({ length: 8 }, (_, i) => ((b[2 * i]! << 8) | b[2 * i + 1]!).toString(16));
  // The longest run of zero words becomes ::, as inet_ntop writes it.
  let best = [-1, 0];
  for (let i = 0; i < 8; ) {
    if (words[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === '0') j++;
    if (j - i > best[1]! && j - i > 1) best = [i, j - i];
    i = j;
  }
  if (best[0]! < 0) return words.join(':');
  return `${words.slice(0, best[0]).join(':')}::${words.slice(best[0]! + best[1]!).join(':')}`;
}

const ETH_IP = 0x0800;
const ETH_IPV6 = 0x86dd;
const ETH_ARP = 0x0806;

/** The UFID as ovs-vswitchd and ovs-dpctl print it (its four 32-bit parts, a UUID's layout). */
export function formatUfid(parts: readonly number[]): string {
  const [a, b, c, d] = parts.map((p) => p >>> 0) as [number, number, number, number];
  const h = (v: number, w: number) => v.toString(16).padStart(w, '0');
  return `${h(a, 8)}-${h(b >>> 16, 4)}-${h(b & 0xffff, 4)}-${h(c >>> 16, 4)}-${h(c & 0xffff, 4)}${h(d, 8)}`;
}

const FRAG = ['no', 'first', 'later'];

/** One field in ovs-dpctl's notation: `value` alone under a full mask, `value/mask` under a partial one. */
function field(name: string, value: string, mask: string, full: string): string {
  return mask === full ? `${name}=${value}` : `${name}=${value}/${mask}`;
}

/**
 * The flow's match, the fields its mask covers (any field whose mask is not zero), in ovs-dpctl's
 * order and notation: `recirc_id(0),in_port(2),eth(src=..,dst=..),eth_type(0x0800),ipv4(...),udp(...)`
 * (ports by the datapath's numbers, where ovs-dpctl may print their names).
 */
export function formatMatch(key: KeyFields, mask: KeyFields): string {
  const out: string[] = [];
  out.push(`recirc_id(${key.recirc_id})`);
  if (mask.in_port) out.push(`in_port(${key.in_port})`);
  if (mask.ct_state) out.push(`ct_state(${hex(key.ct_state)}/${hex(mask.ct_state)})`);
  if (mask.ct_zone) out.push(`ct_zone(${hex(key.ct_zone)})`);
  const macMask = (b: Uint8Array) => b.some((x) => x);
  if (macMask(mask.eth_src) || macMask(mask.eth_dst)) {
    const parts = [];
    if (macMask(mask.eth_src)) parts.push(field('src', mac(key.eth_src), mac(mask.eth_src), 'ff:ff:ff:ff:ff:ff'));
    if (macMask(mask.eth_dst)) parts.push(field('dst', mac(key.eth_dst), mac(mask.eth_dst), 'ff:ff:ff:ff:ff:ff'));
    out.push(`eth(${parts.join(',')})`);
  }
  // As ovs-dpctl: an untagged match (tci 0) is not printed.
  if (mask.vlan_tci && key.vlan_tci) out.push(`vlan(tci=${hex(be16(key.vlan_tci), 4)}/${hex(be16(mask.vlan_tci), 4)})`);
  const type = be16(key.eth_type);
  if (mask.eth_type) out.push(`eth_type(${hex(type, 4)})`);
  if (type === ETH_IP || type === ETH_IPV6) {
    const v6 = type === ETH_IPV6;
    const addr = v6 ? ipv6 : ipv4;
    const full = v6 ? 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff' : '255.255.255.255';
    const covered = (b: Uint8Array) => b.subarray(0, v6 ? 16 : 4).some((x) => x);
    const parts = [];
    if (covered(mask.src)) parts.push(field('src', addr(key.src), addr(mask.src), full));
    if (covered(mask.dst)) parts.push(field('dst', addr(key.dst), addr(mask.dst), full));
    if (mask.ip_proto) parts.push(`proto=${key.ip_proto}`);
    if (mask.ip_tos) parts.push(`${v6 ? 'tclass' : 'tos'}=${hex(key.ip_tos)}`);
    if (mask.ip_ttl) parts.push(`${v6 ? 'hlimit' : 'ttl'}=${key.ip_ttl}`);
    if (mask.ip_frag) parts.push(`frag=${FRAG[key.ip_frag] ?? key.ip_frag}`);
    if (parts.length) out.push(`${v6 ? 'ipv6' : 'ipv4'}(${parts.join(',')})`);
    const l4 = key.ip_proto === 6 ? 'tcp' : key.ip_proto === 17 ? 'udp' : key.ip_proto === 132 ? 'sctp' : key.ip_proto === 1 ? 'icmp' : key.ip_proto === 58 ? 'icmpv6' : '';
    if (l4 && (mask.tp_src || mask.tp_dst)) {
      const [s, d] = l4.startsWith('icmp') ? ['type', 'code'] : ['src', 'dst'];
      const p = [];
      if (mask.tp_src) p.push(field(s, String(be16(key.tp_src)), hex(be16(mask.tp_src)), '0xffff'));
      if (mask.tp_dst) p.push(field(d, String(be16(key.tp_dst)), hex(be16(mask.tp_dst)), '0xffff'));
      out.push(`${l4}(${p.join(',')})`);
    }
    if (key.ip_proto === 6 && mask.tcp_flags) out.push(`tcp_flags(${hex(be16(key.tcp_flags), 3)}/${hex(be16(mask.tcp_flags), 3)})`);
  } else if (type === ETH_ARP) {
    const parts = [];
    if (mask.src.subarray(0, 4).some((x) => x)) parts.push(`sip=${ipv4(key.src)}`);
    if (mask.dst.subarray(0, 4).some((x) => x)) parts.push(`tip=${ipv4(key.dst)}`);
    if (mask.ip_proto) parts.push(`op=${key.ip_proto}`);
    if (parts.length) out.push(`arp(${parts.join(',')})`);
  }
  return out.join(',');
}

/** enum ovs_action_attr (uapi/linux/openvswitch.h): the actions printed by name. */
const ACTIONS: Record<number, string> = {
  1: 'output',
  2: 'userspace',
  3: 'set',
  4: 'push_vlan',
  5: 'pop_vlan',
  6: 'sample',
  7: 'recirc',
  8: 'hash',
  9: 'push_mpls',
  10: 'pop_mpls',
  11: 'set_masked',
  12: 'ct',
  13: 'trunc',
  14: 'push_eth',
  15: 'pop_eth',
  16: 'ct_clear',
  17: 'push_nsh',
  18: 'pop_nsh',
  19: 'meter',
  20: 'clone',
  21: 'check_pkt_len',
  22: 'add_mpls',
  23: 'dec_ttl',
  24: 'drop',
  25: 'psample',
};

/**
 * The action list (netlink attributes, as the kernel keeps them), one entry each: `output:2`,
 * `recirc(0x1)`, `trunc(200)`, `meter(0)`, or the action's name. No action is a drop. `copied` of
 * `total` bytes were read; a list cut short ends with `...`.
 */
export function decodeActions(bytes: Uint8Array, copied: number, total: number): string[] {
  const v = new DataView(bytes.buffer, bytes.byteOffset, copied);
  const out: string[] = [];
  let at = 0;
  while (at + 4 <= copied) {
    const len = v.getUint16(at, true);
    const type = v.getUint16(at + 2, true) & 0x3fff; // less NLA_F_NESTED / NLA_F_NET_BYTEORDER
    if (len < 4) break;
    const u32 = len >= 8 && at + 8 <= copied ? v.getUint32(at + 4, true) : undefined;
    const name = ACTIONS[type] ?? `action${type}`;
    if (type === 1 && u32 !== undefined) out.push(`output:${u32}`);
    else if ((type === 7 || type === 8) && u32 !== undefined) out.push(`${name}(${hex(u32)})`);
    else if ((type === 13 || type === 19) && u32 !== undefined) out.push(`${name}(${u32})`);
    else out.push(name);
    at += (len + 3) & ~3;
  }
  if (total > copied) out.push('...');
  return out.length ? out : ['drop'];
}

/** Whether an upcall's key, under the flow's mask, is the flow's key (the datapath keeps its flows'
 * keys masked), over every field the tool decodes. */
export function keyMatches(upcall: KeyFields, key: KeyFields, mask: KeyFields): boolean {
  for (const name of Object.keys(mask) as (keyof KeyFields)[]) {
    const m = mask[name];
    const u = upcall[name];
    const k = key[name];
    if (m instanceof Uint8Array) {
      const ub = u as Uint8Array;
      const kb = k as Uint8Array;
      for (let i = 0; i < m.length; i++) if ((ub[i]! & m[i]!) !== (kb[i]! & m[i]!)) return false;
    } else if (typeof m === 'number' && ((u as number) & m) !== ((k as number) & m)) {
      return false;
    }
  }
  return true;
}

/**
 * The upcalls seen lately, newest last: each new flow takes the newest upcall that it matches and
 * that came before it (one upcall, one flow). Older ones fall out past `keep`.
 */
export class UpcallWindow {
  private readonly upcalls: UpcallEvent[] = [];

  constructor(private readonly keep = 4096) {}

  add(u: UpcallEvent): void {
    this.upcalls.push(u);
    if (this.upcalls.length > this.keep) this.upcalls.shift();
  }

  /** The upcall that caused the flow, taken out of the window; undefined when none matches. */
  take(flow: FlowEvent): UpcallEvent | undefined {
    for (let i = this.upcalls.length - 1; i >= 0; i--) {
      const u = this.upcalls[i]!;
      if (u.ts_ns > flow.ts_ns || !keyMatches(u.key, flow.key, flow.mask)) continue;
      this.upcalls.splice(i, 1);
      return u;
    }
    return undefined;
  }
}
