import { describe, expect, it } from 'vitest';
import { parseNamespaceDevices, parseVnis } from './devices.ts';

// What ip(8) and bridge(8) of iproute2 6.1 print for a namespace with an underlay veth, a plain
// VXLAN device, an external one and one with vnifilter (trimmed to the members read, plus a few).
const LINKS = JSON.stringify([
  { ifindex: 1, ifname: 'lo', flags: ['LOOPBACK', 'UP', 'LOWER_UP'], mtu: 65536, stats64: { rx: { packets: 0, errors: 0, dropped: 0 }, tx: { packets: 0, errors: 0, dropped: 0 } } },
  { ifindex: 2, ifname: 'u0', flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'], mtu: 1500, linkinfo: { info_kind: 'veth' }, stats64: { rx: { packets: 9, errors: 0, dropped: 0 }, tx: { packets: 9, errors: 0, dropped: 0 } } },
  {
    ifindex: 3,
    ifname: 'vx0',
    flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'],
    mtu: 1450,
    linkinfo: {
      info_kind: 'vxlan',
      info_data: { id: 100, remote: '10.210.0.2', local: '10.210.0.1', link: 'u0', port_range: { low: 0, high: 0 }, port: 4789, learning: false, ttl: 0, df: 'set', ageing: 300, udp_csum: true, udp_zero_csum6_tx: false, udp_zero_csum6_rx: false },
    },
    stats64: { rx: { bytes: 304, packets: 4, errors: 0, dropped: 1, over_errors: 0, multicast: 0 }, tx: { bytes: 9000, packets: 104, errors: 2, dropped: 3, carrier_errors: 2, collisions: 0 } },
  },
  {
    ifindex: 4,
    ifname: 'vxe',
    flags: ['BROADCAST', 'MULTICAST'],
    mtu: 1500,
    linkinfo: { info_kind: 'vxlan', info_data: { external: true, id: 0, link: 'u0', port_range: { low: 0, high: 0 }, port: 4790, learning: false, ttl: 0, df: 'unset', ageing: 300, udp_csum: true } },
    stats64: { rx: { packets: 0, errors: 0, dropped: 0 }, tx: { packets: 0, errors: 0, dropped: 0 } },
  },
  {
    ifindex: 5,
    ifname: 'vxf',
    flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'],
    mtu: 1500,
    linkinfo: { info_kind: 'vxlan', info_data: { external: true, vnifilter: true, id: 0, local: 'fd00:210::1', link: 'u0', port: 4791, learning: false, ttl: 0, df: 'unset', ageing: 300 } },
    stats64: { rx: { packets: 30, errors: 0, dropped: 0 }, tx: { packets: 20, errors: 0, dropped: 0 } },
  },
]);

const VNIS =
  '[{"ifname":"vxf","vnis":[{"vni":10,"stats":{"rx_bytes":0,"rx_pkts":10,"rx_drops":1,"rx_errors":0,"tx_bytes":0,"tx_pkts":5,"tx_drops":0,"tx_errors":2}},' +
  '{"vni":20,"stats":{"rx_bytes":0,"rx_pkts":20,"rx_drops":0,"rx_errors":0,"tx_bytes":0,"tx_pkts":15,"tx_drops":0,"tx_errors":0}}]}]';

describe('vxlan_summary devices', () => {
  const out = `${LINKS}\n@@netstrata-vxlan@@\n${VNIS}\n`;

  it("the VXLAN devices of a namespace with their configuration and the kernel's counters; every device's name by index", () => {
    const ns = parseNamespaceDevices(out, 4026532000);
    expect(ns.netns).toBe(4026532000);
    expect([...ns.names]).toEqual([[1, 'lo'], [2, 'u0'], [3, 'vx0'], [4, 'vxe'], [5, 'vxf']]);
    expect(ns.devices.map((d) => d.name)).toEqual(['vx0', 'vxe', 'vxf']);
    expect(ns.devices[0]).toEqual({
      netns: 4026532000,
      ifindex: 3,
      name: 'vx0',
      vni: 100,
      up: true,
      mtu: 1450,
      config: { remote: '10.210.0.2', group: null, local: '10.210.0.1', port: 4789, learning: false, external: false, vnifilter: false, df: 'set', link: 'u0' },
      counters: { tx_packets: 104, rx_packets: 4, tx_dropped: 3, tx_errors: 2, rx_dropped: 1, rx_errors: 0 },
      vnis: [],
    });
  });

  it('an external device has no VNI of its own; one with vnifilter its VNIs, each with its counters', () => {
    const [, vxe, vxf] = parseNamespaceDevices(out, 1).devices;
    expect(vxe).toMatchObject({ vni: null, up: false, config: { external: true, vnifilter: false, port: 4790, remote: null, local: null } });
    expect(vxf).toMatchObject({ vni: null, config: { external: true, vnifilter: true, port: 4791, local: 'fd00:210::1' } });
    expect(vxf!.vnis).toEqual([
      { vni: 10, counters: { tx_packets: 5, rx_packets: 10, tx_dropped: 0, tx_errors: 2, rx_dropped: 1, rx_errors: 0 } },
      { vni: 20, counters: { tx_packets: 15, rx_packets: 20, tx_dropped: 0, tx_errors: 0, rx_dropped: 0, rx_errors: 0 } },
    ]);
  });

  it('a namespace without VXLAN devices, a bridge(8) without `vni`, and garbage all read as nothing', () => {
    expect(parseNamespaceDevices(`${JSON.stringify([{ ifindex: 1, ifname: 'lo' }])}\n@@netstrata-vxlan@@\n`, 1).devices).toEqual([]);
    expect(parseNamespaceDevices('', 1)).toEqual({ netns: 1, devices: [], names: new Map() });
    expect(parseVnis('Object "vni" is unknown')).toEqual(new Map());
  });
});
