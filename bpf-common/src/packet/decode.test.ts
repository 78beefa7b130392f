import { describe, expect, it } from 'vitest';
import { decodePacket, flowOf } from './decode.ts';
import { formatFlow } from './flow.ts';

const hex = (s: string) => Uint8Array.from(s.replace(/\s+/g, '').match(/../g)!.map((h) => parseInt(h, 16)));
const ETH = (type: string) => `020000000002 020000000001 ${type}`;
const IPV4_UDP = '4500 0024 1234 4000 4011 0000 0a000001 0a000002' + ' 9c40 0035 0010 0000' + '0102030405060708';
const IPV6_HDR = (next: string, len: string) => `60000001 ${len} ${next} 40 fd000000000000000000000000000001 fd000000000000000000000000000002`;

describe('decodePacket', () => {
  it('Ethernet, IPv4, UDP', () => {
    const d = decodePacket(hex(ETH('0800') + IPV4_UDP), { start: 'mac' });
    expect(d.eth).toEqual({ dst: '02:00:00:00:00:02', src: '02:00:00:00:00:01', type: 0x0800 });
    expect(d.ipv4).toMatchObject({ src: '10.0.0.1', dst: '10.0.0.2', ttl: 64, id: 0x1234, protocol: 17, flags: { df: true, mf: false } });
    expect(d.udp).toEqual({ sport: 40000, dport: 53, length: 16 });
    expect(formatFlow(flowOf(d)!)).toBe('10.0.0.1:40000 -> 10.0.0.2:53 (UDP)');
    expect(d.truncated).toBe(false);
  });

  it('QinQ: 802.1ad outer, 802.1Q inner', () => {
    const d = decodePacket(hex(ETH('88a8') + '2064 8100 00c8 0800' + IPV4_UDP), { start: 'mac' });
    expect(d.vlans).toEqual([
      { tpid: 0x88a8, id: 100, pcp: 1 },
      { tpid: 0x8100, id: 200, pcp: 0 },
    ]);
    expect(d.udp?.dport).toBe(53);
  });

  it('IPv6 with hop-by-hop and destination options before TCP', () => {
    const tcp = '9c40 01bb 00000064 000000c8 5012 ffff 0000 0000';
    const d = decodePacket(hex(ETH('86dd') + IPV6_HDR('00', '0024') + '3c00 0000 0000 0000' + '0600 0000 0000 0000' + tcp), { start: 'mac' });
    expect(d.ipv6).toMatchObject({ src: 'fd00::1', dst: 'fd00::2', hopLimit: 64, nextHeader: 6, flowLabel: 1 });
    expect(d.tcp).toEqual({ sport: 40000, dport: 443, seq: 100, ack: 200, flags: 'SYN,ACK', window: 0xffff });
    expect(formatFlow(flowOf(d)!)).toBe('[fd00::1]:40000 -> [fd00::2]:443 (TCP)');
  });

  it('ICMP and ICMPv6 echo with id and sequence', () => {
    const v4 = decodePacket(hex('4500 001c 0000 0000 4001 0000 0a000001 0a000002 0800 0000 abcd 0007'), { start: 'network', l3Protocol: 0x0800 });
    expect(v4.icmp).toEqual({ type: 8, code: 0, v6: false, typeName: 'echo-request', id: 0xabcd, seq: 7 });
    expect(formatFlow(flowOf(v4)!)).toBe('10.0.0.1 -> 10.0.0.2 (ICMP)');
    const v6 = decodePacket(hex(IPV6_HDR('3a', '0008') + '8100 0000 0001 0002'), { start: 'network', l3Protocol: 0x86dd });
    expect(v6.icmp).toMatchObject({ type: 129, v6: true, typeName: 'echo-reply', id: 1, seq: 2 });
  });

  it('ARP', () => {
    const d = decodePacket(hex(ETH('0806') + '0001 0800 06 04 0001 020000000001 0a000001 000000000000 0a000002'), { start: 'mac' });
    expect(d.arp).toEqual({ op: 1, senderMac: '02:00:00:00:00:01', senderIp: '10.0.0.1', targetMac: '00:00:00:00:00:00', targetIp: '10.0.0.2' });
    expect(flowOf(d)).toBeUndefined();
  });

  it('never throws on short input and says it is truncated', () => {
    const full = hex(ETH('0800') + IPV4_UDP);
    for (let n = 0; n < 14 + 20 + 8; n++) {
      const d = decodePacket(full.subarray(0, n), { start: 'mac' });
      expect(d.truncated).toBe(true);
    }
  });

  it('later IPv4 fragments carry no ports', () => {
    const d = decodePacket(hex('4500 0024 1234 0010 4011 0000 0a000001 0a000002 9c40 0035 0010 0000'), { start: 'network', l3Protocol: 0x0800 });
    expect(d.ipv4?.fragOffset).toBe(128);
    expect(d.udp).toBeUndefined();
  });
});
