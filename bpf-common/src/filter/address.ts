/** IPv4/IPv6 addresses and prefixes as the BPF side stores them: 16 bytes, IPv4 in the first 4. */
import { isIPv4, isIPv6 } from 'node:net';

export interface Prefix {
  family: 4 | 6;
  bytes: Uint8Array; // 16
  plen: number;
}

export function parseAddress(text: string): { family: 4 | 6; bytes: Uint8Array } | undefined {
  const bytes = new Uint8Array(16);
  if (isIPv4(text)) {
    text.split('.').forEach((p, i) => (bytes[i] = Number(p)));
    return { family: 4, bytes };
  }
  if (!isIPv6(text)) return undefined;
  let s = text;
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  // An embedded IPv4 tail (::ffff:10.0.0.1) becomes two groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    const p = v4[1]!.split('.').map(Number);
    s = s.slice(0, -v4[1]!.length) + `${((p[0]! << 8) | p[1]!).toString(16)}:${((p[2]! << 8) | p[3]!).toString(16)}`;
  }
  const [head, tail] = s.includes('::') ? s.split('::') : [s, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  groups.forEach((g, i) => {
    const v = parseInt(g, 16);
    bytes[i * 2] = v >> 8;
    bytes[i * 2 + 1] = v & 0xff;
  });
  return { family: 6, bytes };
}

/** `10.0.0.0/24`, `fd00::/64`, or a bare address (full length). Undefined when malformed. */
export function parsePrefix(text: string): Prefix | { error: string } {
  const [addr, len, extra] = text.split('/');
  if (extra !== undefined || !addr) return { error: 'is not an IPv4 or IPv6 address or prefix' };
  const a = parseAddress(addr);
  if (!a) return { error: 'is not an IPv4 or IPv6 address' };
  const max = a.family === 4 ? 32 : 128;
  if (len === undefined) return { ...a, plen: max };
  if (!/^\d+$/.test(len)) return { error: `has a malformed prefix length '${len}'` };
  const plen = Number(len);
  if (plen < 1 || plen > max) return { error: `has prefix length ${plen}, IPv${a.family} allows 1-${max}` };
  return { ...a, plen };
}

/** RFC 5952 text of an address stored as 16 bytes (4 for IPv4) at `at` of `bytes`. */
export function formatAddress(bytes: Uint8Array, family: 4 | 6, at = 0): string {
  if (family === 4) return `${bytes[at]}.${bytes[at + 1]}.${bytes[at + 2]}.${bytes[at + 3]}`;
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push((bytes[at + i * 2]! << 8) | bytes[at + i * 2 + 1]!);
  // Longest run of two or more zero groups becomes '::' (the first one on a tie).
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}
