import { describe, expect, it } from 'vitest';
import { formatAddress, parseAddress, parsePrefix } from './address.ts';

describe('addresses', () => {
  it('parses and prints IPv6 per RFC 5952, round trip', () => {
    for (const [text, canon] of [
      ['fd00::1', 'fd00::1'],
      ['FD00:0:0:0:0:0:0:1', 'fd00::1'],
      ['::', '::'],
      ['::1', '::1'],
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
      ['fe80::1:2:3:4', 'fe80::1:2:3:4'],
      ['::ffff:10.0.0.1', '::ffff:a00:1'],
      ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
    ]) {
      const a = parseAddress(text!)!;
      expect(a.family).toBe(6);
      expect(formatAddress(a.bytes, 6)).toBe(canon);
    }
  });

  it('stores IPv4 in the first four bytes', () => {
    const a = parseAddress('10.1.2.3')!;
    expect([...a.bytes.slice(0, 5)]).toEqual([10, 1, 2, 3, 0]);
    expect(formatAddress(a.bytes, 4)).toBe('10.1.2.3');
  });

  it('parses prefixes and rejects what is not one', () => {
    expect(parsePrefix('10.0.0.0/8')).toMatchObject({ family: 4, plen: 8 });
    expect(parsePrefix('fd00::/64')).toMatchObject({ family: 6, plen: 64 });
    expect(parsePrefix('10.0.0.1')).toMatchObject({ plen: 32 });
    expect(parsePrefix('10.0.0.300')).toEqual({ error: 'is not an IPv4 or IPv6 address' });
    expect(parsePrefix('10.0.0.0/33')).toEqual({ error: 'has prefix length 33, IPv4 allows 1-32' });
    expect(parsePrefix('fd00::/0')).toEqual({ error: 'has prefix length 0, IPv6 allows 1-128' });
    expect(parsePrefix('10.0.0.0/x')).toEqual({ error: "has a malformed prefix length 'x'" });
    expect(parsePrefix('1.2.3.4/8/9')).toHaveProperty('error');
  });
});
