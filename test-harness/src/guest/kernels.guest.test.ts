/**
 * The guest tier: each guest kernel booted once under QEMU; inside it, every package's program
 * suite (every flavour of every hook loads, and attaches where the kernel offers it) and the drop
 * tool's exact fault tests; doctor's choices checked against what really attached; and the kernel
 * support matrix of docs/kernel-support.md written from the outcomes on this host and each guest.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlavourOutcome } from '@netstrata/bpf-common/testing';
import { guestFile } from '../agents.ts';
import { publishCaptured } from '../examples.ts';
import { bucketOf } from '../truth.ts';
import { guestTierRuns } from './tier.ts';
import { GUEST_KERNELS } from './kernels.ts';
import { prepareKernel } from './image.ts';
import { Guest } from './vm.ts';
import { renderMatrix, replaceMatrix, type KernelColumn } from './matrix.ts';
import { REPO, runSuite, runSuiteOnHost, type Suite } from './suites.ts';

/** npm run test:guest runs everything; CI (npm test) runs each verifier suite with the tools' own
 * rodata only (no variants) in the guests, and the fault tests in the oldest guest only. */
const FULL = process.env.NETSTRATA_GUEST_TIER === 'full';
const PROGRAMS: Suite[] = ['packet-drop', 'cpu', 'system-network', 'tun', 'vhost', 'vm-network'].map((p) => ({ dir: `packages/${p}`, file: 'src/programs.test.ts', baseOnly: !FULL }));
/** The drop tool's fault suite; CI runs its injected faults (each counted exactly, with this kernel's reason numbers). */
const DROPS: Suite = { dir: 'test-harness', file: 'src/packet-drop-summary.e2e.test.ts', only: FULL ? undefined : 'exactly 100 drops' };
/** The latency tools end to end; CI runs the tests that time every stage in both directions (the function stages among them). */
const LATENCY: Suite = { dir: 'test-harness', file: 'src/system-network-latency.e2e.test.ts', only: FULL ? undefined : '--stages, both directions' };
/** The vhost tool (and the tun tool with vhost as the TAP's reader) on vhost-net driven with no VM. */
const VHOST: Suite = { dir: 'test-harness', file: 'src/vhost.in-guest.test.ts', env: { NETSTRATA_EXAMPLES_OUT: '/mnt/out/examples' } };
/** The tun tools against TAP rings with a reader that stops or is slow. */
const TUN: Suite = { dir: 'test-harness', file: 'src/tun.e2e.test.ts' };
/** The vm-network tools on a VM bridged to an uplink (the whole tier only). */
const VMNET: Suite = { dir: 'test-harness', file: 'src/vm-network.e2e.test.ts' };

/** Debian 12's Open vSwitch, which starts no upcall handler while its monotonic clock reads under 10 s. */
const OVS_VERSION = /\(Open vSwitch\) (\S+)/.exec(spawnSync('ovs-vswitchd', ['--version'], { encoding: 'utf8' }).stdout ?? '')?.[1] ?? 'missing';
const OVS_BOOT_FAULT = OVS_VERSION === '3.1.0';

interface OvsRun {
  sent: number;
  received: number;
  handlers: number | null;
  datapath_flows: number;
}

/** A bridge between two namespaces in the guest and pings across it (guest/ovs-bridge.sh). */
async function ovsBridge(guest: Guest, pings: number, clockS?: number): Promise<OvsRun> {
  const out = await guest.check(['bash', guestFile('ovs-bridge.sh'), String(pings), ...(clockS === undefined ? [] : [String(clockS)])]);
  return JSON.parse(out.trim().split('\n').pop()!) as OvsRun;
}

const columns: KernelColumn[] = [];
const timings: string[] = [];

