import { describe, expect, it } from 'vitest';
import { decodePacket } from './decode.ts';
import { flowFromHeaders } from './flow.ts';
import { flowJson, headersJson } from './json.ts';

const hex = (s: string) => Uint8Array.from(s.replace(/\s+/g, '').match(/../g)!.map((h) => parseInt(h, 16)));
const ETH = (type: string) => `020000000002 020000000001 ${type}`;
const IPV4_UDP = '4500 0024 1234 4000 4011 0000 0a000001 0a000002 9c40 0035 0010 0000 0102030405060708';
const IPV6 = (next: string, len: string) => `6abcdef1 ${len} ${next} 40 fd000000000000000000000000000001 20010db8000000010000000000000002`;
const TCP = '9c40 01bb 80000064 ffffffff 50ff ffff 0000 0000';

/** Every kind of header the decoder knows, as captured from the MAC or the network header. */
const PACKETS: [string, Uint8Array, { start: 'mac' | 'network'; l3Protocol?: number }][] = [
  ['udp', hex(ETH('0800') + IPV4_UDP), { start: 'mac' }],
  ['qinq', hex(ETH('88a8') + '2064 8100 00c8 0800' + IPV4_UDP), { start: 'mac' }],
  ['ipv6 ext tcp', hex(ETH('86dd') + IPV6('00', '0024') + '3c00 0000 0000 0000' + '0600 0000 0000 0000' + TCP), { start: 'mac' }],
  ['ipv6 later fragment', hex(ETH('86dd') + IPV6('2c', '0010') + '1100 0100 0000 0001' + '9c40 0035 0010 0000'), { start: 'mac' }],
  ['icmp echo', hex('4500 001c 0000 0000 4001 0000 0a000001 0a000002 0800 0000 abcd 0007'), { start: 'network', l3Protocol: 0x0800 }],
  ['icmp unreachable', hex('4500 001c 0000 0000 4001 0000 0a000001 0a000002 0303 0000 0000 0000'), { start: 'network', l3Protocol: 0x0800 }],
  ['icmp unknown type', hex('4500 001c 0000 0000 4001 0000 0a000001 0a000002 2a00 0000 0000 0000'), { start: 'network', l3Protocol: 0x0800 }],
  ['icmpv6 echo', hex(IPV6('3a', '0008') + '8100 0000 0001 0002'), { start: 'network', l3Protocol: 0x86dd }],
  ['arp', hex(ETH('0806') + '0001 0800 06 04 0002 020000000001 0a000001 000000000000 0a000002'), { start: 'mac' }],
  ['gre', hex('4500 0018 0000 2000 402f 0000 0a000001 0a000002 0000 0800'), { start: 'network', l3Protocol: 0x0800 }],
  ['ipv4 later fragment', hex('4500 0024 1234 0010 4011 0000 0a000001 0a000002 9c40 0035 0010 0000'), { start: 'network', l3Protocol: 0x0800 }],
  ['other ethertype', hex(ETH('88cc') + '0000'), { start: 'mac' }],
  ['nothing captured', new Uint8Array(0), { start: 'network', l3Protocol: 0x0800 }],
];

const same = (bytes: Uint8Array, opts: { start: 'mac' | 'network'; l3Protocol?: number; offset?: number; length?: number }) => {
  const d = decodePacket(bytes, opts);
  expect(headersJson(d)).toBe(JSON.stringify(d));
  const flow = flowFromHeaders(d) ?? null;
  expect(flowJson(flow)).toBe(JSON.stringify(flow));
  return d;
};

describe('headersJson and flowJson', () => {
  it('give exactly JSON.stringify of every kind of header, whole and cut at every length', () => {
    for (const [, bytes, opts] of PACKETS) {
      for (let n = 0; n <= bytes.length; n++) same(bytes.subarray(0, n), opts);
    }
  });

  it('give the same for random bytes behind real headers', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
    for (const [, bytes, opts] of PACKETS) {
      for (let k = 0; k < 200; k++) {
        const b = bytes.slice();
        // Keep the ethertype (or the first nibble) so the decoder goes deep; scramble the rest.
        for (let i = opts.start === 'mac' ? 14 : 1; i < b.length; i++) if (rnd() < 64) b[i] = rnd();
        same(b, opts);
      }
    }
  });
});

describe('decodePacket at an offset', () => {
  it('decodes bytes where they lie exactly as a copy of them', () => {
    for (const [, bytes, opts] of PACKETS) {
      const ring = new Uint8Array(bytes.length + 40).fill(0xee);
      ring.set(bytes, 17);
      for (const n of [bytes.length, Math.floor(bytes.length / 2)]) {
        expect(decodePacket(ring, { ...opts, offset: 17, length: n })).toEqual(decodePacket(bytes.slice(0, n), opts));
      }
    }
  });
});
