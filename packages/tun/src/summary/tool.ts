/** tun_ring_summary: how full are the TAP rings, and what do TAP devices drop? */
import { DropReasons, KernelRows, defineSummary, type Delta } from '@netstrata/bpf-common';
import { z } from 'zod';
import object from '../../build/bpf/tun_ring_summary.bpf.o';
import { copyHook, dropHook, startXmitHook, tunRingHooks } from '../hooks.ts';
import { decodeDrop, decodeQueue, tunDropKey, tunKey, tunQueueStats, type DropEntry, type QueueEntry } from '../layout.ts';
import { dropRowOps, queueRowOps, queueRows, renderTunText } from './report.ts';

/** Queues whose histograms the text report draws. */
const HISTOGRAMS = 2;

export const tunRingSummary = defineSummary({
  name: 'tun_ring_summary',
  domain: 'tun',
  describe: "How full are the TAP rings, and what do TAP devices drop? Per TAP/TUN device and queue: the ring's occupancy at every transmit into it, how often it was full, and drops by the kernel's reason.",
  examples: [
    ['$0', 'every TAP and TUN queue on the host, every 5 seconds'],
    ['$0 --netns vm1 --interface tap0 --dwell', "one VM's TAP: also how long packets wait in the ring for vhost (or QEMU) to read them"],
    ['$0 --interval 1 --output json', 'every second, as NDJSON'],
  ],
  epilog:
    "A transmit into a TAP is a packet going to the VM: the host's stack, a bridge or OVS hands it to the TAP's tun_net_xmit, which puts it in the ring of the queue the packet was steered to. " +
    'The tool hooks tun_net_xmit itself where the kernel allows function hooks (fentry, kprobe), else net:net_dev_start_xmit, which runs for every packet any device sends (one BPF run each). ' +
    "The ring (a ptr_ring of txqueuelen entries) is drained by the queue's reader: vhost-net's worker, or QEMU or any process reading /dev/net/tun. " +
    'A full ring means the reader fell behind, and the TAP drops the packet (FULL_RING). ' +
    '--dwell adds the time from transmit to the reader copying the packet out (one more BPF run per packet read from any socket). Output fields: docs/output-fields.md',
  hooks: [startXmitHook, dropHook, copyHook],
  hooksFor: (o) => tunRingHooks(o.dwell),
  uses: { filter: 'device', interval: 5, top: 20 },
  options: (y) =>
    y.option('dwell', { type: 'boolean', default: false, describe: 'also time each packet from its transmit into the TAP until the reader copies it out' }),
  schema: { dwell: z.boolean() },
  object,
  maps: { queues: { key: tunKey, value: tunQueueStats }, drops: { key: tunDropKey, value: 8 } },
  rodata: (o) => ({ targ_dwell: o.dwell }),
  start: ({ o, obj, signal }) => {
    const reasons = DropReasons.fromKernel();
    const queues = new KernelRows(obj.map('queues'), obj, { decode: decodeQueue, ...queueRowOps });
    const drops = new KernelRows(obj.map('drops'), obj, { decode: decodeDrop, ...dropRowOps });
    queues.sweepEvery(signal);
    drops.sweepEvery(signal);
    return {
      read: () => ({ queues: queues.read(), drops: drops.read() }),
      // The queue table is a hash (rows refused when full: map_full); only the drop table evicts.
      losses: () => ({ evicted: drops.evicted }),
      record: (d: { queues: Delta<QueueEntry>; drops: Delta<DropEntry> }, tick) => {
        const final = tick.type === 'final';
        const rows = queueRows(final ? d.queues.total : d.queues.interval, final ? d.drops.total : d.drops.interval, (c) => reasons.name(c), o.dwell);
        return { queues: rows.slice(0, o.top), more_queues: Math.max(0, rows.length - o.top) };
      },
      render: (rec) => renderTunText(rec, HISTOGRAMS),
    };
  },
});
