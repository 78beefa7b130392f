/** tun_ring_details: which packets does a TAP drop, and what did its ring look like then? */
import { DropReasons, KallsymsSymbolizer, defineDetails } from '@netstrata/bpf-common';
import { z } from 'zod';
import object from '../../build/bpf/tun_ring_details.bpf.o';
import { dropHook, readHook, startXmitHook, tunDetailsHooks } from '../hooks.ts';
import { decodeEvent } from '../layout.ts';
import { eventFields, renderEventText, renderFinalText } from './render.ts';

export const tunRingDetails = defineDetails({
  name: 'tun_ring_details',
  domain: 'tun',
  describe:
    "Which packets does a TAP drop, and what did its ring look like then? One event per packet a TAP or TUN device drops (FULL_RING above all), with the queue, its ring's producer and consumer positions, the packet's flow, the task that sent it, and the queue's reader with the time since its last read.",
  examples: [
    ['$0', 'every packet any TAP or TUN device drops, with its ring and reader'],
    ['$0 --netns vm1 --interface tap0 --dst 10.0.0.2', "one VM's TAP, packets to one address"],
    ['$0 --interface tap0 --all --output json', 'every transmit into tap0 too (one event per packet: for short looks), as NDJSON'],
  ],
  epilog:
    "A TAP drops a packet for its VM when the queue's ring is full (FULL_RING: the reader, vhost-net's worker or QEMU, fell behind) or when no reader is attached at the queue. " +
    "The reader is the task that last read from the queue and the time since: a reader that last read long before a full-ring drop is stalled; one that read just before is too slow. " +
    'Drops hook skb:kfree_skb (every drop on the host, the TAP\'s kept); frames the TAP received from its reader and the host stack dropped later are the drop tools\' business and are left out. ' +
    "Reads hook tun_recvmsg and tun_chr_read_iter where the kernel allows function hooks, else skb:skb_copy_datagram_iovec (one BPF run per packet any socket reads). " +
    '--all adds the transmit hook of tun_ring_summary. Lost events (ring buffer full) are counted and printed at exit. Output fields: docs/output-fields.md',
  hooks: [dropHook, readHook, startXmitHook],
  hooksFor: (o) => tunDetailsHooks(o.all),
  uses: { filter: 'packet' },
  options: (y) => y.option('all', { type: 'boolean', default: false, describe: 'also one event per transmit into a TAP queue (every packet to the VM)' }),
  schema: { all: z.boolean() },
  object,
  rodata: (o) => ({ targ_all: o.all }),
  start: ({ clock, info }) => {
    const reasons = DropReasons.fromKernel();
    const symbols = KallsymsSymbolizer.fromProc();
    if (!symbols.available) info(`drop locations shown as addresses: ${symbols.reason}`);
    const resolve = {
      reasonName: (code: number) => reasons.name(code),
      location: (addr: bigint) => {
        const s = symbols.resolve(addr);
        return s ? { symbol: s.symbol, offset: s.offset } : undefined;
      },
    };
    return {
      event: (data) => eventFields(decodeEvent(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)), clock, resolve),
      render: renderEventText,
      renderFinal: renderFinalText,
    };
  },
});
