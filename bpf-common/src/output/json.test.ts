import { describe, expect, it } from 'vitest';
import { cString } from '../packet/c-string.ts';
import { CStringJson, jsonString } from './json.ts';

describe('jsonString', () => {
  it('is JSON.stringify for plain text and for text to escape', () => {
    for (const s of ['', 'node', 'eth0', 'a"b', 'back\\slash', 'tab\there', 'nl\n', '\u0001', 'é', '😀', '\u007f', '\ud800']) {
      expect(jsonString(s)).toBe(JSON.stringify(s));
    }
  });
});

describe('CStringJson', () => {
  it('gives the JSON of the chars up to the NUL, whatever it saw before', () => {
    const c = new CStringJson(16, 2);
    const enc = new TextEncoder();
    const names = ['node', 'ksoftirqd/0', 'node', 'no', 'x"y', 'ééé', '', 'exactly-16-bytes', 'node', 'ksoftirqd/0', 'no'];
    for (const name of names) {
      const rec = new Uint8Array(40).fill(0xaa);
      const bytes = enc.encode(name);
      rec.set(bytes, 9);
      if (bytes.length < 16) rec[9 + bytes.length] = 0;
      expect(c.at(rec, 9)).toBe(JSON.stringify(cString(rec.subarray(9, 25))));
    }
  });
});

