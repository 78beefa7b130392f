/**
 * What the kernel counts about each namespace's conntrack table, read once per interval inside the
 * namespace (one `sh` entered into it): the kernel's counters and the table's size (stats.ts), and
 * with --zones its entries by zone from a dump (conntrack(8)). Without --zones nothing lists the
 * table: the reading costs the same whatever its size.
 */
import { execFileSync } from 'node:child_process';
import type { NetnsRef } from '@netstrata/bpf-common';
import { conntrackScript, parseConntrack, zoneEntries, ZONE_DUMP, type ConntrackRow } from './stats.ts';

export interface TableReading {
  row: ConntrackRow;
  /** Entries by zone; undefined when not dumped (without --zones). */
  zones?: Map<number, number>;
}

const SEP = '@@netstrata@@';

/** Whether conntrack(8) is installed (the per-zone entry counts need it). */
export function haveConntrackTool(): boolean {
  try {
    execFileSync('sh', ['-c', 'command -v conntrack'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The script's output as a reading (pure); undefined where the kernel has no conntrack. */
export function parseTable(out: string, netns: number, zones: boolean): TableReading | undefined {
  const [stat = '', count = '', max = '', dump] = out.split(`${SEP}\n`);
  const row = parseConntrack(stat, count, max, netns);
  if (!row) return undefined;
  return zones && dump !== undefined ? { row, zones: zoneEntries(dump) } : { row };
}

/** The script readTable runs in the namespace: the dump only with `zones`. */
export function tableScript(zones: boolean): string {
  return [...conntrackScript(SEP), ...(zones ? [`echo ${SEP}`, ZONE_DUMP] : []), 'true'].join('; ');
}

/** One namespace's table now. Undefined for a namespace gone meanwhile, or without conntrack. */
export function readTable(ns: NetnsRef, zones: boolean): TableReading | undefined {
  const script = tableScript(zones);
  const cmd = ns.path === '/proc/self/ns/net' ? ['sh', '-c', script] : ['nsenter', `--net=${ns.path}`, 'sh', '-c', script];
  let out: string;
  try {
    out = execFileSync(cmd[0]!, cmd.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 30 });
  } catch {
    return undefined;
  }
  return parseTable(out, ns.inode, zones);
}