describe.runIf(guestTierRuns())('kernel support', () => {
  describe('this host', () => {
    const outcomes: FlavourOutcome[] = [];
    afterAll(() => void columns.unshift({ title: `this host (${release()})`, outcomes }));
    for (const suite of PROGRAMS) {
      it(`${suite.dir}: every program loads, and attaches where the kernel offers it`, () => {
        const r = runSuiteOnHost({ ...suite, baseOnly: false });
        expect(r.failed, r.log).toBe(0);
        expect(r.skipped, r.log).toBe(0);
        expect(r.passed).toBeGreaterThan(0);
        outcomes.push(...r.outcomes);
      });
    }
  });

  describe.each(GUEST_KERNELS)('$id guest', (kernel) => {
    let guest: Guest;
    const outcomes: FlavourOutcome[] = [];

    beforeAll(async () => {
      const t = performance.now();
      const image = prepareKernel(kernel);
      const prepared = (performance.now() - t) / 1000;
      guest = await Guest.boot(image);
      timings.push(`${kernel.id}: prepared in ${prepared.toFixed(1)} s, booted in ${guest.bootSeconds.toFixed(1)} s`);
    }, 600_000);
    afterAll(async () => {
      await guest?.shutdown();
      if (guest) columns.push({ title: `${kernel.id} (${guest.release})`, outcomes });
    });

    for (const suite of PROGRAMS) {
      it(`${suite.dir}: every program loads, and attaches where the kernel offers it`, async () => {
        const r = await runSuite(guest, suite);
        timings.push(`${kernel.id}: ${suite.dir} ${suite.file} in ${r.seconds.toFixed(0)} s`);
        expect(r.failed, r.log).toBe(0);
        expect(r.skipped, r.log).toBe(0);
        expect(r.passed).toBeGreaterThan(0);
        outcomes.push(...r.outcomes);
      });
    }

    it("doctor's choice for every hook is the flavour that attached first", async () => {
      const out = await guest.check(['node', `${REPO}/packages/cli/dist/netstrata.js`, 'doctor', '--output', 'json']);
      const report = JSON.parse(out) as { tools: { name: string; hooks: { hook: string; flavour: string | null }[] }[] };
      let compared = 0;
      for (const t of report.tools) {
        for (const h of t.hooks) {
          const tried = outcomes.filter((o) => o.tool === t.name && o.hook === h.hook && !o.variant);
          if (!tried.length) continue;
          const attached = tried.find((o) => o.result === 'attached')?.flavour ?? null;
          expect(`${t.name} ${h.hook}: ${h.flavour}`).toBe(`${t.name} ${h.hook}: ${attached}`);
          compared++;
        }
      }
      expect(compared).toBeGreaterThan(20);
    });

    it('Open vSwitch forwards between two ports on the kernel datapath', async () => {
      const out = await ovsBridge(guest, 20);
      expect(out.handlers).toBeGreaterThan(0);
      expect(out.received).toBe(out.sent);
      // The upcalls were answered: the handlers installed megaflows in the kernel datapath.
      expect(out.datapath_flows).toBeGreaterThan(0);
    });

    it(`ovs-vswitchd ${OVS_VERSION} started on a monotonic clock at 0, as at boot: ${OVS_BOOT_FAULT ? 'counts no CPUs, so no upcall handler and nothing forwarded' : 'forwards'}`, async () => {
      const out = await ovsBridge(guest, 5, 0);
      if (OVS_BOOT_FAULT) {
        expect(out).toMatchObject({ handlers: 0, received: 0, datapath_flows: 0 });
      } else {
        expect(out.received).toBe(out.sent);
      }
    });

    it('netem delays and drops as told: the latency summary sees the delay, the drop summary every lost packet', async () => {
      const N = 20;
      const delayMs = 30;
      const out = (await guest.check(['bash', guestFile('netem.sh'), REPO, String(N), String(delayMs)])).trim().split('\n').pop()!;
      const { latency, drops } = JSON.parse(out) as {
        latency: { directions: { direction: string; packets: { started: number; completed: number }; end_to_end: { count: number; histogram: { buckets: { start: number; end: number }[]; percentiles: { p50: { low: number } } } } }[] };
        drops: { total_drops: number; rows: { reason: string; count: number }[] };
      };
      const tx = latency.directions.find((d) => d.direction === 'tx')!;
      expect(tx.packets).toMatchObject({ started: N, completed: N });
      expect(tx.end_to_end.count).toBe(N);
      // Every datagram waited the delay (none took less), and the median is in the delay's bucket or the
      // next (a busy TCG guest adds its own waits on top).
      const hist = tx.end_to_end.histogram;
      expect(Math.min(...hist.buckets.map((b) => b.end))).toBeGreaterThan(delayMs * 1000);
      expect(Math.abs(bucketOf(hist.percentiles.p50.low) - bucketOf(delayMs * 1000))).toBeLessThanOrEqual(1);
      expect(drops.total_drops).toBe(N);
      expect(drops.rows.map((r) => [r.reason, r.count])).toEqual([['QDISC_DROP', N]]);
    });

    it('vhost_signal_summary counts the driver\'s kicks, the buffers vhost gave back and the signals it sent or the guest suppressed, exactly', async () => {
      const r = await runSuite(guest, VHOST);
      timings.push(`${kernel.id}: ${VHOST.dir} ${VHOST.file} in ${r.seconds.toFixed(0)} s`);
      expect(r.failed, r.log).toBe(0);
      expect(r.skipped, r.log).toBe(0);
      expect(r.passed).toBeGreaterThan(2);
      // The documentation's example comes from the newest kernel's run.
      if (kernel === GUEST_KERNELS.at(-1)) expect(publishCaptured(join(guest.outDir, 'examples')).sort()).toEqual(['vhost_queue_details.txt', 'vhost_signal_summary.txt']);
    });

    // CI runs these end-to-end suites in the oldest guest only, and of the drop and latency suites a
    // stated part (the drop tool's whole suite takes 7 minutes under TCG).
    if (FULL || kernel === GUEST_KERNELS[0]) {
      it(`packet_drop_summary counts injected faults exactly, with the kernel its own reason numbering${FULL ? '' : ' (the fault tests)'}`, async () => {
        const r = await runSuite(guest, DROPS);
        timings.push(`${kernel.id}: ${DROPS.dir} ${DROPS.file}${DROPS.only ? ` -t ${DROPS.only}` : ''} in ${r.seconds.toFixed(0)} s`);
        expect(r.failed, r.log).toBe(0);
        // With -t, the tests left out count as skipped.
        if (!DROPS.only) expect(r.skipped, r.log).toBe(0);
        expect(r.passed).toBeGreaterThan(10);
      });

      it('tun_ring_summary and _details see each TAP ring fill, drop FULL_RING and hold packets for a slow reader, exactly', async () => {
        await guest.check(['modprobe', 'tun']);
        const r = await runSuite(guest, TUN);
        timings.push(`${kernel.id}: ${TUN.dir} ${TUN.file} in ${r.seconds.toFixed(0)} s`);
        expect(r.failed, r.log).toBe(0);
        expect(r.skipped, r.log).toBe(0);
        expect(r.passed).toBeGreaterThan(4);
      });

      it('vhost-net driven with no VM: the guest driver agent sends and receives through a TAP, its counts the TAP\'s', async () => {
        const N = 25;
        const agent = '/tmp/vhost-guest';
        await guest.check(['cc', '-O2', '-Wall', '-o', agent, `${REPO}/test-harness/agents/vhost-guest.c`]);
        const out = (await guest.check(['node', guestFile('vhost-lab.mjs'), agent, String(N)])).trim().split('\n').pop()!;
        const lab = JSON.parse(out) as { sent: number; rx: { used: number; signals: number }; tx: { posted: number; used: number; kicks: number }; tap: { tx_packets: number; tx_dropped: number; rx_packets: number } };
        // RX: every datagram for the "VM" went through the TAP's ring into a buffer the agent posted,
        // and vhost signalled the agent's call eventfd for them.
        expect(lab.sent).toBe(N);
        expect(lab.rx.used).toBe(N);
        expect(lab.tap).toMatchObject({ tx_packets: N, tx_dropped: 0 });
        expect(lab.rx.signals).toBeGreaterThan(0);
        expect(lab.rx.signals).toBeLessThanOrEqual(N);
        // TX: every frame the agent posted and kicked was used by vhost and received by the TAP.
        expect(lab.tx).toMatchObject({ posted: N, used: N, kicks: N });
        expect(lab.tap.rx_packets).toBe(N);
      });

      if (FULL) {
        it('vm_network_latency_summary and _details time every stage of a bridged VM\'s packets both ways, exactly', async () => {
          await guest.check(['modprobe', 'tun']);
          await guest.check(['modprobe', 'bridge']);
          const r = await runSuite(guest, VMNET);
          timings.push(`${kernel.id}: ${VMNET.dir} ${VMNET.file} in ${r.seconds.toFixed(0)} s`);
          expect(r.failed, r.log).toBe(0);
          expect(r.skipped, r.log).toBe(0);
          expect(r.passed).toBeGreaterThan(5);
        });
      }

      it(`the latency tools count every packet at every stage, the IP and TCP/UDP function stages included${FULL ? '' : ' (the tests of every stage in both directions)'}`, async () => {
        const r = await runSuite(guest, LATENCY);
        timings.push(`${kernel.id}: ${LATENCY.dir} ${LATENCY.file}${LATENCY.only ? ` -t ${LATENCY.only}` : ''} in ${r.seconds.toFixed(0)} s`);
        expect(r.failed, r.log).toBe(0);
        // With -t, the tests left out count as skipped.
        if (!LATENCY.only) expect(r.skipped, r.log).toBe(0);
        expect(r.passed).toBeGreaterThan(LATENCY.only ? 3 : 20);
      });
    }
  });

  afterAll(() => {
    console.log(`guest tier timings:\n  ${timings.join('\n  ')}`);
    // Written only from a whole run (the host and every guest), and only in a checkout.
    if (columns.length !== GUEST_KERNELS.length + 1) return;
    const doc = `${REPO}/docs/kernel-support.md`;
    if (!existsSync(doc)) return;
    const block = [
      'Generated by the guest tier (`npm run test:guest`) from the program suites run on each kernel: for each',
      "tool's hook, the flavour it attaches (**bold**), what it fell back from and why, or why none is available.",
      '',
      renderMatrix(columns),
    ].join('\n');
    writeFileSync(doc, replaceMatrix(readFileSync(doc, 'utf8'), block));
  });
});
