/** The kernel's BPF programs, links and maps, to prove a tool left nothing behind. */
import { run } from './exec.ts';

export interface BpfState {
  prog: Set<number>;
  link: Set<number>;
  map: Set<number>;
}

function ids(kind: 'prog' | 'link' | 'map'): Set<number> {
  const out = run('bpftool', ['-j', kind, 'show'], { allowFail: true }) || '[]';
  return new Set((JSON.parse(out) as { id: number }[]).map((x) => x.id));
}

export function bpfState(): BpfState {
  return { prog: ids('prog'), link: ids('link'), map: ids('map') };
}

/** Ids present now that were not in `before`. */
export function bpfAdded(before: BpfState): { prog: number[]; link: number[]; map: number[] } {
  const now = bpfState();
  const added = (k: keyof BpfState) => [...now[k]].filter((id) => !before[k].has(id));
  return { prog: added('prog'), link: added('link'), map: added('map') };
}

/** Waits (the kernel frees programs after an RCU grace period) until nothing new remains. */
export async function waitForNoLeftovers(before: BpfState, ms = 5000): Promise<{ prog: number[]; link: number[]; map: number[] }> {
  const end = Date.now() + ms;
  for (;;) {
    const left = bpfAdded(before);
    if (!left.prog.length && !left.link.length && !left.map.length) return left;
    if (Date.now() > end) return left;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Names of the programs loaded since `before` (other processes may load their own meanwhile). */
export function programsAddedSince(before: BpfState): string[] {
  const out = run('bpftool', ['-j', 'prog', 'show'], { allowFail: true }) || '[]';
  return (JSON.parse(out) as { id: number; name?: string }[]).filter((p) => !before.prog.has(p.id)).map((p) => p.name ?? `#${p.id}`);
}
