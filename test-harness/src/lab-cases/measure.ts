/** Ground truth the cases read from the kernel: nftables counters and qdisc class statistics. */
import type { Netns } from '../lab.ts';

/** Packets a named nftables counter (`counter NAME {}` in an inet table) has counted. */
export function nftCounter(ns: Netns, table: string, name: string): number {
  const out = JSON.parse(ns.exec('nft', ['-j', 'list', 'counter', 'inet', table, name])) as { nftables: { counter?: { packets: number } }[] };
  const c = out.nftables.find((x) => x.counter)?.counter;
  if (!c) throw new Error(`no counter ${name} in table inet ${table} of ${ns.name}`);
  return c.packets;
}

/** Packets a tc class (e.g. "1:20") on a device has sent (text: iproute2 6.1 prints no JSON for
 * HTB classes). */
export function classSent(ns: Netns, dev: string, classid: string): number {
  const m = new RegExp(`^class \\S+ ${classid} [^\\n]*\\n\\s*Sent \\d+ bytes (\\d+) pkt`, 'm').exec(ns.tc('-s', 'class', 'show', 'dev', dev));
  if (!m) throw new Error(`no class ${classid} on ${dev} in ${ns.name}`);
  return Number(m[1]);
}

/** Fails naming what the lab meant to do when the kernel's count says it did something else. */
export function expectLab(what: string, got: number, want: number): void {
  if (got !== want) throw new Error(`the lab did not do what it meant: ${what}: ${got}, not ${want}`);
}
