import { describe, expect, it } from 'vitest';
import type { NamespaceDevices, VxlanCounters, VxlanDevice } from './devices.ts';
import type { DropEntry, DropKey } from './layout.ts';
import { CounterTotals, counterDelta, counterKey, counterRows, renderVxlanText, vxlanFields, vxlanRows, zeroCounters, type Names, type VxlanRecord } from './report.ts';

const names: Names = {
  reason: (c) => ({ 2: 'NOT_SPECIFIED', 3: 'NO_SOCKET', 111: 'VXLAN_VNI_NOT_FOUND', 114: 'NO_TX_TARGET', 93: 'PKT_TOO_BIG' })[c] ?? `UNKNOWN_${c}`,
  location: (a) => ({ 1: { symbol: 'vxlan_rcv', offset: 0x80 }, 2: { symbol: 'vxlan_xmit', offset: 0x1c0 }, 3: { symbol: 'ip_fragment', offset: 0x30 } })[Number(a)],
};

const counters = (c: Partial<VxlanCounters> = {}): VxlanCounters => ({ ...zeroCounters(), ...c });

function device(o: Partial<VxlanDevice> & Pick<VxlanDevice, 'netns' | 'ifindex' | 'name'>, config: Partial<VxlanDevice['config']> = {}): VxlanDevice {
  return {
    vni: 100,
    up: true,
    mtu: 1450,
    counters: counters(),
    vnis: [],
    ...o,
    config: { remote: '10.9.0.2', group: null, local: '10.9.0.1', port: 4789, learning: false, external: false, vnifilter: false, df: 'unset', link: 'u0', ...config },
  };
}

const ns = (netns: number, devices: VxlanDevice[], names: [number, string][] = []): NamespaceDevices => ({ netns, devices, names: new Map(names) });

const drop = (k: Partial<DropKey>, count: number): DropEntry => ({
  key: { netns: 1, ifindex: 2, onDevice: false, direction: 'rx', vni: undefined, port: undefined, peer: undefined, reason: 2, location: 0n, ...k },
  count,
});

describe('vxlan_summary counters', () => {
  it('intervals are differences of readings; totals add the intervals up; a row first seen later counts from 0', () => {
    const k = counterKey(1, 5, null);
    const t = new CounterTotals(new Map([[k, counters({ tx_packets: 1000, rx_packets: 7 })]]));
    const one = t.update(new Map([[k, counters({ tx_packets: 1100, rx_packets: 7, tx_dropped: 3 })]]));
    expect(one.interval.get(k)).toEqual(counters({ tx_packets: 100, tx_dropped: 3 }));
    const k2 = counterKey(1, 9, 300);
    const two = t.update(new Map([[k, counters({ tx_packets: 1150, rx_packets: 8, tx_dropped: 3 })], [k2, counters({ rx_packets: 4 })]]));
    expect(two.interval.get(k)).toEqual(counters({ tx_packets: 50, rx_packets: 1 }));
    expect(two.interval.get(k2)).toEqual(counters({ rx_packets: 4 }));
    expect(two.total.get(k)).toEqual(counters({ tx_packets: 150, rx_packets: 1, tx_dropped: 3 }));
    // A device deleted keeps what it counted in the totals.
    const three = t.update(new Map([[k2, counters({ rx_packets: 6 })]]));
    expect(three.total.get(k)).toEqual(counters({ tx_packets: 150, rx_packets: 1, tx_dropped: 3 }));
    expect(three.total.get(k2)).toEqual(counters({ rx_packets: 6 }));
  });

  it('a counter that went back (a device made again) counts from 0', () => {
    expect(counterDelta(counters({ tx_packets: 5 }), counters({ tx_packets: 900 })).tx_packets).toBe(5);
  });

  it('counter rows: the device, and each VNI of a device that filters VNIs', () => {
    const d = device({ netns: 1, ifindex: 5, name: 'vx0', vni: null, counters: counters({ rx_packets: 9 }), vnis: [{ vni: 10, counters: counters({ rx_packets: 4 }) }, { vni: 20, counters: counters({ rx_packets: 5 }) }] }, { vnifilter: true, external: true });
    expect([...counterRows([ns(1, [d])]).keys()]).toEqual(['1/5/*', '1/5/10', '1/5/20']);
  });
});

