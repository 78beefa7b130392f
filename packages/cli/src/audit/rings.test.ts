import { describe, expect, it } from 'vitest';
import { got, unread } from './facts.ts';
import { device, facts, nic } from './fixture.ts';
import { nicRing, tapRing } from './rings.ts';

describe('tap-ring', () => {
  it('a TAP whose ring (txqueuelen) is below netdev_budget is a finding, with the values read', () => {
    const tap = device('tap0', { tun: 'tap', txqueuelen: got('/sys/class/net/tap0/tx_queue_len', 2), txDropped: got('/sys/class/net/tap0/statistics/tx_dropped', 7) });
    const r = tapRing.check(facts({ ns: { devices: got('/sys/class/net', [tap, device('eth0')]) } }));
    expect(r.checked).toEqual(['tap0']);
    expect(r.findings).toHaveLength(1);
    const f = r.findings[0]!;
    expect(f).toMatchObject({ rule: 'tap-ring', scope: 'netns', severity: 'warning', subject: 'tap0', fix: 'ip link set dev tap0 txqueuelen 1000', about: { devices: ['tap0'] } });
    expect(f.evidence).toEqual([
      { name: '/sys/class/net/tap0/tx_queue_len', value: 2 },
      { name: 'net.core.netdev_budget', value: 300 },
      { name: '/sys/class/net/tap0/statistics/tx_dropped', value: 7 },
    ]);
  });

  it('a TAP ring of netdev_budget or more, and devices that are not TAPs, are fine', () => {
    const taps = [device('tap0', { tun: 'tap', txqueuelen: got('x', 300) }), device('veth0', { txqueuelen: got('y', 2) })];
    expect(tapRing.check(facts({ ns: { devices: got('/sys/class/net', taps) } })).findings).toEqual([]);
  });

  it('says what it could not read', () => {
    const tap = device('tap0', { tun: 'tap', txqueuelen: unread('/sys/class/net/tap0/tx_queue_len', 'permission denied (not root)') });
    const r = tapRing.check(facts({ ns: { devices: got('/sys/class/net', [tap]) }, host: { sysctls: { 'net.core.netdev_budget': unread('net.core.netdev_budget', 'no such file') } } }));
    expect(r.findings).toEqual([]);
    expect(r.unread).toEqual([
      { rule: 'tap-ring', scope: 'netns', what: 'net.core.netdev_budget', reason: 'no such file' },
      { rule: 'tap-ring', scope: 'netns', what: '/sys/class/net/tap0/tx_queue_len', reason: 'permission denied (not root)' },
    ]);
    const none = tapRing.check(facts({ ns: { devices: unread('/sys/class/net', 'no such file') } }));
    expect(none.unread).toEqual([{ rule: 'tap-ring', scope: 'netns', what: '/sys/class/net', reason: 'no such file' }]);
  });

  it('a larger netdev_budget raises the bar and the fix', () => {
    const tap = device('tap0', { tun: 'tap', txqueuelen: got('t', 1000) });
    const r = tapRing.check(facts({ ns: { devices: got('d', [tap]) }, host: { sysctls: { 'net.core.netdev_budget': got('net.core.netdev_budget', 2000) } } }));
    expect(r.findings[0]!.fix).toBe('ip link set dev tap0 txqueuelen 2000');
  });
});

describe('nic-ring', () => {
  it('rings below the maximum are info, warning once the NIC dropped for want of room', () => {
    const small = nic('eth0', [30], { rings: got('ethtool -g eth0', { rx: 512, rxMax: 4096, tx: 4096, txMax: 4096 }) });
    let r = nicRing.check(facts({ ns: { devices: got('d', [small]) } }));
    expect(r.findings.map((f) => [f.severity, f.summary, f.fix])).toEqual([['info', "rings below the driver's maximum: RX 512 of 4096", 'ethtool -G eth0 rx 4096']]);
    const dropping = nic('eth0', [30], { rings: small.rings, rxNoRoom: got('/sys/class/net/eth0/statistics/rx_{missed,fifo,over}_errors', 12) });
    r = nicRing.check(facts({ ns: { devices: got('d', [dropping]) } }));
    expect(r.findings[0]!.severity).toBe('warning');
    expect(r.findings[0]!.evidence).toContainEqual({ name: '/sys/class/net/eth0/statistics/rx_{missed,fifo,over}_errors', value: 12 });
  });

  it('rings at the maximum (virtio: fixed), devices without rings and virtual devices are fine', () => {
    const virtio = nic('eth0', [38], { rings: got('ethtool -g eth0', { rx: 256, rxMax: 256, tx: 256, txMax: 256 }) });
    const veth = device('veth0', { rings: got('ethtool -g veth0', { rx: 256, rxMax: 4096 }) });
    const r = nicRing.check(facts({ ns: { devices: got('d', [virtio, veth, nic('eth1', [40])]) } }));
    expect(r.findings).toEqual([]);
    expect(r.checked).toEqual(['eth0', 'eth1']);
  });

  it('without ethtool it says so once', () => {
    const d = [nic('eth0', [1], { rings: unread('ethtool', 'ethtool is not installed') }), nic('eth1', [2], { rings: unread('ethtool', 'ethtool is not installed') })];
    expect(nicRing.check(facts({ ns: { devices: got('d', d) } })).unread).toEqual([{ rule: 'nic-ring', scope: 'netns', what: 'ethtool', reason: 'ethtool is not installed' }]);
  });
});
