/** packet_drop_details: which packets does the kernel drop, one event each, with decoded headers? */
import { z } from 'zod';
import { KallsymsSymbolizer, defineDetails } from '@netstrata/bpf-common';
import object from '../../build/bpf/packet_drop_details.bpf.o';
import { kfreeSkbHook } from '../hooks.ts';
import { decodeDropEvent } from '../layout.ts';
import { kernelReasons, kernelResolver, reasonCode } from '../resolve.ts';
import { dropEventJson } from './json.ts';
import { eventFields, renderEventText, renderFinalText } from './render.ts';

export const packetDropDetails = defineDetails({
  name: 'packet_drop_details',
  domain: 'packet-drop',
  describe: 'Which packets does the kernel drop? One event per dropped packet that passes the filters, with its headers decoded.',
  examples: [
    ['$0 --protocol tcp --dst-port 443', 'every dropped HTTPS packet, with TCP flags and sequence numbers'],
    ['$0 --interface eth0 --stack', 'drops on eth0 with kernel stacks'],
    ['$0 --reason NO_SOCKET --output json', 'packets to closed ports, as NDJSON'],
    ['$0 --netns blue --ip fd00::5', 'drops of packets to or from fd00::5 in namespace blue'],
  ],
  epilog: 'Lost events (ring buffer full) are counted and printed at exit. Output fields: docs/output-fields.md',
  hooks: [kfreeSkbHook],
  uses: { filter: 'packet' },
  options: (y) =>
    y
      .option('reason', { type: 'string', describe: 'only drops with this reason (kernel name, e.g. NO_SOCKET)' })
      .option('stack', { type: 'boolean', default: false, describe: 'add the kernel stack of each drop' }),
  schema: { reason: z.string().optional(), stack: z.boolean() },
  check: (o) => void reasonCode(kernelReasons(), o.reason),
  object,
  rodata: (o) => ({ targ_reason: reasonCode(kernelReasons(), o.reason), targ_stack: o.stack }),
  start: ({ o, clock, info }) => {
    // Read after attaching: ready sooner, and the kernel's symbols are what they are now.
    const symbols = KallsymsSymbolizer.fromProc();
    if (!symbols.available) info(`locations shown as addresses: ${symbols.reason}`);
    const resolver = kernelResolver(kernelReasons(), symbols);
    return {
      event: (data) => eventFields(decodeDropEvent(data), clock, resolver, o.stack),
      // NDJSON straight from the ring at a million events a second; stacks go through the record.
      json: o.stack ? undefined : dropEventJson(clock, resolver),
      render: renderEventText,
      renderFinal: renderFinalText,
    };
  },
});
