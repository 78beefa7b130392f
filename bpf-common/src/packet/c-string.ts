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
