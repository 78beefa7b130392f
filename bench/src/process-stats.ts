/**
 * What a running tool costs in memory: its resident set (from /proc) and the BPF maps it holds
 * (every map a libbpf object uses stays open as a descriptor of the process).
 */
import { readFileSync } from 'node:fs';
import { heldBy, mapEntries, run } from '@netstrata/test-harness';

export interface ProcessMemory {
  /** Resident set now, KiB (VmRSS). A BPF ring buffer counts twice: its data pages are mapped twice. */
  rssKb: number;
  /** Peak resident set since start, KiB (VmHWM). */
  hwmKb: number;
  /** Anonymous pages (heaps, rings) and file or shared pages (the node binary, libraries), KiB. */
  anonKb: number;
  fileKb: number;
}

export function processMemory(pid: number): ProcessMemory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssKb: kb('VmRSS'), hwmKb: kb('VmHWM'), anonKb: kb('RssAnon'), fileKb: kb('RssFile') + kb('RssShmem') };
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

interface BpftoolMap {
  id: number;
  name?: string;
  type: string;
  max_entries: number;
  bytes_memlock?: number;
}

/** The maps a process holds, with their size and, for keyed maps, how many keys they hold now. */
export function heldMaps(pid: number, opts: { countEntries?: boolean } = {}): MapStats[] {
  const ids = heldBy(pid).map;
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

/** mapEntries, or null when the map went away meanwhile (its tool exited). */
function countEntries(id: number): number | null {
  try {
    return mapEntries(id);
  } catch {
    return null;
  }
}
