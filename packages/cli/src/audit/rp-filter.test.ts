import { describe, expect, it } from 'vitest';
import { got, unread, type Route } from './facts.ts';
import { facts } from './fixture.ts';
import { lookup, lookupTables, parseV4Prefix, rpFilter } from './rp-filter.ts';

const route = (dst: string, devs: string[], o: Partial<Route> = {}): Route => ({ dst, devs, table: 'main', type: 'unicast', metric: 0, text: `${dst} dev ${devs.join(',')}`, ...o });

// r: ra towards 10.1.1.0/24, rb towards 10.1.2.0/24; 10.1.9.0/24 routed via rb, with a backup via ra.
const ROUTES = [
  route('10.1.1.0/24', ['ra']),
  route('10.1.2.0/24', ['rb']),
  route('10.1.9.0/24', ['rb'], { text: '10.1.9.0/24 via 10.1.2.1 dev rb' }),
  route('10.1.9.0/24', ['ra'], { metric: 200, text: '10.1.9.0/24 via 10.1.1.1 dev ra metric 200' }),
  route('10.1.1.254', ['ra'], { table: 'local', type: 'local' }),
];

describe('route lookup', () => {
  it('parses prefixes', () => {
    expect(parseV4Prefix('10.1.9.0/24')).toEqual({ net: 0x0a010900, len: 24 });
    expect(parseV4Prefix('10.1.9.7/24')).toEqual({ net: 0x0a010900, len: 24 });
    expect(parseV4Prefix('10.1.1.254')).toEqual({ net: 0x0a0101fe, len: 32 });
    expect(parseV4Prefix('0.0.0.0/0')).toEqual({ net: 0, len: 0 });
    expect(parseV4Prefix('fd00::/64')).toBeUndefined();
  });

  it('picks the longest prefix, then the lowest metric, in rule order', () => {
    expect(lookup(ROUTES, ['main'], 0x0a010905)?.devs).toEqual(['rb']);
    const withDefault = [...ROUTES, route('0.0.0.0/0', ['ra'], { metric: 100 }), route('0.0.0.0/0', ['rb'], { metric: 50 })];
    expect(lookup(withDefault, ['main'], 0x08080808)?.devs).toEqual(['rb']);
    expect(lookup(ROUTES, ['main'], 0x08080808)).toBeUndefined();
    expect(lookupTables(undefined)).toEqual(['main', 'default']);
    expect(lookupTables([{ priority: 100, table: '100', selective: true, text: '' }, { priority: 50, table: 'main', selective: false, text: '' }, { priority: 0, table: 'local', selective: false, text: '' }])).toEqual(['main']);
  });
});

describe('rp-filter', () => {
  const sysctls = (all: number, ra: number, rb: number) => ({
    all: got('net.ipv4.conf.all.rp_filter', all),
    default: got('net.ipv4.conf.default.rp_filter', 0),
    lo: got('net.ipv4.conf.lo.rp_filter', 1),
    ra: got('net.ipv4.conf.ra.rp_filter', ra),
    rb: got('net.ipv4.conf.rb.rp_filter', rb),
  });

  it('strict mode where a source arriving on the interface is routed back by another is a finding', () => {
    const r = rpFilter.check(facts({ ns: { rpFilter: sysctls(0, 1, 0), routes: got('ip route', ROUTES) } }));
    expect(r.checked).toEqual(['ra', 'rb']);
    expect(r.findings).toHaveLength(1);
    const f = r.findings[0]!;
    expect(f).toMatchObject({ severity: 'warning', subject: 'ra', fix: 'sysctl -w net.ipv4.conf.ra.rp_filter=2 (loose: the source must be reachable by some interface), or make the routes symmetric', about: { devices: ['ra', 'rb'] } });
    expect(f.summary).toBe('strict reverse-path filter on ra, but 10.1.9.0/24 is routed back via rb');
    expect(f.evidence).toEqual([
      { name: 'net.ipv4.conf.all.rp_filter', value: 0 },
      { name: 'net.ipv4.conf.ra.rp_filter', value: 1 },
      { name: 'route via ra', value: '10.1.9.0/24 via 10.1.1.1 dev ra metric 200' },
      { name: 'route back to 10.1.9.0', value: '10.1.9.0/24 via 10.1.2.1 dev rb' },
      { name: '/proc/net/netstat: TcpExt IPReversePathFilter', value: 0 },
    ]);
  });

  it('the effective value is the max of all and the interface: all=1 makes rb strict too, all=2 makes every one loose', () => {
    const strictAll = rpFilter.check(facts({ ns: { rpFilter: sysctls(1, 0, 0), routes: got('ip route', ROUTES) } }));
    expect(strictAll.findings.map((f) => f.subject)).toEqual(['ra']);
    expect(rpFilter.check(facts({ ns: { rpFilter: sysctls(2, 1, 1), routes: got('ip route', ROUTES) } })).findings).toEqual([]);
  });

  it('loose mode, or symmetric routes, are fine', () => {
    expect(rpFilter.check(facts({ ns: { rpFilter: sysctls(0, 2, 0), routes: got('ip route', ROUTES) } })).findings).toEqual([]);
    const symmetric = ROUTES.filter((r) => r.metric !== 200);
    expect(rpFilter.check(facts({ ns: { rpFilter: sysctls(1, 1, 1), routes: got('ip route', symmetric) } })).findings).toEqual([]);
  });

  it('drops the kernel counted make it critical; drops with no route to explain them are still a warning', () => {
    const r = rpFilter.check(facts({ ns: { rpFilter: sysctls(0, 1, 0), routes: got('ip route', ROUTES), rpFilterDrops: got('/proc/net/netstat: TcpExt IPReversePathFilter', 25) } }));
    expect(r.findings.map((f) => [f.severity, f.summary])).toEqual([['critical', 'strict reverse-path filter on ra, but 10.1.9.0/24 is routed back via rb; the kernel has dropped 25 packets by reverse path']]);
    const unexplained = rpFilter.check(facts({ ns: { rpFilter: sysctls(1, 1, 1), routes: got('ip route', ROUTES.slice(0, 3)), rpFilterDrops: got('c', 3) } }));
    expect(unexplained.findings.map((f) => [f.severity, f.subject])).toEqual([['warning', 'IPv4']]);
  });

  it('a route via the interface in a table only source rules use (policy routing) is asymmetric too', () => {
    const routes = [route('10.1.1.0/24', ['ra']), route('0.0.0.0/0', ['rb']), route('0.0.0.0/0', ['ra'], { table: '100', text: 'default via 10.1.1.1 dev ra table 100' })];
    const rules = [
      { priority: 0, table: 'local', selective: false, text: '' },
      { priority: 100, table: '100', selective: true, text: '100: from 10.1.1.254 ... lookup 100' },
      { priority: 32766, table: 'main', selective: false, text: '' },
    ];
    const r = rpFilter.check(facts({ ns: { rpFilter: sysctls(0, 1, 0), routes: got('ip route', routes), rules: got('ip rule', rules) } }));
    expect(r.findings.map((f) => f.summary)).toEqual(['strict reverse-path filter on ra, but 0.0.0.0/0 is routed back via rb']);
  });

  it('says what it could not read', () => {
    const r = rpFilter.check(facts({ ns: { rpFilter: sysctls(0, 1, 0), routes: unread('ip', 'ip is not installed') } }));
    expect(r.findings).toEqual([]);
    expect(r.unread).toEqual([{ rule: 'rp-filter', scope: 'netns', what: 'ip', reason: 'ip is not installed' }]);
  });
});
