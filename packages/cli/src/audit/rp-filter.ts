/**
 * Reverse-path filtering: strict mode (rp_filter 1) on an interface where a source can legitimately
 * arrive but the route back to it leaves by another interface. IPv4 only: IPv6 has no rp_filter
 * sysctl (its reverse-path checks are netfilter rules).
 */
import type { Route, RoutingRule } from './facts.ts';
import { rule } from './findings.ts';

/** An IPv4 prefix as a 32-bit network and a length; undefined for anything else. */
export function parseV4Prefix(dst: string): { net: number; len: number } | undefined {
  const [a, l] = dst === 'default' ? ['0.0.0.0', '0'] : dst.split('/');
  const parts = (a ?? '').split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d+$/.test(p) && Number(p) < 256)) return undefined;
  const len = l === undefined ? 32 : Number(l);
  if (!Number.isInteger(len) || len < 0 || len > 32) return undefined;
  const addr = parts.reduce((v, p) => v * 256 + Number(p), 0);
  return { net: len === 0 ? 0 : addr - (addr % 2 ** (32 - len)), len };
}

function contains(p: { net: number; len: number }, addr: number): boolean {
  return p.len === 0 || Math.floor(addr / 2 ** (32 - p.len)) === Math.floor(p.net / 2 ** (32 - p.len));
}

/** The tables a lookup that matches no selector goes through, in order: those of the rules that
 * select every packet (by default local, main, default). Rules with selectors (from, to, iif,
 * fwmark...) describe the forward path of some packets; the reverse-path lookup, made for the
 * packet's source with the local address as its source, is not one of them. */
export function lookupTables(rules: readonly RoutingRule[] | undefined): string[] {
  if (!rules) return ['main', 'default'];
  return rules
    .filter((r) => !r.selective)
    .sort((a, b) => a.priority - b.priority)
    .map((r) => r.table)
    .filter((t) => t !== 'local');
}

/** The route the kernel picks for `addr`: the longest prefix, then the lowest metric, in the first
 * table (in rule order) that has one. */
export function lookup(routes: readonly Route[], tables: readonly string[], addr: number): Route | undefined {
  for (const t of tables) {
    let best: { r: Route; len: number } | undefined;
    for (const r of routes) {
      if (r.table !== t) continue;
      const p = parseV4Prefix(r.dst);
      if (!p || !contains(p, addr)) continue;
      if (!best || p.len > best.len || (p.len === best.len && r.metric < best.r.metric)) best = { r, len: p.len };
    }
    if (best) return best.r;
  }
  return undefined;
}

const dotted = (n: number) => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');

export const rpFilter = rule(
  {
    name: 'rp-filter',
    scope: 'netns',
    title: 'strict reverse-path filtering (rp_filter 1) is not on an interface whose sources are routed back by another interface',
    source: 'Documentation/networking/ip-sysctl.rst (rp_filter: the max of conf/all and conf/DEV applies; loose mode for asymmetric routing, RFC 3704)',
  },
  (facts, c) => {
    const ns = facts.ns;
    const allR = ns.rpFilter.all;
    const all = allR ? c.need(allR) : undefined;
    const devs = Object.keys(ns.rpFilter).filter((k) => k !== 'all' && k !== 'default' && k !== 'lo');
    if (allR === undefined || all === undefined) return;
    const strict: { dev: string; value: number }[] = [];
    for (const dev of devs) {
      const v = c.need(ns.rpFilter[dev]!);
      if (v === undefined) continue;
      c.check(dev);
      // ip-sysctl.rst: the max of conf/{all,interface}/rp_filter is used on the interface.
      if (Math.max(all, v) === 1) strict.push({ dev, value: v });
    }
    if (!strict.length) return;
    const routes = c.need(ns.routes);
    const rules = c.need(ns.rules);
    const drops = c.need(ns.rpFilterDrops);
    const dropEvidence = drops !== undefined ? [{ name: ns.rpFilterDrops.from, value: drops }] : [];
    let asymmetric = 0;
    if (routes) {
      const tables = lookupTables(rules);
      for (const { dev, value } of strict) {
        const pairs: { via: Route; back: Route | undefined }[] = [];
        for (const r of routes) {
          if (r.table === 'local' || r.type !== 'unicast' || !r.devs.includes(dev)) continue;
          const p = parseV4Prefix(r.dst);
          if (!p) continue;
          const back = lookup(routes, tables, p.net);
          if (back && back.devs.includes(dev)) continue;
          pairs.push({ via: r, back });
        }
        if (!pairs.length) continue;
        asymmetric++;
        const sources = pairs.map((p) => p.via.dst);
        const elsewhere = [...new Set(pairs.flatMap((p) => p.back?.devs ?? []))];
        c.find({
          severity: drops ? 'critical' : 'warning',
          subject: dev,
          about: { devices: [dev, ...elsewhere] },
          summary: `strict reverse-path filter on ${dev}, but ${sources.join(', ')} ${sources.length === 1 ? 'is' : 'are'} routed back ${elsewhere.length ? `via ${elsewhere.join(', ')}` : 'by no route the check uses'}${drops ? `; the kernel has dropped ${drops} packets by reverse path` : ''}`,
          why: `With rp_filter 1 the kernel drops a packet that arrives on ${dev} when its best route back to the source leaves by another interface (drop reason IP_RPFILTER, counter IPReversePathFilter). A route to ${sources.join(', ')} via ${dev} says such sources can arrive there: on an asymmetric path every one of their packets is dropped silently.`,
          fix: `sysctl -w net.ipv4.conf.${dev}.rp_filter=2 (loose: the source must be reachable by some interface), or make the routes symmetric`,
          evidence: [
            { name: allR.from, value: all },
            { name: ns.rpFilter[dev]!.from, value },
            ...pairs.flatMap((p) => [
              { name: `route via ${dev}`, value: p.via.text },
              { name: `route back to ${dotted(parseV4Prefix(p.via.dst)!.net)}`, value: p.back?.text ?? 'none' },
            ]),
            ...dropEvidence,
          ],
        });
      }
    }
    if (!asymmetric && drops) {
      c.find({
        severity: 'warning',
        subject: 'IPv4',
        about: { devices: strict.map((s) => s.dev) },
        summary: `the kernel has dropped ${drops} packets by strict reverse-path filter (on ${strict.map((s) => s.dev).join(', ')}), though no route here says why`,
        why: 'Packets arrived on an interface from sources that are routed back by another one (or by none): an asymmetric path outside what the routes show, or spoofed sources.',
        fix: `sysctl -w net.ipv4.conf.<interface>.rp_filter=2 on the interfaces where traffic arrives asymmetrically`,
        evidence: [{ name: allR.from, value: all }, ...strict.map((s) => ({ name: ns.rpFilter[s.dev]!.from, value: s.value })), ...dropEvidence],
      });
    }
  },
);
