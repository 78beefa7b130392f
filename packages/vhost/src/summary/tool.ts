/** vhost_signal_summary: what does each vhost worker do for its guest's virtqueues? */
import { KernelRows, defineSummary, type Delta } from '@netstrata/bpf-common';
import { z } from 'zod';
import object from '../../build/bpf/vhost_signal_summary.bpf.o';
import { vhostSignalHooks, vhostSignalHooksFor } from '../hooks.ts';
import { decodeVq, decodeWorker, vhostKey, vhostVqStats, vhostWorkerStats, type VqEntry, type WorkerEntry } from '../layout.ts';
import { renderVhostText, vqRowOps, vqRows, workerRowOps, workerRows } from './report.ts';

export const vhostSignalSummary = defineSummary({
  name: 'vhost_signal_summary',
  domain: 'vhost',
  describe:
    "What does each vhost worker do for its guest's virtqueues? Per virtqueue: the guest's kicks, the worker's handler runs and the buffers each gave back, the interrupts it signalled to the guest and the ones the guest's notification flags suppressed, and how often it found the ring empty; per worker, its waits for a CPU.",
  examples: [
    ['$0', 'every vhost virtqueue on the host, every 5 seconds'],
    ['$0 --interval 1 --top 4', 'the four busiest virtqueues, every second'],
    ['$0 --worker-wait', "also how long each vhost worker waits for a CPU once woken"],
    ['$0 --output json --duration 30', 'one 30-second record of every queue, as NDJSON'],
  ],
  epilog:
    'vhost-net moves a VM\'s packets between its virtio rings and the TAP: the guest kicks a queue (an eventfd write, from KVM), the vhost worker thread (vhost-<pid of the VM\'s process>) runs handle_tx or handle_rx, gives the buffers back as used entries, then signals the guest (its call eventfd, an interrupt via KVM\'s irqfd) unless the guest said not to (VRING_AVAIL_F_NO_INTERRUPT, or with EVENT_IDX a used_event not yet reached). ' +
    'An RX queue found empty while packets wait means the guest has not refilled its buffers: the TAP\'s ring then fills and drops (see tun_ring_summary). ' +
    'vhost has no tracepoints: the tool hooks functions of the vhost and vhost_net modules (fentry, else kprobe): one BPF run per kick and per wakeup of vhost by the TAP (about one per packet to the VM), a few per batch of buffers given back, and with --worker-wait the scheduler\'s wakeup and switch for the workers\' waits. It needs the modules loaded (a VM with vhost=on, or modprobe vhost_net). Output fields: docs/output-fields.md',
  hooks: vhostSignalHooks,
  hooksFor: (o) => vhostSignalHooksFor(o.workerWait),
  uses: { interval: 5, top: 20 },
  options: (y) =>
    y.option('worker-wait', { type: 'boolean', default: false, describe: "also time each worker's waits for a CPU (hooks the scheduler: two BPF runs per context switch on the host)" }),
  schema: { workerWait: z.boolean() },
  object,
  maps: { queues: { key: vhostKey, value: vhostVqStats }, workers: { key: 4, value: vhostWorkerStats } },
  rodata: () => ({}),
  start: ({ o, obj, signal }) => {
    const queues = new KernelRows(obj.map('queues'), obj, { decode: decodeVq, ...vqRowOps });
    const workers = new KernelRows(obj.map('workers'), obj, { decode: decodeWorker, ...workerRowOps });
    queues.sweepEvery(signal);
    workers.sweepEvery(signal);
    return {
      read: () => ({ queues: queues.read(), workers: workers.read() }),
      losses: () => ({}),
      record: (d: { queues: Delta<VqEntry>; workers: Delta<WorkerEntry> }, tick) => {
        const final = tick.type === 'final';
        const rows = vqRows(final ? d.queues.total : d.queues.interval);
        return { queues: rows.slice(0, o.top), more_queues: Math.max(0, rows.length - o.top), workers: workerRows(final ? d.workers.total : d.workers.interval) };
      },
      render: (rec) => renderVhostText(rec),
    };
  },
});
