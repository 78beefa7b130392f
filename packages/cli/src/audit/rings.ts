/** Rings: a TAP's ring (its txqueuelen) and a NIC's RX/TX descriptor rings (ethtool -g). */
import type { Facts } from './facts.ts';
import { aboutDevice, rule, type Collector } from './findings.ts';

/** The kernel's default net.core.netdev_budget, used when the sysctl cannot be read. */
export const DEFAULT_NETDEV_BUDGET = 300;

/** What a TAP ring is set to when it is too small: the usual size for VM interfaces, or one softirq
 * run's worth if that is more. */
const TAP_RING = 1000;

function netdevBudget(facts: Facts, c: Collector): { budget: number; from: string } {
  const r = facts.host.sysctls['net.core.netdev_budget'];
  const v = r ? c.need(r) : undefined;
  return v === undefined ? { budget: DEFAULT_NETDEV_BUDGET, from: 'net.core.netdev_budget (not read: the kernel default)' } : { budget: v, from: 'net.core.netdev_budget' };
}

export const tapRing = rule(
  {
    name: 'tap-ring',
    scope: 'netns',
    title: "a TAP or TUN device's ring (its txqueuelen) holds at least what one NET_RX softirq run can deliver",
    source: 'drivers/net/tun.c (the ring is sized by tx_queue_len); Documentation/admin-guide/sysctl/net.rst (netdev_budget); ip-link(8)',
  },
  (facts, c) => {
    const devices = c.need(facts.ns.devices) ?? [];
    const taps = devices.filter((d) => d.tun);
    if (!taps.length) return;
    const { budget, from } = netdevBudget(facts, c);
    for (const d of taps) {
      c.check(d.name);
      const len = c.need(d.txqueuelen);
      if (len === undefined || len >= budget) continue;
      const dropped = d.txDropped.ok ? d.txDropped.value : undefined;
      c.find({
        severity: 'warning',
        ...aboutDevice(d.name),
        summary: `${d.tun === 'tap' ? 'TAP' : 'TUN'} ring holds ${len} packet${len === 1 ? '' : 's'} (txqueuelen ${len}), fewer than one NET_RX softirq run may deliver (${budget})`,
        why: `The transmit queue length of a ${d.tun === 'tap' ? 'TAP' : 'TUN'} device is the size of the ring between the host and the reader (the VM's vhost worker or QEMU). Packets that arrive while the ring is full are dropped (drop reason FULL_RING); one softirq run can hand the device up to net.core.netdev_budget packets before the reader gets a CPU.`,
        fix: `ip link set dev ${d.name} txqueuelen ${Math.max(TAP_RING, budget)}`,
        evidence: [
          { name: d.txqueuelen.from, value: len },
          { name: from, value: budget },
          ...(dropped !== undefined ? [{ name: d.txDropped.from, value: dropped }] : []),
        ],
      });
    }
  },
);

export const nicRing = rule(
  {
    name: 'nic-ring',
    scope: 'netns',
    title: "a NIC's RX and TX rings are at the driver's maximum",
    source: 'ethtool(8) (-g, -G); Red Hat Enterprise Linux Network Performance Tuning Guide (ring buffers)',
  },
  (facts, c) => {
    for (const d of c.need(facts.ns.devices) ?? []) {
      if (!d.bus || d.tun) continue;
      const rings = c.need(d.rings);
      if (rings === undefined) continue;
      c.check(d.name);
      if (rings === null) continue;
      const rxShort = rings.rx !== undefined && rings.rxMax !== undefined && rings.rx < rings.rxMax;
      const txShort = rings.tx !== undefined && rings.txMax !== undefined && rings.tx < rings.txMax;
      if (!rxShort && !txShort) continue;
      const noRoom = d.rxNoRoom.ok ? d.rxNoRoom.value : undefined;
      const parts = [rxShort ? `RX ${rings.rx} of ${rings.rxMax}` : '', txShort ? `TX ${rings.tx} of ${rings.txMax}` : ''].filter(Boolean);
      c.find({
        severity: noRoom ? 'warning' : 'info',
        ...aboutDevice(d.name),
        summary: `rings below the driver's maximum: ${parts.join(', ')}${noRoom ? `; the NIC already dropped ${noRoom} frames for want of room` : ''}`,
        why: 'The RX ring holds the frames the NIC has received and the driver has not processed yet. When the CPU falls behind (a burst, a busy CPU, a long softirq) a full ring makes the NIC drop frames (rx_missed_errors, rx_fifo_errors); a larger ring absorbs the burst, at the cost of memory and, under sustained overload, some queueing delay.',
        fix: `ethtool -G ${d.name}${rxShort ? ` rx ${rings.rxMax}` : ''}${txShort ? ` tx ${rings.txMax}` : ''}`,
        evidence: [
          { name: d.rings.from, value: parts.join(', ') },
          ...(noRoom !== undefined ? [{ name: d.rxNoRoom.from, value: noRoom }] : []),
        ],
      });
    }
  },
);
