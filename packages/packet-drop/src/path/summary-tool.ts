/** packet_path_summary: is the loss in this host or outside it? */
import { KallsymsSymbolizer, defineSummary } from '@netstrata/bpf-common';
import { z } from 'zod';
import object from '../../build/bpf/packet_path_summary.bpf.o';
import { pathHooks } from '../hooks.ts';
import { kernelReasons, kernelResolver } from '../resolve.ts';
import { Classified, snapshot } from './collect.ts';
import { pathKey, pathReq, pathStats } from './layout.ts';
import { PATH_EPILOG, pathInterfaces, pathRodata, pathSchema, withPathOptions } from './options.ts';
import { emptySnapshot, pathFields, renderPathText, type PathSnapshot } from './report.ts';
import { PendingRequests, drainPending } from './tracker.ts';

export const packetPathSummary = defineSummary({
  name: 'packet_path_summary',
  domain: 'packet-drop',
  describe:
    'Is the loss in this host or outside it? Follows each request (ICMP echo, TCP segment, UDP datagram) from the interface it enters by to the one it leaves by, and its reply back, and counts requests by fate: complete, dropped in this host on the way in or back, or lost outside; with the time of each leg.',
  examples: [
    ['$0 --rx-interface vnet0 --tx-interface eth0', "a VM's requests through this host to the network and back, every 5 seconds"],
    ['$0 --rx-interface eth1 --tx-interface eth0 --protocol icmp --ip 10.1.0.7', 'pings of one host through a router'],
    ['$0 --netns r1 --rx-interface 3 --tx-interface 4 --protocol udp --dst-port 53 --output json', 'DNS through interfaces of namespace r1, as NDJSON'],
  ],
  epilog: `${PATH_EPILOG} Output fields: docs/output-fields.md`,
  hooks: pathHooks,
  uses: { filter: 'flow', interval: 5 },
  options: (y) => withPathOptions(y).option('histograms', { type: 'boolean', default: false, describe: 'draw the legs of complete requests in the text report' }),
  schema: { ...pathSchema, histograms: z.boolean() },
  check: (o) => void pathInterfaces(o),
  object,
  maps: { pending: { key: pathKey, value: pathReq }, stats: { key: 4, value: pathStats } },
  rodata: (o) => pathRodata(pathInterfaces(o)),
  start: ({ o, obj, signal, info }) => {
    const names = { rx: pathInterfaces(o).rx.name, tx: pathInterfaces(o).tx.name };
    const symbols = KallsymsSymbolizer.fromProc();
    if (!symbols.available) info(`drop locations shown as addresses: ${symbols.reason}`);
    const classified = new Classified(kernelResolver(kernelReasons(), symbols));
    const pending = new PendingRequests(obj.map('pending'), BigInt(o.timeoutMs) * 1_000_000n);
    // Classified as they time out, not only at reports: the table holds a timeout's worth.
    const timer = setInterval(() => classified.add(pending.expire()), Math.max(10, Math.min(250, o.timeoutMs / 4)));
    timer.unref();
    signal.addEventListener('abort', () => clearInterval(timer), { once: true });
    let last: PathSnapshot | undefined;
    return {
      read: () => {
        classified.add(pending.expire());
        return snapshot(obj, classified, pending.inFlight());
      },
      record: (snap: PathSnapshot, tick) => {
        const fields = pathFields(snap, tick.type === 'final' ? undefined : (last ?? emptySnapshot()), names);
        last = snap;
        return fields;
      },
      render: (rec) => renderPathText(rec, o.histograms),
      finish: () => drainPending(pending, o.timeoutMs, () => classified.add(pending.expire())),
    };
  },
});
