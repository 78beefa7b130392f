/** The kernel's own protocol counters, per network namespace: the truth tests hold tools to. */
import type { Netns } from './lab.ts';

/**
 * Counters of a file laid out as /proc/net/snmp and /proc/net/netstat are (a line of names, then a
 * line of values, each led by its group: "Udp: InDatagrams NoPorts ..."), by `Group.Field`, added
 * to `into`.
 */
export function parseNetCounters(text: string, into = new Map<string, number>()): Map<string, number> {
  const lines = text.trim().split('\n');
  for (let i = 0; i + 1 < lines.length; i += 2) {
    const names = lines[i]!.split(/\s+/);
    const values = lines[i + 1]!.split(/\s+/);
    const group = names[0]!.replace(/:$/, '');
    names.slice(1).forEach((n, j) => into.set(`${group}.${n}`, Number(values[j + 1])));
  }
  return into;
}

/** A namespace's counters of /proc/net/snmp and /proc/net/netstat (both per namespace), by
 * `Group.Field`: `Tcp.RetransSegs`, `TcpExt.DelayedACKLost`, `Udp.NoPorts`, `Ip.FragFails`... */
export function netCounters(ns: Netns): Map<string, number> {
  const out = new Map<string, number>();
  for (const file of ['/proc/net/snmp', '/proc/net/netstat']) parseNetCounters(ns.exec('cat', [file]), out);
  return out;
}
