/**
 * A TAP whose reader stalls: a VM's NIC (a TAP read by a relay, as QEMU or vhost-net would) with a
 * ring of 64 packets. The reader reads 100 datagrams, then stops; 300 more fill the ring and the
 * rest are dropped, FULL_RING at tun_net_xmit on queue 0. Truth: the TAP's own tx_dropped. (The
 * ring takes up to 64: the kernel clears the slots a reader emptied in batches, so a few it read
 * last may still count as taken.)
 */
import { sendUdp, startSink } from '../traffic.ts';
import { TapRelay, tapStats, tapVm } from '../tap-vm.ts';
import { until } from '../wait.ts';
import { expectLab } from './measure.ts';
import type { LabCase } from './types.ts';

const RING = 64;
const BEFORE = 100;
const STALLED = 300;

export const tapRing: LabCase = {
  name: 'tap-ring',
  title: "a TAP ring that fills because its reader stalls",
  what: `The reader of a VM's TAP stops reading: its ring of ${RING} fills and the host drops the packets after it.`,
  duration: 8,
  async build(lab) {
    const { host, guest, addrs } = tapVm(lab, RING);
    // The guest takes what it reads: no drop of its own for want of a socket.
    const sink = await startSink(guest, { protocol: 'udp', bind: addrs.guest.v4, port: 8080 });
    const relay = await TapRelay.start(host, guest).catch(async (e: unknown) => {
      await sink.stop();
      throw e;
    });
    return {
      diagnoseArgs: ['--netns', host.name],
      async inject() {
        const t0 = tapStats(host);
        expectLab('datagrams sent to the VM', sendUdp(host, { dst: addrs.guest.v4, dport: 8080, count: BEFORE }).sent, BEFORE);
        await until(async () => (await relay.command('stats')).to_guest >= BEFORE, 'the reader to read the first datagrams');
        await relay.command('pause');
        expectLab('datagrams sent to the stalled VM', sendUdp(host, { dst: addrs.guest.v4, dport: 8080, count: STALLED }).sent, STALLED);
        const t1 = tapStats(host);
        expectLab('datagrams the reader took', t1.packets - t0.packets, BEFORE);
        const dropped = t1.dropped - t0.dropped;
        if (dropped < STALLED - RING || dropped >= STALLED) throw new Error(`the lab did not do what it meant: the TAP dropped ${dropped} of ${STALLED} with a ring of ${RING}`);
        return {
          kind: 'drops',
          items: [{ what: `the TAP's ring (${RING}) full while its reader stalls`, reason: 'FULL_RING', location: 'tun_net_xmit', device: 'tap0', count: dropped }],
          threads: [{ pid: relay.child.pid!, role: 'TAP queue reader' }],
          notes: [`${BEFORE} datagrams read by the VM, then ${STALLED} sent while its reader stalled: ${STALLED - dropped} wait in the ring`],
        };
      },
      follow() {
        // A few datagrams every 200 ms into the still-full ring: each a FULL_RING drop for
        // tun_ring_details, with the stalled reader named.
        const timer = setInterval(() => sendUdp(host, { dst: addrs.guest.v4, dport: 8080, count: 5 }), 200);
        return async () => clearInterval(timer);
      },
      async stop() {
        // The ring is left full until diagnose is done: read now, it would be delivered (or dropped) in the window.
        await relay[Symbol.asyncDispose]();
        await sink.stop();
      },
    };
  },
};
