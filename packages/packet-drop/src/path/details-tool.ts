/** packet_path_details: which requests were lost, and where? */
import { KallsymsSymbolizer, defineDetails } from '@netstrata/bpf-common';
import { z } from 'zod';
import object from '../../build/bpf/packet_path_details.bpf.o';
import { pathHooks } from '../hooks.ts';
import { kernelReasons, kernelResolver } from '../resolve.ts';
import { pathEventFields, renderPathEvent, renderPathFinal, zeroStates, type PathFinalFields } from './events.ts';
import { STATES, pathEvent, pathKey, pathReq, pathStats } from './layout.ts';
import { PATH_EPILOG, pathInterfaces, pathRodata, pathSchema, withPathOptions } from './options.ts';
import { PendingRequests, drainPending } from './tracker.ts';

export const packetPathDetails = defineDetails({
  name: 'packet_path_details',
  domain: 'packet-drop',
  describe:
    'Which requests were lost, and where: in this host on the way in, outside it, or in this host on the way back? One event per request that did not complete (every one with --all), with its flow, the time of each leg it finished, and the kernel\'s drop reason and location when it dropped it.',
  examples: [
    ['$0 --rx-interface vnet0 --tx-interface eth0', "each of a VM's requests that got no reply through this host"],
    ['$0 --rx-interface eth1 --tx-interface eth0 --protocol icmp --all', 'every ping through a router, complete ones too'],
    ['$0 --netns r1 --rx-interface veth-a --tx-interface veth-b --protocol tcp --port 443 --output json', 'HTTPS segments and their ACKs through namespace r1, as NDJSON'],
  ],
  epilog: `${PATH_EPILOG} An event is printed when its request is classified: at once when the kernel finishes it, else after --timeout-ms. Output fields: docs/output-fields.md`,
  hooks: pathHooks,
  uses: { filter: 'flow' },
  options: (y) => withPathOptions(y).option('all', { type: 'boolean', default: false, describe: 'also one event per complete request' }),
  schema: { ...pathSchema, all: z.boolean() },
  check: (o) => void pathInterfaces(o),
  object,
  maps: { pending: { key: pathKey, value: pathReq }, stats: { key: 4, value: pathStats } },
  rodata: (o) => ({ ...pathRodata(pathInterfaces(o)), targ_all: o.all }),
  start: ({ o, obj, clock, info }) => {
    const symbols = KallsymsSymbolizer.fromProc();
    if (!symbols.available) info(`drop locations shown as addresses: ${symbols.reason}`);
    const resolver = kernelResolver(kernelReasons(), symbols);
    const pending = new PendingRequests(obj.map('pending'), BigInt(o.timeoutMs) * 1_000_000n);
    const states = zeroStates();
    return {
      pollMs: Math.max(10, Math.min(250, o.timeoutMs / 4)),
      event: (data) => {
        const e = pathEvent.decode(data);
        const state = STATES[e.state];
        if (!state) return undefined;
        states[state]++;
        return pathEventFields(e.key, e.req, state, state !== 'complete', clock, resolver);
      },
      poll: (emit) => {
        for (const x of pending.expire()) {
          if (x.state === 'complete' && !o.all) continue;
          states[x.state]++;
          emit(pathEventFields(x.key, x.req, x.state, false, clock, resolver));
        }
      },
      // The poll timer runs on meanwhile: what expires is printed as it does.
      finish: () => drainPending(pending, o.timeoutMs, () => {}),
      render: renderPathEvent,
      final: (): PathFinalFields => ({ states: { ...states }, in_flight: pending.inFlight() }),
      renderFinal: renderPathFinal,
    };
  },
});
