/**
 * The kernel's BPF programs, links and maps, to prove a tool left nothing behind.
 *
 * A BPF object lives while something references it: a process's file descriptor, a pin, or an
 * attachment that holds it without one (tc, XDP, a link pinned in bpffs). When a tool has exited,
 * an object it made that still exists and that no live process holds is therefore a leak; objects
 * held by live processes belong to whoever else is using BPF on this machine at the same time.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { run } from './exec.ts';

export interface BpfState {
  prog: Set<number>;
  link: Set<number>;
  map: Set<number>;
}

type Kind = keyof BpfState;
const KINDS: readonly Kind[] = ['prog', 'link', 'map'];

function ids(kind: Kind): Set<number> {
  const out = run('bpftool', ['-j', kind, 'show'], { allowFail: true }) || '[]';
  return new Set((JSON.parse(out) as { id: number }[]).map((x) => x.id));
}

export function bpfState(): BpfState {
  return { prog: ids('prog'), link: ids('link'), map: ids('map') };
}

/** Ids of the BPF objects live processes hold descriptors to (fdinfo: prog_id, link_id, map_id). */
export function heldByProcesses(): BpfState {
  const held: BpfState = { prog: new Set(), link: new Set(), map: new Set() };
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fdinfo`);
    } catch {
      continue; // gone, or not ours to read
    }
    for (const fd of fds) {
      let info: string;
      try {
        info = readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8');
      } catch {
        continue;
      }
      // A link's fdinfo names its program too; only the link itself is held by the descriptor.
      const link = /^link_id:\s+(\d+)/m.exec(info);
      if (link) {
        held.link.add(Number(link[1]));
        continue;
      }
      const prog = /^prog_id:\s+(\d+)/m.exec(info);
      if (prog) held.prog.add(Number(prog[1]));
      const map = /^map_id:\s+(\d+)/m.exec(info);
      if (map) held.map.add(Number(map[1]));
    }
  }
  return held;
}

/** Ids present now that were not in `before` and that no live process holds. */
export function bpfAdded(before: BpfState): { prog: number[]; link: number[]; map: number[] } {
  const now = bpfState();
  const held = heldByProcesses();
  // A program held through a link, or a map held through a program, is held too: follow them.
  const reach = reachable(held);
  const added = (k: Kind) => [...now[k]].filter((id) => !before[k].has(id) && !reach[k].has(id));
  return { prog: added('prog'), link: added('link'), map: added('map') };
}

/** What the held objects keep alive: a link's program, a program's maps. */
function reachable(held: BpfState): BpfState {
  const out: BpfState = { prog: new Set(held.prog), link: new Set(held.link), map: new Set(held.map) };
  const links = JSON.parse(run('bpftool', ['-j', 'link', 'show'], { allowFail: true }) || '[]') as { id: number; prog_id?: number }[];
  for (const l of links) if (out.link.has(l.id) && l.prog_id !== undefined) out.prog.add(l.prog_id);
  const progs = JSON.parse(run('bpftool', ['-j', 'prog', 'show'], { allowFail: true }) || '[]') as { id: number; map_ids?: number[] }[];
  for (const p of progs) if (out.prog.has(p.id)) for (const m of p.map_ids ?? []) out.map.add(m);
  return out;
}

/** Waits (the kernel frees objects after an RCU grace period) until nothing new is left unheld. */
export async function waitForNoLeftovers(before: BpfState, ms = 5000): Promise<{ prog: number[]; link: number[]; map: number[] }> {
  const end = Date.now() + ms;
  for (;;) {
    const left = bpfAdded(before);
    if (KINDS.every((k) => !left[k].length)) return left;
    if (Date.now() > end) return left;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Names of the programs loaded since `before` (other processes may load their own meanwhile). */
export function programsAddedSince(before: BpfState): string[] {
  const out = run('bpftool', ['-j', 'prog', 'show'], { allowFail: true }) || '[]';
  return (JSON.parse(out) as { id: number; name?: string }[]).filter((p) => !before.prog.has(p.id)).map((p) => p.name ?? `#${p.id}`);
}
