/** Pure renderers of packet_drop_details records. */
import { decodePacket, dropEventHeadText, flowFromHeaders, type Decoded, type DropEventHead, type EventEnvelope, type Flow, type WallClock } from '@netstrata/bpf-common';
import type { DropEvent } from '../layout.ts';
import type { DropResolver } from '../resolve.ts';

/** Decoded headers, as bpf-common's packet decoder returns them. */
export type Headers = Decoded;

/** The drop's head (bpf-common DropEventHead), then the thread, the ethertype, the flow, the
 * decoded headers and, with --stack, the kernel stack. */
export interface DropEventFields extends DropEventHead {
  tid: number;
  ethertype: number;
  flow: Flow | null;
  headers: Headers;
  stack?: string[];
}

export type DropEventRecord = EventEnvelope & DropEventFields;

/** One dropped packet's record, its headers decoded. */
export function eventFields(e: DropEvent, clock: WallClock, r: DropResolver, stack: boolean): DropEventFields {
  const headers = decodePacket(e.hdr, { start: e.hdrStart, l3Protocol: e.protocol });
  const loc = r.location(e.location);
  const rec: DropEventFields = {
    time: clock.toIso(e.tsNs),
    ...e.task,
    device: e.dev,
    reason: r.reasonName(e.reason),
    reason_code: e.reason,
    location: { symbol: loc?.symbol ?? '?', offset: loc?.offset ?? 0, address: `0x${e.location.toString(16)}` },
    len: e.pktLen,
    ethertype: e.protocol,
    flow: flowFromHeaders(headers) ?? null,
    headers,
  };
  if (stack) rec.stack = r.frames(e.stack);
  return rec;
}

export function renderEventText(e: DropEventRecord): string {
  const lines = [`${dropEventHeadText(e)} pid ${e.pid} (${e.comm}) len ${e.len}`];
  lines.push(`    ${headerLine(e)}`);
  for (const frame of e.stack ?? []) lines.push(`        ${frame}`);
  return lines.join('\n');
}

export function headerLine(e: Pick<DropEventRecord, 'headers' | 'flow' | 'ethertype'>): string {
  const h = e.headers;
  const parts: string[] = [];
  if (h.eth) parts.push(`${h.eth.src} > ${h.eth.dst}`);
  for (const v of h.vlans ?? []) parts.push(`vlan ${v.id}${v.tpid === 0x88a8 ? ' (802.1ad)' : ''}`);
  if (h.arp) {
    parts.push(`ARP ${h.arp.op === 1 ? 'who-has' : h.arp.op === 2 ? 'reply' : `op ${h.arp.op}`} ${h.arp.targetIp} tell ${h.arp.senderIp}`);
  } else if (h.ipv4 || h.ipv6) {
    const ip = h.ipv4 ? `IPv4 ttl ${h.ipv4.ttl} id ${h.ipv4.id}` : `IPv6 hlim ${h.ipv6!.hopLimit}`;
    const src = h.ipv4?.src ?? h.ipv6!.src;
    const dst = h.ipv4?.dst ?? h.ipv6!.dst;
    const bracket = (a: string) => (h.ipv6 ? `[${a}]` : a);
    if (h.tcp) {
      parts.push(`${ip} TCP ${bracket(src)}:${h.tcp.sport} -> ${bracket(dst)}:${h.tcp.dport} [${h.tcp.flags}] seq ${h.tcp.seq} ack ${h.tcp.ack} win ${h.tcp.window}`);
    } else if (h.udp) {
      parts.push(`${ip} UDP ${bracket(src)}:${h.udp.sport} -> ${bracket(dst)}:${h.udp.dport} len ${h.udp.length}`);
    } else if (h.icmp) {
      const echo = h.icmp.id !== undefined ? ` id ${h.icmp.id} seq ${h.icmp.seq}` : '';
      parts.push(`${ip} ${h.icmp.v6 ? 'ICMPv6' : 'ICMP'} ${src} -> ${dst} ${h.icmp.typeName ?? `type ${h.icmp.type}`} code ${h.icmp.code}${echo}`);
    } else {
      parts.push(`${ip} ${src} -> ${dst} proto ${h.ipv4?.protocol ?? h.ipv6!.nextHeader}`);
    }
  } else if (!h.eth) {
    parts.push(`ethertype 0x${e.ethertype.toString(16).padStart(4, '0')}, headers not captured`);
  } else {
    parts.push(`ethertype 0x${h.eth.type.toString(16).padStart(4, '0')}`);
  }
  if (h.truncated) parts.push('(truncated)');
  return parts.join(' ');
}

export function renderFinalText(f: { events: number }): string {
  return `${f.events} drop events`;
}
