/**
 * Reassembly as the kernel counts it, per namespace: /proc/net/snmp (`Ip: ReasmReqds ReasmOKs
 * ReasmFails ReasmTimeout`), /proc/net/netstat (`IpExt: ReasmOverlaps`, IPv4 only) and
 * /proc/net/snmp6 (`Ip6Reasm*`), read each interval in each namespace watched instead of counted
 * per fragment in BPF. The kernel counts these for every fragment it reassembles, whatever happens
 * to it: exactly what a BPF program on the receive path would have to count per packet.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { NetnsRef } from '@netstrata/bpf-common';

export interface FamilyCounters {
  /** Fragments received that needed reassembly (ReasmReqds). */
  fragments: number;
  /** Datagrams reassembled (ReasmOKs). */
  reassembled: number;
  /** Reassembly failures (ReasmFails): a datagram timed out or given up, a fragment refused. */
  failed: number;
  /** Datagrams whose reassembly timed out (ReasmTimeout). */
  timeouts: number;
  /** Fragments that overlapped another of their datagram (ReasmOverlaps): IPv4 only, null where the
   * kernel does not export it (IPv6: counted, but in no /proc file). */
  overlaps: number | null;
}

export interface ReasmCounters {
  ipv4: FamilyCounters;
  ipv6: FamilyCounters;
}

/** `Group: names` / `Group: values` line pairs (snmp, netstat) into `Group.Name` → value. */
function pairs(text: string, out: Map<string, number>): void {
  const lines = text.split('\n');
  for (let i = 0; i + 1 < lines.length; i++) {
    const names = lines[i]!.trim().split(/\s+/);
    const values = lines[i + 1]!.trim().split(/\s+/);
    if (!names[0]?.endsWith(':') || names[0] !== values[0] || Number.isNaN(Number(values[1]))) continue;
    const group = names[0].slice(0, -1);
    names.slice(1).forEach((n, j) => out.set(`${group}.${n}`, Number(values[j + 1])));
    i++;
  }
}

/** The three files' text (any may be empty: a kernel without IPv6) as counters (pure). */
export function parseReasm(snmp: string, netstat: string, snmp6: string): ReasmCounters {
  const m = new Map<string, number>();
  pairs(snmp, m);
  pairs(netstat, m);
  for (const line of snmp6.split('\n')) {
    const [name, value] = line.trim().split(/\s+/);
    if (name && value !== undefined) m.set(name, Number(value));
  }
  const v = (k: string) => m.get(k) ?? 0;
  return {
    ipv4: { fragments: v('Ip.ReasmReqds'), reassembled: v('Ip.ReasmOKs'), failed: v('Ip.ReasmFails'), timeouts: v('Ip.ReasmTimeout'), overlaps: m.get('IpExt.ReasmOverlaps') ?? null },
    ipv6: { fragments: v('Ip6ReasmReqds'), reassembled: v('Ip6ReasmOKs'), failed: v('Ip6ReasmFails'), timeouts: v('Ip6ReasmTimeout'), overlaps: null },
  };
}

const FILES = ['snmp', 'netstat', 'snmp6'] as const;
const SEP = '@@netstrata@@';
const SCRIPT = FILES.map((f) => `cat /proc/net/${f} 2>/dev/null`).join(`; echo ${SEP}; `);

const readOr = (path: string) => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
};

/**
 * One namespace's counters: its /proc/net files as a process in it sees them (/proc/PID/net), this
 * process's own, or those of one `sh` entered into a namespace no process is in (ip netns). A
 * namespace gone meanwhile has none.
 */
export function readReasm(ns: NetnsRef): ReasmCounters | undefined {
  const proc = ns.path === '/proc/self/ns/net' ? '/proc/self/net' : /^\/proc\/\d+\/ns\/net$/.test(ns.path) ? ns.path.replace(/ns\/net$/, 'net') : undefined;
  if (proc) {
    const [snmp, netstat, snmp6] = FILES.map((f) => readOr(`${proc}/${f}`));
    return snmp ? parseReasm(snmp, netstat!, snmp6!) : undefined;
  }
  try {
    const out = execFileSync('nsenter', [`--net=${ns.path}`, 'sh', '-c', SCRIPT], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const [snmp = '', netstat = '', snmp6 = ''] = out.split(`${SEP}\n`);
    return snmp ? parseReasm(snmp, netstat, snmp6) : undefined;
  } catch {
    return undefined;
  }
}

const FIELDS = ['fragments', 'reassembled', 'failed', 'timeouts'] as const;

function familyOp(a: FamilyCounters, b: FamilyCounters, sign: 1 | -1): FamilyCounters {
  const overlaps = a.overlaps === null && b.overlaps === null ? null : (a.overlaps ?? 0) + sign * (b.overlaps ?? 0);
  const out = { overlaps } as FamilyCounters;
  for (const f of FIELDS) out[f] = a[f] + sign * b[f];
  return out;
}

/** a + b (sign -1: a − b), family by family; overlaps null only where neither side has them. */
export const addReasm = (a: ReasmCounters, b: ReasmCounters, sign: 1 | -1 = 1): ReasmCounters => ({ ipv4: familyOp(a.ipv4, b.ipv4, sign), ipv6: familyOp(a.ipv6, b.ipv6, sign) });

const zeroFamily = (overlaps: number | null): FamilyCounters => ({ fragments: 0, reassembled: 0, failed: 0, timeouts: 0, overlaps });

/** Nothing counted: IPv4 overlaps 0 only where the kernel counts them. */
export const zeroReasm = (v4Overlaps: boolean): ReasmCounters => ({ ipv4: zeroFamily(v4Overlaps ? 0 : null), ipv6: zeroFamily(null) });

/**
 * The watched namespaces' counters since start and per interval, summed. Each namespace moves from
 * its own reading at start (the baseline); one that appeared later counts from zero (everything it
 * counted happened since start); one gone keeps what it counted until its last reading.
 */
export class ReasmTracker {
  private last = new Map<number, ReasmCounters>();
  private total: ReasmCounters;
  private readonly v4Overlaps: boolean;

  constructor(baseline: ReadonlyMap<number, ReasmCounters>) {
    this.last = new Map(baseline);
    this.v4Overlaps = [...baseline.values()].some((c) => c.ipv4.overlaps !== null);
    this.total = zeroReasm(this.v4Overlaps);
  }

  /** This reading's change since the previous one, and the total since start. */
  update(now: ReadonlyMap<number, ReasmCounters>): { interval: ReasmCounters; total: ReasmCounters } {
    let interval = zeroReasm(this.v4Overlaps);
    for (const [ns, c] of now) {
      const before = this.last.get(ns) ?? zeroReasm(c.ipv4.overlaps !== null);
      interval = addReasm(interval, addReasm(c, before, -1));
      this.last.set(ns, c);
    }
    this.total = addReasm(this.total, interval);
    return { interval, total: this.total };
  }
}
