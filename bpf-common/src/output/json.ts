/**
 * JSON text made by hand for the hot paths of details tools (a million events a second leaves
 * about a microsecond per event, and JSON.stringify of a whole record takes several). Each maker
 * gives exactly what JSON.stringify gives for the same value; tests hold them to it.
 */
import { CStringCache } from '../packet/c-string.ts';

/** Text that needs no escape in JSON: printable ASCII without `"` or `\`. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** A string as JSON, quoted; only strings with characters to escape go through JSON.stringify. */
export function jsonString(s: string): string {
  return PLAIN.test(s) ? `"${s}"` : JSON.stringify(s);
}

/** The JSON string of a NUL-terminated char array in a record (comm, device names), kept for the
 * last few distinct byte strings (see CStringCache). */
export class CStringJson extends CStringCache<string> {
  constructor(size: number, slots = 4) {
    super(size, jsonString, slots);
  }
}
