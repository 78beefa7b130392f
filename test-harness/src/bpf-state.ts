/**
 * The kernel's BPF programs, links and maps, to prove a tool left nothing behind.
 *
 * A BPF object lives while something references it: a process's file descriptor, a pin, or an
 * attachment that holds it without one (tc, XDP, a link pinned in bpffs). When a tool has exited,
 * an object it made that still exists and that no live process holds is therefore a leak; objects
 * held by live processes belong to whoever else is using BPF on this machine at the same time.
 */
import { execFileSync } from 'node:child_process';
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

/** The fdinfo text of each of a process's descriptors (none if it is gone or not ours to read). */
function* fdinfos(pid: number | string): Generator<string> {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fdinfo`);
  } catch {
    return;
  }
  for (const fd of fds) {
    try {
      yield readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8');
    } catch {
      // closed meanwhile
    }
  }
}

/** BPF objects a process holds descriptors to (fdinfo: link_id, prog_id, map_id); a link's program
 * counts as held (the link keeps it alive). */
export function heldBy(pid: number | string, into: BpfState = { prog: new Set(), link: new Set(), map: new Set() }): BpfState {
  for (const info of fdinfos(pid)) {
    const link = /^link_id:\s+(\d+)/m.exec(info);
    if (link) into.link.add(Number(link[1]));
    const prog = /^prog_id:\s+(\d+)/m.exec(info);
    if (prog) into.prog.add(Number(prog[1]));
    const map = /^map_id:\s+(\d+)/m.exec(info);
    if (map && !link) into.map.add(Number(map[1]));
  }
  return into;
}

/** Ids of the BPF objects live processes hold descriptors to. */
export function heldByProcesses(): BpfState {
  const held: BpfState = { prog: new Set(), link: new Set(), map: new Set() };
  for (const pid of readdirSync('/proc')) if (/^\d+$/.test(pid)) heldBy(pid, held);
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

export interface HeldMap {
  id: number;
  name: string;
  type: number;
  maxEntries: number;
}

/** The BPF maps a process holds descriptors to, with their configured sizes (fdinfo). */
export function mapsHeldBy(pid: number): HeldMap[] {
  const ids = new Map<number, { type: number; maxEntries: number }>();
  for (const info of fdinfos(pid)) {
    const id = /^map_id:\s+(\d+)/m.exec(info);
    if (!id || /^link_id:/m.test(info)) continue;
    ids.set(Number(id[1]), { type: Number(/^map_type:\s+(\d+)/m.exec(info)?.[1]), maxEntries: Number(/^max_entries:\s+(\d+)/m.exec(info)?.[1]) });
  }
  const shown = JSON.parse(run('bpftool', ['-j', 'map', 'show'], { allowFail: true }) || '[]') as { id: number; name?: string }[];
  const names = new Map(shown.map((m) => [m.id, m.name ?? '']));
  return [...ids].map(([id, m]) => ({ id, name: names.get(id) ?? '', ...m }));
}

/**
 * Keys a hash-like map holds now (bpftool dumps them all: megabytes for a full map). Distinct keys:
 * a walk of a map that changes meanwhile restarts from its first key whenever the key it stands on
 * is deleted or evicted, and would count keys twice.
 */
export function mapEntries(id: number): number {
  const out = execFileSync('bpftool', ['-j', 'map', 'dump', 'id', String(id)], { encoding: 'utf8', maxBuffer: 1 << 30 });
  return new Set((JSON.parse(out) as { key?: unknown }[]).map((e) => JSON.stringify(e.key ?? e))).size;
}
