/**
 * JSON text made by hand for the hot paths of details tools (a million events a second leaves
 * about a microsecond per event, and JSON.stringify of a whole record takes several). Each maker
 * gives exactly what JSON.stringify gives for the same value; tests hold them to it.
 */
import { cString } from '../packet/c-string.ts';

/** Text that needs no escape in JSON: printable ASCII without `"` or `\`. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** A string as JSON, quoted; only strings with characters to escape go through JSON.stringify. */
export function jsonString(s: string): string {
  return PLAIN.test(s) ? `"${s}"` : JSON.stringify(s);
}

/**
 * The JSON string of a NUL-terminated char array in a record (comm, device names), kept for the
 * last few distinct byte strings: such fields repeat from event to event, and comparing up to 16
 * bytes costs less than making and escaping a string.
 */
export class CStringJson {
  private readonly keys: Uint8Array[];
  private readonly lens: number[];
  private readonly texts: string[];
  private next = 0;

  constructor(
    /** The array's size in the record. */
    private readonly size: number,
    slots = 4,
  ) {
    this.keys = Array.from({ length: slots }, () => new Uint8Array(size));
    this.lens = Array.from({ length: slots }, () => -1);
    this.texts = Array.from({ length: slots }, () => '');
  }

  /** The JSON string of the chars at `at` of `bytes`. */
  at(bytes: Uint8Array, at: number): string {
    let len = 0;
    while (len < this.size && bytes[at + len] !== 0) len++;
    for (let s = 0; s < this.keys.length; s++) {
      if (this.lens[s] !== len) continue;
      const k = this.keys[s]!;
      let i = 0;
      while (i < len && k[i] === bytes[at + i]) i++;
      if (i === len) return this.texts[s]!;
    }
    const s = this.next;
    this.next = (s + 1) % this.keys.length;
    this.keys[s]!.set(bytes.subarray(at, at + len));
    this.lens[s] = len;
    this.texts[s] = jsonString(cString(bytes.subarray(at, at + len)));
    return this.texts[s]!;
  }
}
