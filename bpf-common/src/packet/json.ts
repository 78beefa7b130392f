/**
 * Decoded headers and flows as JSON text, for details tools that write an event per packet: exactly
 * JSON.stringify of the same objects (same members, same order), several times faster. Every
 * string here is an address, a MAC, a flag list or a type name: none needs escaping.
 */
import type { Decoded } from './decode.ts';
import type { Flow } from './flow.ts';

/** JSON.stringify(d) of decodePacket's result. */
export function headersJson(d: Decoded): string {
  let s = '{"vlans":[';
  for (let i = 0; i < d.vlans.length; i++) {
    const v = d.vlans[i]!;
    s += `${i ? ',' : ''}{"tpid":${v.tpid},"id":${v.id},"pcp":${v.pcp}}`;
  }
  s += d.truncated ? '],"truncated":true' : '],"truncated":false';
  if (d.eth) s += `,"eth":{"dst":"${d.eth.dst}","src":"${d.eth.src}","type":${d.eth.type}}`;
  if (d.arp) {
    const a = d.arp;
    s += `,"arp":{"op":${a.op},"senderMac":"${a.senderMac}","senderIp":"${a.senderIp}","targetMac":"${a.targetMac}","targetIp":"${a.targetIp}"}`;
  }
  if (d.ipv4) {
    const p = d.ipv4;
    s += `,"ipv4":{"src":"${p.src}","dst":"${p.dst}","ttl":${p.ttl},"id":${p.id},"protocol":${p.protocol},"length":${p.length},"flags":{"df":${p.flags.df},"mf":${p.flags.mf}},"fragOffset":${p.fragOffset},"ihl":${p.ihl}}`;
  }
  if (d.ipv6) {
    const p = d.ipv6;
    s += `,"ipv6":{"src":"${p.src}","dst":"${p.dst}","hopLimit":${p.hopLimit},"flowLabel":${p.flowLabel},"nextHeader":${p.nextHeader},"payloadLength":${p.payloadLength}}`;
  }
  if (d.tcp) {
    const t = d.tcp;
    s += `,"tcp":{"sport":${t.sport},"dport":${t.dport},"seq":${t.seq},"ack":${t.ack},"flags":"${t.flags}","window":${t.window}}`;
  }
  if (d.udp) s += `,"udp":{"sport":${d.udp.sport},"dport":${d.udp.dport},"length":${d.udp.length}}`;
  if (d.icmp) {
    const c = d.icmp;
    s += `,"icmp":{"type":${c.type},"code":${c.code},"v6":${c.v6},"typeName":"${c.typeName}"`;
    if (c.id !== undefined) s += `,"id":${c.id},"seq":${c.seq}`;
    s += '}';
  }
  return `${s}}`;
}

/** JSON.stringify(f) of a flow, `null` for none. */
export function flowJson(f: Flow | null | undefined): string {
  if (!f) return 'null';
  let s = `{"src":"${f.src}","dst":"${f.dst}","sport":${f.sport},"dport":${f.dport},"protocol":"${f.protocol}"`;
  if (f.icmp_id !== undefined) s += `,"icmp_id":${f.icmp_id},"icmp_type":${f.icmp_type},"icmp_code":${f.icmp_code}`;
  if (f.arp_op !== undefined) s += `,"arp_op":${f.arp_op}`;
  return `${s}}`;
}
