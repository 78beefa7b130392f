/**
 * Decoded headers and flows as JSON text, for details tools that write an event per packet: exactly
 * JSON.stringify of the same objects (same members, same order), several times faster. Every
 * string here is an address, a MAC, a flag list or a type name: none needs escaping.
 *
 * A line is written out by joining its pieces, and each piece costs about as much as making it:
 * what stays the same from packet to packet of one flow (addresses, protocol, IPv4 flags) is kept
 * as one piece, remade only when it changes (decodePacket gives the same string object for the same
 * address, so comparing them is cheap).
 */
import type { Decoded } from './decode.ts';
import type { Flow } from './flow.ts';

/** The last text made from up to four values, remade when one of them changes. */
class Last<A, B, C = undefined, D = undefined> {
  private a: A | undefined;
  private b: B | undefined;
  private c: C | undefined;
  private d: D | undefined;
  private value: string | undefined;
  constructor(private readonly make: (a: A, b: B, c: C, d: D) => string) {}
  get(a: A, b: B, c?: C, d?: D): string {
    if (this.value === undefined || a !== this.a || b !== this.b || c !== this.c || d !== this.d) {
      this.a = a;
      this.b = b;
      this.c = c;
      this.d = d;
      this.value = this.make(a, b, c as C, d as D);
    }
    return this.value;
  }
}

const ethJson = new Last((dst: string, src: string, type: number) => `,"eth":{"dst":"${dst}","src":"${src}","type":${type}}`);
const ipv4Head = new Last((src: string, dst: string) => `,"ipv4":{"src":"${src}","dst":"${dst}","ttl":`);
const ipv4Tail = new Last((df: boolean, mf: boolean, frag: number, ihl: number) => `,"flags":{"df":${df},"mf":${mf}},"fragOffset":${frag},"ihl":${ihl}}`);
const flowHead = new Last((src: string, dst: string) => `{"src":"${src}","dst":"${dst}","sport":`);

/** JSON.stringify(d) of decodePacket's result. */
export function headersJson(d: Decoded): string {
  let s = '{"vlans":[';
  for (let i = 0; i < d.vlans.length; i++) {
    const v = d.vlans[i]!;
    s += `${i ? ',' : ''}{"tpid":${v.tpid},"id":${v.id},"pcp":${v.pcp}}`;
  }
  s += d.truncated ? '],"truncated":true' : '],"truncated":false';
  if (d.eth) s += ethJson.get(d.eth.dst, d.eth.src, d.eth.type);
  if (d.arp) {
    const a = d.arp;
    s += `,"arp":{"op":${a.op},"senderMac":"${a.senderMac}","senderIp":"${a.senderIp}","targetMac":"${a.targetMac}","targetIp":"${a.targetIp}"}`;
  }
  if (d.ipv4) {
    const p = d.ipv4;
    s += `${ipv4Head.get(p.src, p.dst)}${p.ttl},"id":${p.id},"protocol":${p.protocol},"length":${p.length}${ipv4Tail.get(p.flags.df, p.flags.mf, p.fragOffset, p.ihl)}`;
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
  let s = `${flowHead.get(f.src, f.dst)}${f.sport},"dport":${f.dport},"protocol":"${f.protocol}"`;
  if (f.icmp_id !== undefined) s += `,"icmp_id":${f.icmp_id},"icmp_type":${f.icmp_type},"icmp_code":${f.icmp_code}`;
  if (f.arp_op !== undefined) s += `,"arp_op":${f.arp_op}`;
  return `${s}}`;
}
