/**
 * An OVS upcall tail caused by slowed handler threads: on the switched lab (a — pa [Open vSwitch
 * bridge, kernel datapath, in namespace sw] pb — b; megaflows off, so each new flow is one upcall),
 * a sends N new UDP flows to b unhindered, then K more, each while ovs-vswitchd is stopped
 * (SIGSTOP): the flow's first packet goes up, the datapath counts the miss, and the handler
 * threads answer it only when ovs-vswitchd is let go (SIGCONT) HOLD_MS later.
 *
 * Truth: the datapath's own counters (ovs-dpctl show: missed = upcalls, N + K; lost: none), b's
 * nftables counter of the datapath's packets it got (N + K: every flow delivered, the held ones
 * too), and each hold timed by this process's clock from the miss the datapath counted to the
 * resume (the upcall waited at least that).
 *
 * Under the guest tier's emulated CPUs (QEMU TCG, Debian 6.12 guest) an upcall nothing holds took
 * 1 to 8 ms once ovs-vswitchd had handled a few (flows one at a time, five or thirty at once), but
 * the first few after it started took 12 to 130 ms: the case sends some flows before diagnose is
 * attached, and diagnose runs with --latency-ms 100: the held upcalls (250 ms and more) are past
 * it, the others well short of it.
 */
import { ovsAvailable } from '../ovs.ts';
import { ADDRS, switched } from '../ovs-lab.ts';
import { sendUdp } from '../traffic.ts';
import { until } from '../wait.ts';
import { expectLab, nftCounter } from './measure.ts';
import type { LabCase } from './types.ts';

const N = 30;
const K = 4;
const HOLD_MS = 250;
/** New flows per send: a few at a time, so the unhindered upcalls never queue behind many others. */
const PER_SEND = 5;
const LATENCY_MS = 100;
/** New flows sent before diagnose is attached. */
const WARM = 10;

/** How to run the case where this kernel has no datapath: in a guest kernel of the guest tier. */
export const OVS_UPCALL_IN_GUEST = 'npm run guest -- --kernel debian-6.12 -- node test-harness/dist/lab.js run ovs-upcall';

export const ovsUpcall: LabCase = {
  name: 'ovs-upcall',
  title: 'an OVS upcall tail caused by slowed handler threads',
  what: `ovs-vswitchd's handler threads stall ${HOLD_MS} ms while ${K} of ${N + K} new flows wait in their upcall: those flows' first packets arrive that late.`,
  duration: 40,
  async build(lab) {
    const available = ovsAvailable();
    if (available !== true) throw new Error(`this case needs Open vSwitch's kernel datapath (${available}); run it in a guest kernel: ${OVS_UPCALL_IN_GUEST}`);
    const { a, sw, b, ovs } = switched(lab);
    try {
      // b counts the flows' packets and drops them: no ICMP error goes back up through the datapath.
      b.nft('table inet lab {\n  counter got {}\n  chain input {\n    type filter hook input priority 0; policy accept;\n    udp dport 8000-8999 drop\n    udp dport 9000-9999 counter name "got" drop\n  }\n}\n');
      // The first upcalls after ovs-vswitchd starts are slow under an emulated CPU (up to 130 ms
      // measured): a few flows before diagnose is attached leave the case's own upcalls ordinary.
      for (let i = 0; i < WARM; i += PER_SEND) {
        expectLab('warm-up flows sent', sendUdp(a, { dst: ADDRS.v4[1], dport: 8000 + i, dportCount: PER_SEND, count: PER_SEND }).sent, PER_SEND);
      }
      await until(() => ovs.lookups().missed >= WARM && ovs.datapathFlows().filter((f) => /dst=80\d\d\)/.test(f)).length >= WARM, 'the warm-up flows in the datapath');
    } catch (e) {
      ovs.stop();
      throw e;
    }
    const got = () => nftCounter(b, 'lab', 'got');
    return {
      diagnoseArgs: ['--netns', sw.name, '--protocol', 'udp', '--latency-ms', String(LATENCY_MS)],
      async inject() {
        const l0 = ovs.lookups();
        for (let i = 0; i < N; i += PER_SEND) {
          expectLab('new flows sent', sendUdp(a, { dst: ADDRS.v4[1], dport: 9000 + i, dportCount: PER_SEND, count: PER_SEND }).sent, PER_SEND);
          await until(() => got() >= i + PER_SEND, 'b to get the unhindered flows');
        }
        const holds: { least: number; most: number }[] = [];
        for (let k = 0; k < K; k++) {
          const before = ovs.lookups().missed;
          ovs.pause();
          let [sending, missed] = [0, 0];
          try {
            sending = performance.now();
            expectLab('held flow sent', sendUdp(a, { dst: ADDRS.v4[1], dport: 9500 + k, count: 1 }).sent, 1);
            // The packet is up, waiting for a handler, once the datapath has counted the miss.
            await until(() => ovs.lookups().missed > before, 'the datapath to send the held flow up');
            missed = performance.now();
            await new Promise((r) => setTimeout(r, HOLD_MS));
          } finally {
            ovs.resume();
          }
          const resumed = performance.now();
          holds.push({ least: resumed - missed, most: resumed - sending });
          await until(() => got() >= N + k + 1, 'b to get the held flow');
        }
        const l1 = ovs.lookups();
        expectLab('upcalls (the datapath missed)', l1.missed - l0.missed, N + K);
        expectLab('upcalls that failed (the datapath lost)', l1.lost - l0.lost, 0);
        expectLab('packets b got', got(), N + K);
        const ms = (x: number) => x.toFixed(0);
        return {
          kind: 'latency',
          items: [{ what: `${K} upcalls held while ovs-vswitchd was stopped ${HOLD_MS} ms`, stage: 'ovs_upcall', count: K }],
          notes: [
            `${N + K} new UDP flows a → b, one upcall each (the datapath missed ${N + K}, lost none), every one delivered`,
            `the held upcalls waited at least ${holds.map((h) => ms(h.least)).join(', ')} ms (from the miss to the resume; at most ${holds.map((h) => ms(h.most)).join(', ')} ms from the send)`,
          ],
        };
      },
      async stop() {
        ovs.stop();
      },
    };
  },
};
