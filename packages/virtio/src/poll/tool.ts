/** virtnet_poll_summary: how does each virtio-net queue of this guest get polled? */
import { KernelRows, defineSummary, type Delta } from '@netstrata/bpf-common';
import { z } from 'zod';
import object from '../../build/bpf/virtnet_poll_summary.bpf.o';
import { queueRodata, virtnetPollHooks } from '../hooks.ts';
import { decodePoll, readStates, virtioPollRow, virtioQKey, virtioQState, type PollEntry } from '../layout.ts';
import { pollFields, pollRowOps, renderPollText } from './report.ts';

export const virtnetPollSummary = defineSummary({
  name: 'virtnet_poll_summary',
  domain: 'virtio',
  describe:
    "How does each virtio-net queue of this guest get polled? Per queue: NAPI polls by what ran them (the softirq after an interrupt, a busy-polling socket, a NAPI thread), packets per poll against the budget, polls that used it all or found nothing, and the queue's interrupts as each poll left them.",
  examples: [
    ['$0', "every virtio-net RX queue in this guest, every 5 seconds"],
    ['$0 --interface eth0 --interval 1', "one NIC's queues, every second"],
    ['$0 --tx', 'the TX queues too (their polls free transmitted buffers)'],
    ['$0 --output json --duration 30', 'one 30-second record, as NDJSON'],
  ],
  epilog:
    "Run it inside the guest. A virtio-net RX queue is drained by NAPI: the device's interrupt schedules a poll, the driver turns the queue's interrupts off (virtqueue callbacks), and the poll takes up to its budget of packets; a poll that takes fewer completes and turns them back on, one that uses its whole budget runs again. " +
    'With busy polling (net.core.busy_read / busy_poll, SO_BUSY_POLL) a socket\'s receive call runs the poll itself and the queue\'s interrupts stay off while it does: polls without interrupts. ' +
    "INTERRUPTS is the queue's state after its last poll: off with buffers waiting and no poll for a second is a STALLED queue, whose packets nothing will take until a poller comes back, while the host's TAP ring behind it fills (tun_ring_summary on the host: FULL_RING). " +
    "Hooks the return of virtio_net's poll functions (fexit: one BPF run per virtio-net poll, nothing for other devices), else napi:napi_poll (one run per NAPI poll of any device: on a host whose veth pairs carry a flood, about one per packet); never per packet by itself. The queue and its state come from virtio_net's and virtio_ring's structs in the kernel's BTF (without them: queue -1, state unknown). Output fields: docs/output-fields.md",
  hooks: virtnetPollHooks,
  uses: { filter: 'device', interval: 5, top: 20 },
  options: (y) => y.option('tx', { type: 'boolean', default: false, describe: "also the TX queues' polls (they free the buffers of transmitted packets)" }),
  schema: { tx: z.boolean() },
  object,
  maps: { rows: { key: virtioQKey, value: virtioPollRow }, states: { key: virtioQKey, value: virtioQState } },
  rodata: (o) => queueRodata(o.tx),
  start: ({ o, obj, signal }) => {
    const rows = new KernelRows<PollEntry>(obj.map('rows'), obj, { decode: decodePoll, ...pollRowOps });
    rows.sweepEvery(signal);
    const states = obj.map('states');
    const names = new Map<string, string>();
    return {
      read: () => {
        const d = rows.read();
        for (const { key, val } of d.total) if (val.name) names.set(`${key.netns}/${key.ifindex}`, val.name);
        return { rows: d, states: readStates(states) };
      },
      losses: () => ({}),
      record: (d: { rows: Delta<PollEntry>; states: ReturnType<typeof readStates> }, tick) =>
        pollFields(tick.type === 'final' ? d.rows.total : d.rows.interval, { states: d.states, names }, { top: o.top, nowNs: process.hrtime.bigint() }),
      render: (rec) => renderPollText(rec),
    };
  },
});
