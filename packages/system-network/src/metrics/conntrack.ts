/**
 * Connection tracking per network namespace, from the kernel's own statistics: the table's size
 * (nf_conntrack_count, nf_conntrack_max) and the per-CPU counters of /proc/net/stat/nf_conntrack,
 * summed over CPUs. Read inside each namespace, once per interval.
 */

/** JSON key → the column header the kernel prints (older kernels lack some: those stay null). */
export const CONNTRACK_COLUMNS = {
  searched: 'searched',
  found: 'found',
  invalid: 'invalid',
  insert: 'insert',
  insert_failed: 'insert_failed',
  drop: 'drop',
  early_drop: 'early_drop',
  icmp_error: 'icmp_error',
  clash_resolve: 'clashres',
  chain_too_long: 'chainlength',
  search_restart: 'search_restart',
} as const;
export type ConntrackCounter = keyof typeof CONNTRACK_COLUMNS;
export const CONNTRACK_COUNTERS = Object.keys(CONNTRACK_COLUMNS) as ConntrackCounter[];

export interface ConntrackRow extends Record<ConntrackCounter, number | null> {
  netns: number;
  /** Connections in this namespace's table now (nf_conntrack_count). */
  entries: number;
  /** The table's limit (nf_conntrack_max), null where the namespace cannot read it. */
  max: number | null;
}

/**
 * /proc/net/stat/nf_conntrack (a header, then one line of hex counters per CPU) and the two
 * sysctls, as one row (pure). Undefined when conntrack is not there to read.
 */
export function parseConntrack(stat: string, count: string, max: string, netns: number): ConntrackRow | undefined {
  const lines = stat.trim().split('\n').filter(Boolean);
  if (lines.length < 2) return undefined;
  const header = lines[0]!.trim().split(/\s+/);
  const sums = new Array<number>(header.length).fill(0);
  for (const l of lines.slice(1)) l.trim().split(/\s+/).forEach((v, i) => (sums[i] = (sums[i] ?? 0) + parseInt(v, 16)));
  const col = (name: string) => (header.indexOf(name) >= 0 ? sums[header.indexOf(name)]! : null);
  const row = { netns, entries: 0, max: null } as ConntrackRow;
  for (const k of CONNTRACK_COUNTERS) row[k] = col(CONNTRACK_COLUMNS[k]);
  // Each CPU's line repeats the namespace's entry count; the sysctl says it once.
  const n = Number(count.trim());
  row.entries = count.trim() && Number.isFinite(n) ? n : header.indexOf('entries') >= 0 ? parseInt(lines[1]!.trim().split(/\s+/)[header.indexOf('entries')]!, 16) : 0;
  const m = Number(max.trim());
  row.max = max.trim() && Number.isFinite(m) ? m : null;
  return row;
}

export const conntrackId = (r: ConntrackRow) => String(r.netns);
/** Conntrack is in use in a namespace when its table holds entries or its counters have moved
 * since the namespace was created (a raw reading): a namespace where nothing was ever tracked is
 * no row (a kernel with conntrack keeps zeros for every namespace). */
export const conntrackShown = (r: ConntrackRow) => r.entries > 0 || CONNTRACK_COUNTERS.some((c) => (r[c] ?? 0) > 0);
