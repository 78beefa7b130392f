/** NUL-terminated strings from kernel records (comm, device names): the bytes up to the first NUL. */
const utf8 = new TextDecoder();

export function cString(bytes: Uint8Array): string {
  let end = 0;
  let ascii = true;
  while (end < bytes.length && bytes[end] !== 0) {
    if (bytes[end]! >= 0x80) ascii = false;
    end++;
  }
  // comm and device names are short and nearly always ASCII: building the string here is several
  // times cheaper than a call into TextDecoder, which matters once per event at a million a second.
  if (ascii) return String.fromCharCode.apply(null, bytes.subarray(0, end) as unknown as number[]);
  return utf8.decode(bytes.subarray(0, end));
}

/**
 * cString of a char array of a record (comm, device names), kept for the last few distinct byte
 * strings, as `make` turns them (the text, or its JSON): such fields repeat from event to event,
 * and comparing up to 16 bytes costs less than making the string.
 */
export class CStringCache<T = string> {
  private readonly keys: Uint8Array[];
  private readonly lens: number[];
  private readonly values: T[];
  private next = 0;

  constructor(
    /** The array's size in the record. */
    private readonly size: number,
    private readonly make: (s: string) => T = (s) => s as T,
    slots = 4,
  ) {
    this.keys = Array.from({ length: slots }, () => new Uint8Array(size));
    this.lens = Array.from({ length: slots }, () => -1);
    this.values = new Array<T>(slots);
  }

  /** The value of the chars at `at` of `bytes`. */
  at(bytes: Uint8Array, at: number): T {
    const size = this.size;
    let len = 0;
    while (len < size && bytes[at + len] !== 0) len++;
    const keys = this.keys;
    for (let s = 0; s < keys.length; s++) {
      if (this.lens[s] !== len) continue;
      const k = keys[s]!;
      let i = 0;
      while (i < len && k[i] === bytes[at + i]) i++;
      if (i === len) return this.values[s]!;
    }
    const s = this.next;
    this.next = (s + 1) % keys.length;
    const chars = bytes.subarray(at, at + len);
    keys[s]!.set(chars);
    this.lens[s] = len;
    return (this.values[s] = this.make(cString(chars)));
  }
}
