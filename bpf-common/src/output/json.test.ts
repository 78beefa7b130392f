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
  it('gives the JSON of the chars up to the NUL', () => {
    const c = new CStringJson(8);
    const rec = new TextEncoder().encode('a"b\0zzzz');
    expect(c.at(rec, 0)).toBe(JSON.stringify(cString(rec)));
    expect(c.at(rec, 0)).toBe('"a\\"b"');
  });
});
