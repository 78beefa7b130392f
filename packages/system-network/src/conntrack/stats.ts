/**
 * Connection tracking per network namespace, from the kernel's own statistics: the table's size
 * (nf_conntrack_count, nf_conntrack_max) and the per-CPU counters of /proc/net/stat/nf_conntrack,
 * summed over CPUs; and, for conntrack_summary --zones, the table's entries by zone (a dump). Read
 * inside each namespace, once per interval, by system_network_metrics_summary and conntrack_summary.
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
 * The shell commands that print what parseConntrack reads, `sep` between them: run inside the
 * namespace (the sysctls and /proc/net are the namespace's own). Nothing is printed where the
 * kernel has no conntrack.
 */
export function conntrackScript(sep: string): string[] {
  return [
    'cat /proc/net/stat/nf_conntrack 2>/dev/null',
    `echo ${sep}`,
    'cat /proc/sys/net/netfilter/nf_conntrack_count 2>/dev/null',
    `echo ${sep}`,
    'cat /proc/sys/net/netfilter/nf_conntrack_max 2>/dev/null',
  ];
}

/**
 * /proc/net/stat/nf_conntrack (a header, then one line of hex counters per CPU) as each column's
 * sum over CPUs, by the header's names (pure). The columns differ between kernels: whatever the
 * header names is there. Undefined when there is nothing to read.
 */
export function sumStatColumns(stat: string): Map<string, number> | undefined {
  const lines = stat.trim().split('\n').filter(Boolean);
  if (lines.length < 2) return undefined;
  const header = lines[0]!.trim().split(/\s+/);
  const sums = new Array<number>(header.length).fill(0);
  for (const l of lines.slice(1)) l.trim().split(/\s+/).forEach((v, i) => (sums[i] = (sums[i] ?? 0) + parseInt(v, 16)));
  const out = new Map<string, number>();
  // Each CPU's line repeats the namespace's entry count: the first line's is the count.
  header.forEach((h, i) => out.set(h, h === 'entries' ? parseInt(lines[1]!.trim().split(/\s+/)[i]!, 16) : sums[i]!));
  return out;
}

/**
 * /proc/net/stat/nf_conntrack and the two sysctls as one row (pure). Undefined when conntrack is
 * not there to read.
 */
export function parseConntrack(stat: string, count: string, max: string, netns: number): ConntrackRow | undefined {
  const cols = sumStatColumns(stat);
  if (!cols) return undefined;
  const row = { netns, entries: 0, max: null } as ConntrackRow;
  for (const k of CONNTRACK_COUNTERS) row[k] = cols.get(CONNTRACK_COLUMNS[k]) ?? null;
  // The sysctl says the count once; the statistics repeat it per CPU.
  const n = Number(count.trim());
  row.entries = count.trim() && Number.isFinite(n) ? n : (cols.get('entries') ?? 0);
  const m = Number(max.trim());
  row.max = max.trim() && Number.isFinite(m) ? m : null;
  return row;
}

export const conntrackId = (r: ConntrackRow) => String(r.netns);
/** Conntrack is in use in a namespace when its table holds entries or its counters have moved
 * since the namespace was created (a raw reading): a namespace where nothing was ever tracked is
 * no row (a kernel with conntrack keeps zeros for every namespace). */
export const conntrackShown = (r: ConntrackRow) => r.entries > 0 || CONNTRACK_COUNTERS.some((c) => (r[c] ?? 0) > 0);

/** Dumps a namespace's table, both families (conntrack(8) lists IPv4 only unless asked), and
 * counts its entries by zone in the namespace's shell: one `ZONE COUNT` line per zone, whatever the
 * table's size. An entry in a zone other than the default one is listed with `zone=N` (or
 * `zone-orig=N` / `zone-reply=N` for a zone of one direction: counted by the original direction's);
 * the others are zone 0. */
export const ZONE_DUMP =
  "{ conntrack -L -f ipv4; conntrack -L -f ipv6; } 2>/dev/null | " +
  `awk '{ z = 0; for (i = 1; i <= NF; i++) if ($i ~ /^zone(-orig)?=/) { split($i, a, "="); z = a[2] } n[z]++ } END { for (z in n) print z, n[z] }'`;

/** ZONE_DUMP's output: entries by zone (pure). */
export function zoneEntries(out: string): Map<number, number> {
  const zones = new Map<number, number>();
  for (const line of out.split('\n')) {
    const m = /^(\d+) (\d+)$/.exec(line.trim());
    if (m) zones.set(Number(m[1]), Number(m[2]));
  }
  return zones;
}
