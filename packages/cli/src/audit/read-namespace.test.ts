import { describe, expect, it } from 'vitest';
import { parseConntrackStat, parseFeatures, parseKinds, parseNetstat, parseRings, parseRoutes, parseRules, readNamespaceFacts } from './read-namespace.ts';
import { FixtureSource } from './source.ts';

const RINGS = `Ring parameters for eth0:
Pre-set maximums:
RX:\t\t4096
RX Mini:\tn/a
RX Jumbo:\tn/a
TX:\t\t4096
Current hardware settings:
RX:\t\t512
RX Mini:\tn/a
RX Jumbo:\tn/a
TX:\t\t1024
RX Buf Len:\t\tn/a
`;

const FEATURES = `Features for eth0:
rx-checksumming: on [fixed]
tx-checksumming: on
\ttx-checksum-ipv4: off [fixed]
tcp-segmentation-offload: off
generic-receive-offload: on
large-receive-offload: off [fixed]
`;

const ROUTES = JSON.stringify([
  { dst: 'default', gateway: '10.1.2.1', dev: 'rb', flags: [] },
  { dst: '10.1.9.0/24', gateway: '10.1.1.1', dev: 'ra', metric: 200, flags: [] },
  { dst: '10.1.8.0/24', nexthops: [{ gateway: '10.1.1.1', dev: 'ra', weight: 1 }, { gateway: '10.1.2.1', dev: 'rb', weight: 1 }] },
  { type: 'local', dst: '10.1.1.254', table: 'local', dev: 'ra', protocol: 'kernel', scope: 'host', prefsrc: '10.1.1.254', flags: [] },
  { type: 'blackhole', dst: '10.66.0.0/16', table: '100', flags: [] },
]);

const RULES = JSON.stringify([
  { priority: 0, src: 'all', table: 'local' },
  { priority: 100, src: '10.1.9.0', srclen: 24, table: '100' },
  { priority: 200, src: 'all', iif: 'ra', table: '100' },
  { priority: 32766, src: 'all', table: 'main' },
]);

describe('parsers', () => {
  it('ethtool -g and -k', () => {
    expect(parseRings(RINGS)).toEqual({ rx: 512, rxMax: 4096, tx: 1024, txMax: 4096 });
    expect(parseRings('garbage')).toBeUndefined();
    expect(parseFeatures(FEATURES)).toEqual({
      'rx-checksumming': { on: true, fixed: true },
      'tx-checksumming': { on: true, fixed: false },
      'tx-checksum-ipv4': { on: false, fixed: true },
      'tcp-segmentation-offload': { on: false, fixed: false },
      'generic-receive-offload': { on: true, fixed: false },
      'large-receive-offload': { on: false, fixed: true },
    });
  });

  it('ip -j route and rule', () => {
    expect(parseRoutes(ROUTES)).toEqual([
      { dst: '0.0.0.0/0', table: 'main', type: 'unicast', metric: 0, devs: ['rb'], text: 'default via 10.1.2.1 dev rb' },
      { dst: '10.1.9.0/24', table: 'main', type: 'unicast', metric: 200, devs: ['ra'], text: '10.1.9.0/24 via 10.1.1.1 dev ra metric 200' },
      { dst: '10.1.8.0/24', table: 'main', type: 'unicast', metric: 0, devs: ['ra', 'rb'], text: '10.1.8.0/24 nexthop via 10.1.1.1 dev ra nexthop via 10.1.2.1 dev rb' },
      { dst: '10.1.1.254', table: 'local', type: 'local', metric: 0, devs: ['ra'], text: 'local 10.1.1.254 dev ra table local' },
      { dst: '10.66.0.0/16', table: '100', type: 'blackhole', metric: 0, devs: [], text: 'blackhole 10.66.0.0/16 table 100' },
    ]);
    expect(parseRules(RULES)!.map((r) => [r.priority, r.table, r.selective])).toEqual([
      [0, 'local', false],
      [100, '100', true],
      [200, '100', true],
      [32766, 'main', false],
    ]);
    expect(parseRoutes('not json')).toBeUndefined();
  });

  it('ip -d -j link show: kinds', () => {
    const kinds = parseKinds(JSON.stringify([{ ifindex: 1, ifname: 'lo' }, { ifindex: 2, ifname: 'ra', linkinfo: { info_kind: 'veth' } }, { ifname: 'tap0', linkinfo: { info_kind: 'tun', info_data: { type: 'tap' } } }]));
    expect([...kinds!]).toEqual([
      ['lo', null],
      ['ra', 'veth'],
      ['tap0', 'tun'],
    ]);
  });

  it('/proc/net/netstat and /proc/net/stat/nf_conntrack', () => {
    const netstat = 'TcpExt: SyncookiesSent IPReversePathFilter\nTcpExt: 0 25\nIpExt: InNoRoutes\nIpExt: 3\n';
    expect(parseNetstat(netstat, 'TcpExt', 'IPReversePathFilter')).toBe(25);
    expect(parseNetstat(netstat, 'TcpExt', 'Nope')).toBeUndefined();
    const stat = 'entries  clashres found invalid insert insert_failed drop early_drop\n00000010 0 0 0 0 00000001 0000000a 00000000\n00000010 0 0 0 0 00000000 00000001 00000002\n';
    expect(parseConntrackStat(stat)).toMatchObject({ drop: 11, early_drop: 2, insert_failed: 1 });
  });
});

