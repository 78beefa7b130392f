/** Offloads: GRO, GSO, TSO and checksum offloads turned off where the device could have them on. */
import { aboutDevice, rule } from './findings.ts';

interface Offload {
  feature: string;
  short: string;
  why: string;
  /** Whether the device's reader sets it (TUNSETOFFLOAD) rather than ethtool: TAP and TUN devices. */
  byReader: boolean;
  /** Link kinds whose default is off by design, not judged: a veth's GRO is off unless turned on,
   * and turning it on switches the veth to NAPI mode. */
  offByDesign?: readonly string[];
}

const OFFLOADS: readonly Offload[] = [
  {
    feature: 'generic-receive-offload',
    short: 'gro',
    offByDesign: ['veth'],
    why: 'GRO merges the segments of a flow into one large packet before the stack: with it off every segment travels the stack (routing, netfilter, bridge, socket) on its own, which costs softirq time per packet and makes backlog and ring drops come sooner under load.',
    byReader: false,
  },
  {
    feature: 'generic-segmentation-offload',
    short: 'gso',
    why: 'GSO keeps a large send as one packet through the stack and segments it at the last moment: with it off the stack and the qdisc handle every segment, which costs CPU per packet and fills queues faster.',
    byReader: false,
  },
  {
    feature: 'tcp-segmentation-offload',
    short: 'tso',
    why: 'TSO lets the device cut large TCP sends into segments: with it off the CPU does it in software (GSO) or TCP sends MSS-sized packets, which costs CPU per packet on the send path.',
    byReader: true,
  },
  {
    feature: 'tx-checksumming',
    short: 'tx',
    why: 'Without transmit checksum offload the CPU computes every checksum, and TSO and GSO partial segmentation, which need it, are turned off with it.',
    byReader: true,
  },
  {
    feature: 'rx-checksumming',
    short: 'rx',
    why: 'Without receive checksum offload the stack verifies every checksum in software, and GRO has to checksum each segment it merges.',
    byReader: true,
  },
];

export const offloads = rule(
  {
    name: 'offloads',
    scope: 'netns',
    title: 'GRO, GSO, TSO and checksum offloads are on where the device can have them on',
    source: 'Documentation/networking/segmentation-offloads.rst; Documentation/networking/checksum-offloads.rst; ethtool(8) (-k, -K)',
  },
  (facts, c) => {
    for (const d of c.need(facts.ns.devices) ?? []) {
      if (d.name === 'lo') continue;
      const features = c.need(d.features);
      if (!features) continue;
      c.check(d.name);
      for (const o of OFFLOADS) {
        // A TAP's or TUN's TSO and checksum offloads follow what its reader (QEMU, vhost) asked for
        // with TUNSETOFFLOAD, from the guest's virtio-net features: ethtool cannot turn them on.
        if (d.tun && o.byReader) continue;
        const f = features[o.feature];
        if (!f || f.on || f.fixed) continue;
        if (o.offByDesign) {
          const kind = c.need(d.kind);
          if (kind === undefined || (kind !== null && o.offByDesign.includes(kind))) continue;
        }
        c.find({
          severity: 'warning',
          ...aboutDevice(d.name),
          summary: `${o.feature} is off (the device supports it)`,
          why: o.why,
          fix: `ethtool -K ${d.name} ${o.short} on`,
          evidence: [{ name: `${d.features.from}: ${o.feature}`, value: 'off' }],
        });
      }
    }
  },
);