describe('vxlan_summary rows', () => {
  const vx0 = device({ netns: 1, ifindex: 5, name: 'vx0' });
  const a = ns(1, [vx0], [[2, 'u0'], [5, 'vx0']]);
  const c = (m: [VxlanDevice, Partial<VxlanCounters>, (number | null)?][]) => new Map(m.map(([d, v, vni]) => [counterKey(d.netns, d.ifindex, vni ?? null), counters(v)]));

  it("a plain device: one row, the kernel's counts as encapsulated/decapsulated and its drop counters", () => {
    const rows = vxlanRows({ namespaces: [a], counters: c([[vx0, { tx_packets: 100, rx_packets: 90, tx_dropped: 1 }]]), drops: [] }, names);
    expect(rows).toEqual([
      expect.objectContaining({ netns: 1, device: 'vx0', ifindex: 5, vni: 100, port: 4789, encapsulated: 100, decapsulated: 90, device_drops: { tx_dropped: 1, tx_errors: 0, rx_dropped: 0, rx_errors: 0 }, drops: { total: 0, tx: 0, rx: 0, by_reason: [] } }),
    ]);
    expect(rows[0]!.config).toMatchObject({ remote: '10.9.0.2', port: 4789 });
  });

  it('a frame with no FDB entry, dropped on the device: the device row, its VNI, no peer', () => {
    const rows = vxlanRows({ namespaces: [a], counters: c([[vx0, { tx_dropped: 4 }]]), drops: [drop({ ifindex: 5, onDevice: true, direction: 'tx', reason: 114, location: 2n }, 4)] }, names);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ device: 'vx0', vni: 100, device_drops: { tx_dropped: 4 }, drops: { total: 4, tx: 4, rx: 0 } });
    expect(rows[0]!.drops.by_reason).toEqual([
      { direction: 'tx', reason: 'NO_TX_TARGET', reason_code: 114, location: { symbol: 'vxlan_xmit', offset: 0x1c0, address: '0x2' }, underlay: null, peer: null, count: 4 },
    ]);
  });

  it('a VNI no device serves: a row of its own with no device, on the underlay it arrived on, from its sender', () => {
    const rows = vxlanRows({ namespaces: [a], counters: c([[vx0, {}]]), drops: [drop({ ifindex: 2, vni: 200, port: 4789, peer: '10.9.0.2', reason: 111, location: 1n }, 10)] }, names);
    const none = rows.find((r) => r.device === null)!;
    expect(none).toMatchObject({ netns: 1, ifindex: null, vni: 200, port: 4789, encapsulated: null, decapsulated: null, device_drops: null, config: null, drops: { total: 10, rx: 10, tx: 0 } });
    expect(none.drops.by_reason[0]).toMatchObject({ direction: 'rx', reason: 'VXLAN_VNI_NOT_FOUND', underlay: 'u0', peer: '10.9.0.2', count: 10 });
    // Rows in trouble first.
    expect(rows[0]).toBe(none);
  });

  it("an outer packet of the device's VNI dropped on the underlay (too big): the device's row, towards the peer", () => {
    const rows = vxlanRows({ namespaces: [a], counters: c([[vx0, { tx_dropped: 3 }]]), drops: [drop({ ifindex: 2, direction: 'tx', vni: 100, port: 4789, peer: '10.9.0.2', reason: 93, location: 3n }, 3)] }, names);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.drops.by_reason).toEqual([expect.objectContaining({ direction: 'tx', reason: 'PKT_TOO_BIG', underlay: 'u0', peer: '10.9.0.2', count: 3 })]);
  });

  it('an external device: one row for every VNI (counted together), drops of a known VNI in rows of their own without counts', () => {
    const ext = device({ netns: 1, ifindex: 6, name: 'vxe', vni: null }, { external: true, remote: null, port: 4789 });
    const rows = vxlanRows({ namespaces: [ns(1, [ext])], counters: c([[ext, { tx_packets: 5 }]]), drops: [drop({ ifindex: 6, onDevice: true, direction: 'tx', vni: 300, reason: 2 }, 2), drop({ ifindex: 6, onDevice: true, direction: 'tx', reason: 2 }, 1)] }, names);
    expect(rows.map((r) => [r.vni, r.encapsulated, r.drops.total])).toEqual([
      [300, null, 2],
      [null, 5, 1],
    ]);
  });

  it('a device with vnifilter: a row per VNI with its own counters; a drop to one of its VNIs in that row', () => {
    const vf = device({ netns: 1, ifindex: 7, name: 'vxf', vni: null, vnis: [{ vni: 10, counters: counters() }, { vni: 20, counters: counters() }] }, { external: true, vnifilter: true, remote: null });
    const rows = vxlanRows(
      { namespaces: [ns(1, [vf], [[2, 'u0']])], counters: c([[vf, { tx_packets: 30 }], [vf, { tx_packets: 10 }, 10], [vf, { tx_packets: 20, rx_dropped: 1 }, 20]]), drops: [drop({ ifindex: 2, vni: 20, port: 4789, reason: 3 }, 1)] },
      names,
    );
    expect(rows.map((r) => [r.vni, r.encapsulated, r.device_drops?.rx_dropped, r.drops.total])).toEqual([
      [20, 20, 1, 1],
      [10, 10, 0, 0],
    ]);
  });

  it('--device: that device, and drops on its port no device took; not the others', () => {
    const vx1 = device({ netns: 1, ifindex: 8, name: 'vx1', vni: 101 }, { port: 8472 });
    const both = ns(1, [vx0, vx1], [[2, 'u0']]);
    const rows = vxlanRows(
      {
        namespaces: [both],
        counters: c([[vx0, {}], [vx1, {}]]),
        drops: [drop({ ifindex: 2, vni: 200, port: 4789, reason: 111 }, 1), drop({ ifindex: 2, vni: 201, port: 8472, reason: 111 }, 1)],
        only: [{ netns: 1, ifindex: 5 }],
      },
      names,
    );
    expect(rows.map((r) => [r.device, r.vni])).toEqual([
      [null, 200],
      ['vx0', 100],
    ]);
  });

  it('totals: the devices\' own counters (never a VNI twice) and every drop seen; rows beyond --top counted', () => {
    const vf = device({ netns: 1, ifindex: 7, name: 'vxf', vni: null, vnis: [{ vni: 10, counters: counters() }] }, { external: true, vnifilter: true });
    const f = vxlanFields(
      { namespaces: [ns(1, [vx0, vf], [[2, 'u0']])], counters: c([[vx0, { tx_packets: 1, rx_packets: 2 }], [vf, { tx_packets: 30 }], [vf, { tx_packets: 30 }, 10]]), drops: [drop({ ifindex: 2, vni: 999, port: 4789, reason: 111 }, 5)] },
      names,
      2,
    );
    expect(f.devices).toBe(2);
    expect(f.totals).toEqual({ encapsulated: 31, decapsulated: 2, device_drops: { tx_dropped: 0, tx_errors: 0, rx_dropped: 0, rx_errors: 0 }, drops: { total: 5, tx: 0, rx: 5 } });
    expect(f.rows).toHaveLength(2);
    expect(f.more_rows).toBe(1);
  });

  it('text: the totals line, the table, each row\'s reasons under it', () => {
    const fields = vxlanFields(
      { namespaces: [a], counters: c([[vx0, { tx_packets: 100, rx_packets: 100 }]]), drops: [drop({ ifindex: 2, vni: 200, port: 4789, peer: '10.9.0.2', reason: 111, location: 1n }, 10)] },
      names,
      20,
    );
    const rec = { type: 'final', tool: 'vxlan_summary', time: '2026-01-01T12:00:00.000Z', interval_s: 5, lost: 0, map_full: 0, stack_failed: 0, evicted: 0, missed: 0, ...fields } as unknown as VxlanRecord;
    const text = renderVxlanText(rec);
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/total since start: 1 VXLAN device; 100 encapsulated, 100 decapsulated; 10 drops seen \(0 tx, 10 rx\); device counters: tx 0 dropped 0 errors, rx 0 dropped 0 errors$/);
    expect(lines[1]).toMatch(/^ {2}DEVICE +NETNS +VNI +PORT +REMOTE +ENCAP +DECAP +TX DROP\/ERR +RX DROP\/ERR +DROPS SEEN$/);
    expect(lines[2]).toMatch(/^ {2}\(none\) +1 +200 +4789 +- +- +- +- +- +10 \(0 tx, 10 rx\)$/);
    expect(lines[3]).toBe('      rx VXLAN_VNI_NOT_FOUND@vxlan_rcv 10 (on u0 from 10.9.0.2)');
    expect(lines[4]).toMatch(/^ {2}vx0 +1 +100 +4789 +10\.9\.0\.2 +100 +100 +0\/0 +0\/0 +-$/);
  });
});
