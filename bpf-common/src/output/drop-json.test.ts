import { describe, expect, it } from 'vitest';
import { DropJsonText } from './drop-json.ts';
import type { KernelLocation } from './render.ts';

const SYMBOLS = new Map<bigint, KernelLocation>([
  [0xffffffff8209ec6cn, { symbol: '__udp4_lib_rcv', offset: 0x4bc }],
  [0xffffffff81000010n, { symbol: 'we"ird', offset: 16 }],
  [0x00000001_81000010n, { symbol: 'same_low_half', offset: 1 }],
]);
const reasonName = (c: number) => ({ 2: 'NOT_SPECIFIED', 3: 'NO_SOCKET', 9: 'tab\there' })[c] ?? `UNKNOWN_${c}`;

function counted() {
  const calls = { reason: 0, location: 0 };
  const text = new DropJsonText(
    (c) => (calls.reason++, reasonName(c)),
    (a) => (calls.location++, SYMBOLS.get(a)),
  );
  return { text, calls };
}

/** The line piece from `"device"` to `len` as the record path writes it with JSON.stringify. */
function expected(code: number, addr: bigint, len: number): string {
  const loc = SYMBOLS.get(addr);
  const s = JSON.stringify({ device: 'eth0', reason: reasonName(code), reason_code: code, location: { symbol: loc?.symbol ?? '?', offset: loc?.offset ?? 0, address: `0x${addr.toString(16)}` }, len });
  return s.slice(1, -1);
}

const halves = (a: bigint): [number, number] => [Number(a & 0xffffffffn), Number(a >> 32n)];

describe('DropJsonText', () => {
  const ADDRS = [0xffffffff8209ec6cn, 0xffffffff81000010n, 0x00000001_81000010n, 0x1234n, 0n, 0x00000001_ffffffffn, 0xffffffff_00000000n];

  it('joins into exactly the JSON of reason, reason_code, location and len; unresolved as ? at 0', () => {
    const { text } = counted();
    for (let round = 0; round < 2; round++)
      for (const code of [2, 3, 9, 77, 0, 4294967295])
        for (const addr of ADDRS) expect(`"device":"eth0"${text.reason(code)}${text.location(...halves(addr))}1500`).toBe(expected(code, addr, 1500));
  });

  it('resolves each code and address once', () => {
    const { text, calls } = counted();
    // One address for each low half.
    const distinct = ADDRS.filter((a) => a !== 0x00000001_81000010n && a !== 0xffffffff_00000000n);
    for (let round = 0; round < 3; round++) {
      for (const addr of distinct) text.location(...halves(addr));
      text.reason(3);
      text.reason(2);
    }
    expect(calls).toEqual({ reason: 2, location: distinct.length });
  });

  it('keeps apart addresses that share a low half', () => {
    const { text } = counted();
    for (let round = 0; round < 2; round++) {
      expect(text.location(...halves(0xffffffff81000010n))).toBe('{"symbol":"we\\"ird","offset":16,"address":"0xffffffff81000010"},"len":');
      expect(text.location(...halves(0x00000001_81000010n))).toBe('{"symbol":"same_low_half","offset":1,"address":"0x181000010"},"len":');
    }
  });

  it('stays exact past the number of locations it keeps', () => {
    const { text } = counted();
    for (let i = 0; i < 10_000; i++) {
      const addr = 0xffffffff81000000n + BigInt(i);
      expect(`"device":"eth0"${text.reason(2)}${text.location(...halves(addr))}64`).toBe(expected(2, addr, 64));
    }
    expect(text.location(...halves(0xffffffff8209ec6cn))).toBe('{"symbol":"__udp4_lib_rcv","offset":1212,"address":"0xffffffff8209ec6c"},"len":');
  });
});
