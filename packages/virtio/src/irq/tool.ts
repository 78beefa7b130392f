/** virtnet_irq_summary: what do the virtio-net interrupts of this guest do? */
import { statSync } from 'node:fs';
import { KernelRows, defineSummary, type Delta } from '@netstrata/bpf-common';
import object from '../../build/bpf/virtnet_irq_summary.bpf.o';
import { queueRodata, virtnetIrqHooks } from '../hooks.ts';
import { decodeIrq, readStates, virtioIrqKey, virtioIrqRow, virtioQKey, virtioQState, type IrqEntry } from '../layout.ts';
import { isVirtioNet, netDevices, readInterrupts, virtioNetIrqs, type VirtioIrq } from './irqs.ts';
import { irqFields, irqRowOps, renderIrqText } from './report.ts';

export const virtnetIrqSummary = defineSummary({
  name: 'virtnet_irq_summary',
  domain: 'virtio',
  describe:
    "What do the virtio-net interrupts of this guest do? Per interrupt vector (found by the kernel's name for it): handler runs, the share that found nothing to do (IRQ_NONE), the CPUs they ran on, and for a queue's vector the queue's interrupts as its last poll left them.",
  examples: [
    ['$0', "every virtio-net interrupt in this guest, every 5 seconds"],
    ['$0 --interface eth0 --interval 1', "one NIC's vectors, every second"],
    ['$0 --netns vm-side --interface eth1', 'a NIC moved into a network namespace'],
    ['$0 --output json --duration 30', 'one 30-second record, as NDJSON'],
  ],
  epilog:
    'Run it inside the guest. Each virtio-net queue has its own interrupt vector where the device offers enough (virtioN-input.Q for RX queue Q, virtioN-output.Q for TX, virtioN-config), else one for all queues (virtioN-virtqueues) or a legacy line (virtioN). The tool finds them by those names in /proc/interrupts, for the virtio devices virtio_net drives. ' +
    "IRQ_NONE: the handler found no new used buffer on its queue (the device interrupted for nothing, or a busy poller took the buffers first). CPUS shows where the vector is delivered: one CPU taking every queue's interrupts is a bottleneck (irqbalance, smp_affinity). " +
    "INTERRUPTS is the queue's state after its last NAPI poll: 'off' while a poll (or a busy poller) owns the queue; off with buffers waiting and no poll for a second is STALLED. " +
    "Hooks irq:irq_handler_exit (one BPF run per interrupt of any device) and, for the state, virtio_net's poll functions (fexit: one run per virtio-net poll) else napi:napi_poll (one per NAPI poll of any device). Output fields: docs/output-fields.md",
  hooks: virtnetIrqHooks,
  uses: { filter: 'device', interval: 5, top: 20 },
  object,
  maps: { rows: { key: virtioIrqKey, value: virtioIrqRow }, states: { key: virtioQKey, value: virtioQState } },
  rodata: () => queueRodata(true),
  start: ({ o, obj, signal, filter }) => {
    const rows = new KernelRows<IrqEntry>(obj.map('rows'), obj, { decode: decodeIrq, ...irqRowOps });
    rows.sweepEvery(signal);
    const followed = obj.map('irqs');
    const states = obj.map('states');
    // The network devices over the virtio devices: in --netns's namespace, or this one.
    const netns = filter.netns || statSync('/proc/self/ns/net').ino;
    let devices = new Map<string, { ifname: string; ifindex: number; netns: number }>();
    let irqs: VirtioIrq[] = [];
    const one = new Uint8Array(4);
    new DataView(one.buffer).setUint32(0, 1, true);
    /** Follows the virtio-net vectors there are now (a NIC can come and go), and names their devices. */
    const scan = () => {
      const found = virtioNetIrqs(readInterrupts(), isVirtioNet);
      const changed = found.length !== irqs.length || found.some((f, i) => f.irq !== irqs[i]?.irq || f.name !== irqs[i]?.name);
      // The devices are looked up again only for vectors to name (a host with none asks nothing).
      if (changed || (found.length && !devices.size)) {
        devices = new Map(netDevices(filter.netnsPath).flatMap((d) => (d.virtio ? [[d.virtio, { ifname: d.ifname, ifindex: d.ifindex, netns }] as const] : [])));
        // --interface: that NIC's vectors; --netns alone: those of the NICs in that namespace.
        const wanted = filter.ifindex || filter.netns ? new Set([...devices].filter(([, d]) => !filter.ifindex || d.ifindex === filter.ifindex).map(([v]) => v)) : undefined;
        irqs = found.filter((i) => !wanted || wanted.has(i.virtio));
        for (const i of irqs) followed.update(new Uint8Array(new Uint32Array([i.irq]).buffer), one);
      }
    };
    scan();
    return {
      read: () => {
        scan();
        return { rows: rows.read(), states: readStates(states) };
      },
      losses: () => ({}),
      record: (d: { rows: Delta<IrqEntry>; states: ReturnType<typeof readStates> }, tick) =>
        irqFields(tick.type === 'final' ? d.rows.total : d.rows.interval, { irqs, devices, states: d.states }, { top: o.top, nowNs: process.hrtime.bigint() }),
      render: (rec) => renderIrqText(rec),
    };
  },
});
