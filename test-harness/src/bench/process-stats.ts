/**
 * What a running tool costs in memory: its resident set (from /proc) and the BPF maps it holds
 * (every map a libbpf object uses stays open as a descriptor of the process: fdinfo's map_id).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { run } from '../exec.ts';

export interface ProcessMemory {
  /** Resident set now, KiB (VmRSS). A BPF ring buffer counts twice: its data pages are mapped twice. */
  rssKb: number;
  /** Peak resident set since start, KiB (VmHWM). */
  hwmKb: number;
}

export function processMemory(pid: number): ProcessMemory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssKb: kb('VmRSS'), hwmKb: kb('VmHWM') };
}

export interface MapStats {
  id: number;
  name: string;
  type: string;
  maxEntries: number;
  /** Kernel memory charged for the map (bpftool's bytes_memlock). */
  bytes: number;
  /** Keys present now, for maps that have keys of their own (hash kinds, stack traces); else null. */
  entries: number | null;
}

/** Map kinds whose occupancy means something (arrays are always full; rings have no keys). */
const KEYED = /hash|stack_trace/;

/** Ids of the BPF maps a process holds descriptors to. */
export function heldMapIds(pid: number): number[] {
  const ids = new Set<number>();
  for (const fd of readdirSync(`/proc/${pid}/fdinfo`)) {
    let info: string;
    try {
      info = readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8');
    } catch {
      continue;
    }
    const m = /^map_id:\s+(\d+)/m.exec(info);
    if (m && !/^link_id:/m.test(info)) ids.add(Number(m[1]));
  }
  return [...ids].sort((a, b) => a - b);
}

interface BpftoolMap {
  id: number;
  name?: string;
  type: string;
  max_entries: number;
  bytes_memlock?: number;
}

/** The maps a process holds, with their size and, for keyed maps, how many keys they hold now. */
export function heldMaps(pid: number, opts: { countEntries?: boolean } = {}): MapStats[] {
  const ids = new Set(heldMapIds(pid));
  if (!ids.size) return [];
  const all = JSON.parse(run('bpftool', ['-j', 'map', 'show'], { allowFail: true }) || '[]') as BpftoolMap[];
  return all
    .filter((m) => ids.has(m.id))
    .map((m) => ({
      id: m.id,
      name: m.name ?? `#${m.id}`,
      type: m.type,
      maxEntries: m.max_entries,
      bytes: m.bytes_memlock ?? 0,
      entries: opts.countEntries && KEYED.test(m.type) ? countEntries(m.id) : null,
    }));
}

/** Keys in a map, by walking it (bpftool -j dumps an array of its entries). */
function countEntries(id: number): number | null {
  // A full 64k-entry map dumps tens of MB of JSON: let it all through.
  const r = spawnSync('bpftool', ['-j', 'map', 'dump', 'id', String(id)], { encoding: 'utf8', maxBuffer: 1 << 30 });
  try {
    const entries = JSON.parse(r.stdout) as unknown[];
    return Array.isArray(entries) ? entries.length : null;
  } catch {
    return null;
  }
}
