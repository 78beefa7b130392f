import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Btf, BTF_KIND } from './btf.ts';

/** A BTF blob built by hand: header, types, strings. */
function blob(): Uint8Array {
  const strings = ['', 'int', 'color', 'RED', 'BLUE', 'pair', 'a', 'b', 'targ_x', '.rodata', 'f', 'big'];
  const offs: Record<string, number> = {};
  let strLen = 0;
  for (const s of strings) {
    offs[s] = strLen;
    strLen += Buffer.byteLength(s) + 1;
  }
  const words: number[] = [];
  const type = (name: string, kind: number, vlen: number, sizeOrType: number, ...extra: number[]) =>
    words.push(offs[name]!, ((kind << 24) | vlen) >>> 0, sizeOrType, ...extra);
  type('int', BTF_KIND.INT, 0, 4, 32); // id 1
  type('color', BTF_KIND.ENUM, 2, 4, offs.RED!, 1, offs.BLUE!, -2 >>> 0); // id 2
  type('pair', BTF_KIND.STRUCT, 2, 8, offs.a!, 1, 0, offs.b!, 1, 32); // id 3
  type('targ_x', BTF_KIND.VAR, 0, 1, 1); // id 4
  type('.rodata', BTF_KIND.DATASEC, 1, 8, 4, 4, 4); // id 5
  type('f', BTF_KIND.FUNC, 0, 0); // id 6
  type('big', BTF_KIND.ENUM64, 1, 8, offs.RED!, 5, 1); // id 7: RED = 2^32 + 5
  const typeBytes = Buffer.alloc(words.length * 4);
  words.forEach((w, i) => typeBytes.writeUInt32LE(w >>> 0, i * 4));
  const strBytes = Buffer.concat(strings.map((s) => Buffer.from(`${s}\0`)));
  const hdr = Buffer.alloc(24);
  hdr.writeUInt16LE(0xeb9f, 0);
  hdr.writeUInt8(1, 2);
  hdr.writeUInt32LE(24, 4);
  hdr.writeUInt32LE(0, 8);
  hdr.writeUInt32LE(typeBytes.length, 12);
  hdr.writeUInt32LE(typeBytes.length, 16);
  hdr.writeUInt32LE(strBytes.length, 20);
  return new Uint8Array(Buffer.concat([hdr, typeBytes, strBytes]));
}

describe('Btf', () => {
  const btf = Btf.parse(blob());

  it('reads enums, signed and 64-bit', () => {
    expect(btf.enumValues('color')).toEqual(new Map([[1, 'RED'], [-2, 'BLUE']]));
    expect(btf.enumValues('big')).toEqual(new Map([[2 ** 32 + 5, 'RED']]));
    expect(btf.enumValues('nope')).toBeUndefined();
    expect(btf.enumNames().sort()).toEqual(['big', 'color']);
  });

  it('reads datasec variables, struct sizes, functions', () => {
    expect(btf.datasecVariables('.rodata')).toEqual([{ name: 'targ_x', offset: 4, size: 4 }]);
    expect(btf.structSize('pair')).toBe(8);
    expect(btf.hasType('pair', 'struct')).toBe(true);
    expect(btf.hasType('pair', 'union')).toBe(false);
    expect(btf.funcNames()).toEqual(new Set(['f']));
  });

  it('refuses what is not BTF', () => {
    expect(() => Btf.parse(new Uint8Array(32))).toThrow(/not BTF/);
  });

  it.runIf(existsSync('/sys/kernel/btf/vmlinux'))('reads the running kernel', () => {
    const k = Btf.vmlinux();
    expect(k.enumValues('skb_drop_reason')!.size).toBeGreaterThan(50);
    expect(k.hasType('sk_buff', 'struct')).toBe(true);
    // NET_RX_SOFTIRQ lives in an anonymous enum: found by enumerator name alone.
    expect(k.enumerator('NET_RX_SOFTIRQ')).toBeTypeOf('number');
    expect(k.enumerator('NO_SUCH_ENUMERATOR_HERE')).toBeUndefined();
    // The whole anonymous enum around an enumerator: the softirq vectors, counted by NR_SOFTIRQS.
    const vecs = k.enumContaining('NR_SOFTIRQS')!;
    expect(vecs.find((m) => m.name === 'NET_RX_SOFTIRQ')!.value).toBe(k.enumerator('NET_RX_SOFTIRQ'));
    expect(vecs.find((m) => m.name === 'NR_SOFTIRQS')!.value).toBe(vecs.length - 1);
    expect(k.enumContaining('NO_SUCH_ENUMERATOR_HERE')).toBeUndefined();
  });
});
