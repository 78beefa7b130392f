/** vhost_queue_details: which vhost virtqueues hit a notable state, and when? */
import { defineDetails } from '@netstrata/bpf-common';
import { z } from 'zod';
import object from '../../build/bpf/vhost_queue_details.bpf.o';
import { vhostQueueHooks } from '../hooks.ts';
import { decodeEvent } from '../layout.ts';
import { eventFields, renderEventText, renderFinalText } from './render.ts';

export const vhostQueueDetails = defineDetails({
  name: 'vhost_queue_details',
  domain: 'vhost',
  describe:
    "Which vhost virtqueues hit a notable state, and when? One event per RX ring found empty while a packet waits (the guest did not refill its buffers), per TX run that finds the guest's whole TX ring posted and waiting (the guest cannot send until vhost catches up), and per stretch of buffers given back with no interrupt to the guest for at least the threshold (the guest's flags suppressed them), with the queue's indexes.",
  examples: [
    ['$0', 'every RX ring a guest left empty, and every stretch of 1 ms or more without an interrupt'],
    ['$0 --suppressed-threshold-us 10000 --output json', 'stretches of 10 ms or more without an interrupt, as NDJSON'],
  ],
  epilog:
    "An RX ring empty while packets wait is the start of drops at the TAP (FULL_RING in tun_ring_summary): the guest's driver is not refilling, because it is slow, stuck or polling with interrupts off. " +
    'A long stretch without interrupts while vhost keeps giving buffers back means the guest asked not to be told (VRING_AVAIL_F_NO_INTERRUPT, or EVENT_IDX) and must be polling; if it is not, its packets wait. ' +
    'Function hooks on the vhost modules (fentry, else kprobe), as vhost_signal_summary. Lost events (ring buffer full) are counted and printed at exit. Output fields: docs/output-fields.md',
  hooks: vhostQueueHooks,
  uses: {},
  options: (y) => y.option('suppressed-threshold-us', { type: 'number', default: 1000, describe: 'report a stretch without interrupts to the guest once it has lasted this long (µs)' }),
  schema: { suppressedThresholdUs: z.number().positive('must be a positive number of microseconds') },
  object,
  rodata: (o) => ({ targ_suppressed_ns: BigInt(Math.round(o.suppressedThresholdUs * 1000)) }),
  start: ({ clock }) => ({
    event: (data) => eventFields(decodeEvent(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)), clock),
    render: renderEventText,
    renderFinal: renderFinalText,
  }),
});
