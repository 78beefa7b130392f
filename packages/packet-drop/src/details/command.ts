/** packet_drop_details: which packets does the kernel drop, one event each, with decoded headers? */
import {
  DropReasons,
  KallsymsSymbolizer,
  Sink,
  WallClock,
  decodePacket,
  encodeFilter,
  resolveFilter,
  programMisses,
  readLosses,
  runLifecycle,
  stopSignal,
  untilStopped,
  type ToolCommand,
} from '@netstrata/bpf-common';
import { RingReader } from '@netstrata/libbpf-ts';
import object from '../../build/bpf/packet_drop_details.bpf.o';
import { kfreeSkbHook } from '../hooks.ts';
import { decodeDropEvent, type DropEvent } from '../layout.ts';
import { protocolName, type DropResolver, type Flow } from '../resolve.ts';
import { makeResolver, reasonCode } from '../shared.ts';
import { detailsOptions, detailsSchema, type DetailsOptions } from './options.ts';
import { renderDetailsFinalText, renderEventText, type DetailsFinalRecord, type DropEventRecord } from './render.ts';

export const DESCRIBE = 'Which packets does the kernel drop? One event per dropped packet that passes the filters, with its headers decoded.';

export const detailsCommand: ToolCommand<typeof detailsSchema> = {
  name: 'packet_drop_details',
  describe: DESCRIBE,
  examples: [
    ['$0 --protocol tcp --dst-port 443', 'every dropped HTTPS packet, with TCP flags and sequence numbers'],
    ['$0 --interface eth0 --stack', 'drops on eth0 with kernel stacks'],
    ['$0 --reason NO_SOCKET --output json', 'packets to closed ports, as NDJSON'],
    ['$0 --netns blue --ip fd00::5', 'drops of packets to or from fd00::5 in namespace blue'],
  ],
  epilog: 'Lost events (ring buffer full) are counted and printed at exit. Output fields: docs/output-fields.md',
  options: detailsOptions,
  schema: detailsSchema,
  handler: runDetails,
};

export function eventRecord(e: DropEvent, clock: WallClock, r: DropResolver, stack: boolean): DropEventRecord {
  const headers = decodePacket(e.hdr, { start: e.hdrStart, l3Protocol: e.protocol });
  const loc = r.location(e.location);
  const rec: DropEventRecord = {
    type: 'event',
    tool: 'packet_drop_details',
    time: clock.toIso(e.tsNs),
    cpu: e.cpu,
    pid: e.pid,
    tid: e.tid,
    comm: e.comm,
    netns: e.netns,
    ifindex: e.ifindex,
    device: e.dev,
    reason: r.reasonName(e.reason),
    reason_code: e.reason,
    location: { symbol: loc?.symbol ?? '?', offset: loc?.offset ?? 0, address: `0x${e.location.toString(16)}` },
    len: e.pktLen,
    ethertype: e.protocol,
    flow: flowFromHeaders(headers) ?? null,
    headers,
  };
  if (stack) rec.stack = r.frames(e.stack);
  return rec;
}

function flowFromHeaders(h: ReturnType<typeof decodePacket>): Flow | undefined {
  if (h.arp) return { src: h.arp.senderIp, dst: h.arp.targetIp, sport: 0, dport: 0, protocol: 'ARP', arp_op: h.arp.op };
  const ip = h.ipv4 ?? h.ipv6;
  if (!ip) return undefined;
  const l4 = h.tcp ?? h.udp;
  const flow: Flow = {
    src: ip.src,
    dst: ip.dst,
    sport: l4?.sport ?? 0,
    dport: l4?.dport ?? 0,
    protocol: protocolName(h.ipv4 ? h.ipv4.protocol : h.ipv6!.nextHeader),
  };
  // The same shape as the summary's flows: ICMP carries its echo id and type/code, not ports.
  if (h.icmp) {
    flow.icmp_id = h.icmp.id ?? 0;
    flow.icmp_type = h.icmp.type;
    flow.icmp_code = h.icmp.code;
  }
  return flow;
}

export async function runDetails(o: DetailsOptions): Promise<void> {
  const filter = resolveFilter(o);
  const reasons = DropReasons.fromKernel();
  const reason = reasonCode(reasons, o.reason);
  const signal = stopSignal();
  const sink = new Sink(o.output);
  const clock = new WallClock();
  await runLifecycle(
    {
      name: 'packet_drop_details',
      object,
      hooks: [kfreeSkbHook],
      rodata: { targ_filter: encodeFilter(filter), targ_reason: reason, targ_stack: o.stack },
      beforeLoad: (obj) => obj.map('events').setMaxEntries(o.ringSize * 1024),
      run: async ({ obj, signal }) => {
        // Read after attaching: ready sooner, and the kernel's symbols are what they are now.
        const symbols = KallsymsSymbolizer.fromProc();
        if (!symbols.available) sink.info('packet_drop_details', `locations shown as addresses: ${symbols.reason}`);
        const resolver = makeResolver(reasons, symbols);
        let events = 0;
        const reader = new RingReader(obj.map('events'), (data) => {
          const e = decodeDropEvent(data);
          const rec = eventRecord(e, clock, resolver, o.stack);
          events++;
          sink.record(rec, () => renderEventText(rec, resolver, clock.micros(e.tsNs)));
        });
        reader.start();
        await untilStopped({ durationMs: o.duration * 1000, signal });
        reader.drain();
        reader.close();
        const losses = readLosses(obj.map('lost'));
        const fin: DetailsFinalRecord = {
          type: 'final',
          tool: 'packet_drop_details',
          time: new Date().toISOString(),
          events,
          lost: losses.lost,
          stack_failed: losses.stack_failed,
          missed: programMisses(obj),
        };
        sink.record(fin, () => renderDetailsFinalText(fin));
      },
    },
    { signal, verbose: o.verbose, readyFile: o.readyFile, log: (m) => sink.info('packet_drop_details', m) },
  );
}
