import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { nstFlow, timeOfDay, UsageError, type WallClock } from '@netstrata/bpf-common';
import { stateMask } from './details-tool.ts';
import { eventFields, renderEventText, renderFinalText, StateTally, statusNames, type Names } from './details.ts';
import { CT_HAS_ENTRY, CT_HAS_MARK, CT_HAS_ZONE, CT_REPLY, CT_TEMPLATE, ctEvent } from './layout.ts';

const clock = { toIso: (ns: bigint) => new Date(Number(ns / 1000000n)).toISOString() } as WallClock;
const names: Names = {
  reason: (c) => (c === 12 ? 'NETFILTER_DROP' : `R${c}`),
  location: () => ({ symbol: 'nft_do_chain', offset: 0x1a }),
  status: (bits) => ['SEEN_REPLY', 'ASSURED', 'CONFIRMED'].filter((_, i) => bits & (2 << i)),
};
const v4 = (a: number[]) => Uint8Array.from([...a, ...new Array(12).fill(0)]);
const flow = nstFlow.encode({ saddr: v4([10, 200, 0, 1]), daddr: v4([10, 200, 0, 2]), sport: 40000, dport: 80, family: 2, protocol: 6, ethertype: 0x800 });

function event(o: Partial<ReturnType<typeof ctEvent.decode>>) {
  const b = ctEvent.encode({ ts_ns: 1000000000n, location: 1n, reason: 12, cpu: 1, pid: 7, netns: 99, ifindex: 2, len: 40, comm: 'swapper/1', dev: 'eth0', ...o });
  new Uint8Array(b.buffer).set(flow, ctEvent.offsetOf('flow'));
  return ctEvent.decode(b);
}

describe('conntrack_details events', () => {
  it('a packet without an entry: state none, no direction, no entry; its TCP flags', () => {
    const e = eventFields(event({ state: 0, ident: { tcp_seq: 5, ip_id: 0, icmp_id: 0, icmp_seq: 0, l4_payload: 0, tcp_flags: 0x03, _pad: new Uint8Array(3) } }), clock, names);
    expect(e).toMatchObject({ reason: 'NETFILTER_DROP', reason_code: 12, state: 'none', direction: null, entry: null, template_zone: null, netns: 99, device: 'eth0' });
    expect(e.flow).toEqual({ src: '10.200.0.1', dst: '10.200.0.2', sport: 40000, dport: 80, protocol: 'TCP' });
    expect(e.tcp).toEqual({ flags: 'FIN,SYN', seq: 5 });
    expect(renderEventText({ type: 'event', tool: 'conntrack_details', ...e })).toBe(`${timeOfDay(e.time, true)} CPU1 NETFILTER_DROP at nft_do_chain+0x1a dev eth0 netns 99 len 40: 10.200.0.1:40000 -> 10.200.0.2:80 (TCP) [FIN,SYN] seq 5 ct none`);
    expect(renderEventText({ type: 'event', tool: 'conntrack_details', ...e, device: '' })).toMatch(/ at nft_do_chain\+0x1a ifindex 2 netns 99 len 40: /);
  });

  it('a packet of an entry: state, direction, zone, mark and status bits', () => {
    const e = eventFields(event({ state: 2, flags: CT_HAS_ENTRY | CT_HAS_ZONE | CT_HAS_MARK | CT_REPLY, zone: 7, mark: 0x2a, status: 0xen, ctinfo: 3 }), clock, names);
    expect(e).toMatchObject({ state: 'established', direction: 'reply', ctinfo: 3, entry: { zone: 7, mark: 0x2a, status: ['SEEN_REPLY', 'ASSURED', 'CONFIRMED'], status_bits: 14 } });
    expect(renderEventText({ type: 'event', tool: 'conntrack_details', ...e })).toMatch(/ct established reply zone 7 mark 0x2a status SEEN_REPLY,ASSURED,CONFIRMED$/);
    // No zones or marks in the kernel: null, not 0.
    expect(eventFields(event({ state: 1, flags: CT_HAS_ENTRY }), clock, names).entry).toMatchObject({ zone: null, mark: null });
  });

  it("a template's zone is the packet's zone to be, without an entry", () => {
    const e = eventFields(event({ state: 0, flags: CT_TEMPLATE | CT_HAS_ZONE, zone: 5 }), clock, names);
    expect(e).toMatchObject({ state: 'none', entry: null, template_zone: 5 });
  });

  it('counts events by state for the final record', () => {
    const t = new StateTally();
    for (const s of [0, 0, 1]) t.add(eventFields(event({ state: s }), clock, names).state);
    expect(t.counts).toMatchObject({ total: 3, none: 2, new: 1 });
    expect(renderFinalText({ events: 3, by_state: t.counts })).toBe('3 drop events (none 2, new 1)');
  });

  it('--state: names to bits, a bad name is bad input', () => {
    expect(stateMask(undefined)).toBe(0);
    expect(stateMask(['none', 'ESTABLISHED'])).toBe(0b101);
    expect(() => stateMask(['invalid'])).toThrow(UsageError);
    expect(() => stateMask(['invalid'])).toThrow("--state: 'invalid' is not one of none, new, established, related, untracked");
  });

  it.runIf(existsSync('/sys/kernel/btf/vmlinux'))("names status bits from the kernel's BTF", () => {
    expect(statusNames()(0b1110)).toEqual(['SEEN_REPLY', 'ASSURED', 'CONFIRMED']);
    expect(statusNames()(1 << 30)).toEqual(['bit30']);
  });
});
