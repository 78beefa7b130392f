import { describe, expect, it } from 'vitest';
import { array, bytes, chars, struct } from './struct.ts';

const inner = struct('inner', { a: 'u16', b: 'u8' });
const outer = struct('outer', {
  flag: 'u8',
  big: 'u64',
  small: 's16',
  nested: inner,
  name: chars(5),
  raw: bytes(3),
  slots: array('u32', 3),
  signed: 's32',
});

describe('struct layouts follow C', () => {
  it('places members by their natural alignment, and pads the end to the largest', () => {
    expect(inner.size).toBe(4); // a@0, b@2, padded to 2
    expect(outer.members.map((m) => [m.name, m.offset, m.size])).toEqual([
      ['flag', 0, 1],
      ['big', 8, 8],
      ['small', 16, 2],
      ['nested', 18, 4],
      ['name', 22, 5],
      ['raw', 27, 3],
      ['slots', 32, 12],
      ['signed', 44, 4],
    ]);
    expect(outer.size).toBe(48);
    expect(outer.offsetOf('slots')).toBe(32);
  });

  it('decodes what it encodes, little-endian, strings up to their NUL', () => {
    const b = outer.encode({ flag: 1, big: 2n ** 63n + 5n, small: -2, nested: { a: 0xbeef, b: 7 }, name: 'eth0', raw: Uint8Array.of(9, 8, 7), slots: [1, 2, 3], signed: -5 });
    expect(new DataView(b.buffer).getBigUint64(8, true)).toBe(2n ** 63n + 5n);
    const d = outer.decode(b);
    expect(d).toMatchObject({ flag: 1, big: 2n ** 63n + 5n, small: -2, nested: { a: 0xbeef, b: 7 }, name: 'eth0', slots: [1, 2, 3], signed: -5 });
    expect([...d.raw]).toEqual([9, 8, 7]);
  });

  it('refuses a record of another size, naming the struct', () => {
    expect(() => outer.decode(new Uint8Array(40))).toThrow(/struct outer is 40 bytes, the decoder expects 48/);
  });

  it('leaves members not given at zero', () => {
    expect(outer.encode({}).every((x) => x === 0)).toBe(true);
  });
});