describe('readNamespaceFacts', () => {
  const NET = '/sys/class/net';
  const PCI = '/sys/devices/pci0000:00/0000:00:03.0';
  const files: Record<string, string | NodeJS.ErrnoException> = {
    [`${NET}/lo/ifindex`]: '1\n',
    [`${NET}/lo/tx_queue_len`]: '1000\n',
    [`${NET}/eth0/ifindex`]: '2\n',
    [`${NET}/eth0/tx_queue_len`]: '1000\n',
    [`${NET}/eth0/device@`]: `${PCI}/virtio2`,
    [`${PCI}/virtio2/uevent`]: 'DRIVER=virtio_net\n',
    [`${PCI}/numa_node`]: '-1\n',
    [`${PCI}/msi_irqs/37`]: 'msix\n',
    [`${PCI}/msi_irqs/38`]: 'msix\n',
    [`${PCI}/msi_irqs/39`]: 'msix\n',
    [`${NET}/eth0/queues/rx-0/rps_cpus`]: '0\n',
    [`${NET}/eth0/queues/tx-0/xps_cpus`]: FixtureSource.errno('ENOENT'),
    [`${NET}/eth0/napi_defer_hard_irqs`]: '0\n',
    [`${NET}/eth0/gro_flush_timeout`]: '0\n',
    [`${NET}/eth0/statistics/rx_missed_errors`]: '1\n',
    [`${NET}/eth0/statistics/rx_fifo_errors`]: '2\n',
    [`${NET}/eth0/statistics/rx_over_errors`]: '0\n',
    [`${NET}/eth0/statistics/tx_dropped`]: '0\n',
    [`${NET}/tap0/ifindex`]: '3\n',
    [`${NET}/tap0/tun_flags`]: '0x1002\n',
    [`${NET}/tap0/tx_queue_len`]: '2\n',
    [`${NET}/tap0/queues/rx-0/rps_cpus`]: '0\n',
    [`${NET}/tap0/napi_defer_hard_irqs`]: FixtureSource.errno('EACCES'),
    '/proc/sys/net/ipv4/conf/all/rp_filter': '0\n',
    '/proc/sys/net/ipv4/conf/eth0/rp_filter': '1\n',
    '/proc/net/netstat': 'TcpExt: IPReversePathFilter\nTcpExt: 4\n',
    '/proc/sys/net/netfilter/nf_conntrack_count': '850\n',
    '/proc/sys/net/netfilter/nf_conntrack_max': '1000\n',
    '/proc/net/stat/nf_conntrack': 'entries drop early_drop insert_failed\n00000352 00000000 00000000 00000000\n',
  };
  const commands = { 'ethtool -g eth0': RINGS, 'ethtool -k eth0': FEATURES, 'ethtool -g lo': { stderr: 'netlink error: Operation not supported' }, 'ethtool -k lo': FEATURES, 'ethtool -k tap0': FEATURES, ip: 'missing' as const };

  it('reads devices, sysctls and counters, and says what it could not', () => {
    const f = readNamespaceFacts(new FixtureSource(files, commands), 4026531840);
    expect(f.netns).toBe(4026531840);
    expect(f.devices.ok).toBe(true);
    const devices = f.devices.ok ? f.devices.value : [];
    expect(devices.map((d) => [d.name, d.tun, d.txqueuelen.ok && d.txqueuelen.value])).toEqual([
      ['eth0', undefined, 1000],
      ['lo', undefined, 1000],
      ['tap0', 'tap', 2],
    ]);
    const eth0 = devices[0]!;
    expect(eth0.bus).toEqual({ path: `${PCI}/virtio2`, numaNode: { ok: true, from: `${PCI}/numa_node`, value: -1 }, irqs: { ok: true, from: `${PCI}/msi_irqs`, value: [37, 38, 39] } });
    expect(eth0.rxQueues).toMatchObject({ ok: true, value: [{ name: 'rx-0', rps: { ok: true, value: [] } }] });
    expect(eth0.txQueues).toMatchObject({ ok: true, value: [{ name: 'tx-0', xps: { ok: false, reason: 'no such file' } }] });
    expect(eth0.rxNoRoom).toEqual({ ok: true, from: `${NET}/eth0/statistics/rx_{missed,fifo,over}_errors`, value: 3 });
    expect(eth0.rings).toEqual({ ok: true, from: 'ethtool -g eth0', value: { rx: 512, rxMax: 4096, tx: 1024, txMax: 4096 } });
    expect(eth0.kind).toEqual({ ok: false, from: 'ip', reason: 'ip is not installed' });
    expect(devices[1]!.rings).toEqual({ ok: true, from: 'ethtool -g lo', value: null });
    expect(devices[2]!.napiDeferHardIrqs).toEqual({ ok: false, from: `${NET}/tap0/napi_defer_hard_irqs`, reason: 'permission denied (not root)' });
    expect(devices[2]!.rings).toMatchObject({ ok: true, value: null });
    expect(f.rpFilter).toEqual({
      all: { ok: true, from: 'net.ipv4.conf.all.rp_filter', value: 0 },
      eth0: { ok: true, from: 'net.ipv4.conf.eth0.rp_filter', value: 1 },
    });
    expect(f.routes).toEqual({ ok: false, from: 'ip', reason: 'ip is not installed' });
    expect(f.rpFilterDrops).toEqual({ ok: true, from: '/proc/net/netstat: TcpExt IPReversePathFilter', value: 4 });
    expect(f.conntrack).toEqual({ ok: true, from: '/proc/net/stat/nf_conntrack', value: { count: 850, max: 1000, drop: 0, earlyDrop: 0, insertFailed: 0 } });
  });

  it('conntrack not loaded is no table, not a failure', () => {
    const f = readNamespaceFacts(new FixtureSource({ '/proc/net/netstat': '' }), 1);
    expect(f.conntrack).toEqual({ ok: true, from: '/proc/sys/net/netfilter/nf_conntrack_count', value: null });
    expect(f.devices).toEqual({ ok: false, from: '/sys/class/net', reason: 'no such file' });
  });
});
