/** CPU sets as the kernel writes them: lists ("0-3,8") and hexadecimal masks ("ff,00000001"). */

/** "0-3,8,10-11" → [0, 1, 2, 3, 8, 10, 11]; an empty string is no CPU. Undefined when malformed. */
export function parseCpuList(text: string): number[] | undefined {
  const t = text.trim();
  if (t === '') return [];
  const out = new Set<number>();
  for (const part of t.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) return undefined;
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo) return undefined;
    for (let c = lo; c <= hi; c++) out.add(c);
  }
  return [...out].sort((a, b) => a - b);
}

/** [0, 1, 2, 3, 8] → "0-3,8". */
export function formatCpuList(cpus: Iterable<number>): string {
  const s = [...new Set(cpus)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < s.length; ) {
    let j = i;
    while (j + 1 < s.length && s[j + 1] === s[j]! + 1) j++;
    parts.push(j === i ? `${s[i]}` : `${s[i]}-${s[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** A mask as in rps_cpus or smp_affinity ("ff,00000001": 32-bit words, most significant first) → CPUs.
 * Undefined when malformed. */
export function parseCpuMask(text: string): number[] | undefined {
  const t = text.trim();
  if (t === '') return [];
  const words = t.split(',');
  if (!words.every((w) => /^[0-9a-fA-F]+$/.test(w))) return undefined;
  const out: number[] = [];
  words.reverse().forEach((w, i) => {
    const v = BigInt(`0x${w}`);
    for (let b = 0; b < 32; b++) if ((v >> BigInt(b)) & 1n) out.push(i * 32 + b);
  });
  return out.sort((a, b) => a - b);
}

/** CPUs → a mask in the kernel's format, for the value a fix writes (rps_cpus, xps_cpus). */
export function formatCpuMask(cpus: Iterable<number>): string {
  const s = [...new Set(cpus)];
  const n = Math.max(1, Math.ceil((Math.max(-1, ...s) + 1) / 32));
  const words = Array.from({ length: n }, () => 0n);
  for (const c of s) words[Math.floor(c / 32)]! |= 1n << BigInt(c % 32);
  return words
    .reverse()
    .map((w, i) => (i === 0 ? w.toString(16) : w.toString(16).padStart(8, '0')))
    .join(',');
}

/** Whether every CPU of `a` is in `b`. */
export function subsetOf(a: readonly number[], b: readonly number[]): boolean {
  const set = new Set(b);
  return a.every((c) => set.has(c));
}
