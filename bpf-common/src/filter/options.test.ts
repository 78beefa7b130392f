import { describe, expect, it } from 'vitest';
import { UsageError } from '../cli/errors.ts';
import { statSync } from 'node:fs';
import { currentNetns, encodeFilter, filterSchema, netnsInodeExists, networkNamespaces, resolveFilter, FILTER_SIZE } from './options.ts';

const parse = (o: Record<string, unknown>) => filterSchema.safeParse(o);
const firstError = (o: Record<string, unknown>) => {
  const r = parse(o);
  return r.success ? undefined : r.error.issues[0]!.message;
};

describe('filter options', () => {
  it('names the option and the value in every message', () => {
    expect(firstError({ srcIp: '10.0.0.300' })).toBe("--src-ip: '10.0.0.300' is not an IPv4 or IPv6 address");
    expect(firstError({ dstPort: 70000 })).toBe("--dst-port: '70000' must be at most 65535");
    expect(firstError({ port: 1.5 })).toBe("--port: '1.5' is not a whole number");
    expect(firstError({ protocol: 'sctp' })).toBe("--protocol: 'sctp' is not one of tcp, udp, icmp");
    expect(firstError({ interface: 'a/b' })).toBe('--interface: not a valid device name');
  });

  it('rejects mixed families and ports with ICMP', () => {
    expect(() => resolveFilter(parse({ srcIp: '10.0.0.1', dstIp: 'fd00::1' }).data!)).toThrow(UsageError);
    expect(() => resolveFilter(parse({ protocol: 'icmp', port: 53 }).data!)).toThrow(/ICMP has no ports/);
  });

  it('encodes struct nst_filter byte for byte', () => {
    const f = parse({ srcIp: 'fd00::1/64', ip: 'fd00::/16', srcPort: 0x1234, dstPort: 53, port: 7, protocol: 'udp' }).data!;
    const b = encodeFilter({ options: f, family: 6, ifindex: 0x01020304, netns: 0xf0000001 });
    const v = new DataView(b.buffer);
    expect(b.byteLength).toBe(FILTER_SIZE);
    expect([b[0], b[1], b[15]]).toEqual([0xfd, 0x00, 0x01]);
    expect(b[32]).toBe(0xfd); // addr (either direction)
    expect([b[48], b[49], b[50], b[51], b[52]]).toEqual([10, 64, 0, 16, 17]);
    expect([v.getUint16(56, true), v.getUint16(58, true), v.getUint16(60, true)]).toEqual([0x1234, 53, 7]);
    expect(v.getUint32(64, true)).toBe(0x01020304);
    expect(v.getUint32(68, true)).toBe(0xf0000001);
    expect(encodeFilter(resolveFilter(parse({}).data!)).every((x) => x === 0)).toBe(true);
  });

  it('an interface filter also pins the namespace it was found in', () => {
    const r = resolveFilter(parse({ interface: 'lo' }).data!);
    expect(r.ifindex).toBe(1);
    expect(r.netns).toBeGreaterThan(0);
    expect(() => resolveFilter(parse({ interface: 'nosuch0' }).data!)).toThrow("--interface: no device 'nosuch0' in this network namespace");
    expect(() => resolveFilter(parse({ netns: 'nosuch-ns' }).data!)).toThrow(/--netns: no network namespace 'nosuch-ns'/);
  });
});

describe('--netns by inode', () => {
  it('knows the namespace this process is in, and refuses an inode no namespace has', () => {
    expect(netnsInodeExists(statSync('/proc/self/ns/net').ino)).toBe(true);
    expect(netnsInodeExists(123456789)).toBe(false);
    expect(() => resolveFilter({ netns: '123456789' })).toThrow(new UsageError('--netns: no network namespace has inode 123456789'));
  });
});

describe('networkNamespaces', () => {
  it('lists this namespace once, with a path that enters it', () => {
    const all = networkNamespaces();
    const self = all.filter((n) => n.inode === currentNetns());
    expect(self).toEqual([{ inode: currentNetns(), path: '/proc/self/ns/net' }]);
    expect(new Set(all.map((n) => n.inode)).size).toBe(all.length);
  });
});
