/**
 * The guest tier: each guest kernel booted once under QEMU; inside it, every package's program
 * suite (every flavour of every hook loads, and attaches where the kernel offers it) and the drop
 * tool's exact fault tests; doctor's choices checked against what really attached; and the kernel
 * support matrix of docs/kernel-support.md written from the outcomes on this host and each guest.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
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

/** npm run test:guest runs everything in every guest; CI (npm test) runs the verifier suites with the
 * tools' own rodata only (no variants), and each end-to-end suite in one guest, some in part. */
const FULL = process.env.NETSTRATA_GUEST_TIER === 'full';
const PROGRAMS: Suite = { dir: 'test-harness', config: 'vitest.programs.config.ts', baseOnly: !FULL };
/** The packages with programs, each with its suite (packages/NAME/src/programs.test.ts). */
const PACKAGES = readdirSync(join(REPO, 'packages')).filter((p) => existsSync(join(REPO, 'packages', p, 'src/programs.test.ts')));
const PROGRAMS_TEST = `every program of every package (${PACKAGES.join(', ')}) loads, and attaches where the kernel offers it`;
/** The drop tool's fault suite; CI runs one injected fault of each kind (socket, netfilter, route,
 * TTL, reverse path, qdisc; both families), each counted exactly with this kernel's reason numbers. */
const DROPS: Suite = {
  dir: 'test-harness',
  file: 'src/packet-drop-summary.e2e.test.ts',
  only: FULL ? undefined : '(closed UDP port v4|nftables forward v6|no route v6|TTL expiry v4|reverse-path filter|tbf over burst v6): exactly',
};
/** The latency tools end to end; CI runs the tests that time every stage in both directions (the function
 * stages among them) for UDP over IPv6 and TCP over IPv4. */
const LATENCY: Suite = {
  dir: 'test-harness',
  file: 'src/system-network-latency.e2e.test.ts',
  only: FULL ? undefined : String.raw`--stages, both directions.*(UDP packet \(IPv6\)|TCP packet \(IPv4\))`,
};
/** The vhost tool (and the tun tool with vhost as the TAP's reader) on vhost-net driven with no VM. */
const VHOST: Suite = { dir: 'test-harness', file: 'src/vhost.in-guest.test.ts', env: { NETSTRATA_EXAMPLES_OUT: '/mnt/out/examples' } };
/** The tun tools against TAP rings with a reader that stops or is slow; CI runs the tests whose hooks
 * are functions in a guest (the transmit, the reader's reads, the dwell), one family each. */
const TUN: Suite = {
  dir: 'test-harness',
  file: 'src/tun.e2e.test.ts',
  only: FULL ? undefined : '(a reader that stops: .*IPv6|a multi-queue TAP|--dwell: |read K packets and stopped: .*IPv4)',
};
/** The vm-network tools on a VM bridged to an uplink (the whole tier only: CI runs them on this host). */
const VMNET: Suite = { dir: 'test-harness', file: 'src/vm-network.e2e.test.ts' };
/** The vm-network tools on a VM switched by Open vSwitch's kernel datapath. */
const VMNET_OVS: Suite = { dir: 'test-harness', file: 'src/vm-network-ovs.in-guest.test.ts' };
/** ovs_upcall_latency_summary, ovs_megaflow_details and icmp_rtt_details on an OVS bridge between two namespaces. */
const OVS: Suite = { dir: 'test-harness', file: 'src/ovs.in-guest.test.ts', env: { NETSTRATA_EXAMPLES_OUT: '/mnt/out/examples' } };
/** netstrata diagnose on the OVS upcall tail lab case (lab-cases/ovs-upcall.ts). */
const DIAGNOSE_OVS: Suite = { dir: 'test-harness', file: 'src/diagnose.in-guest.test.ts' };
/** The virtio tools on the guest's own probe NICs (guest/vm.ts PROBE_NICS). */
const VIRTIO: Suite = { dir: 'test-harness', file: 'src/virtio.in-guest.test.ts', env: { NETSTRATA_EXAMPLES_OUT: '/mnt/out/examples' } };
/** kvm_irqfd_summary on VMs an agent makes through the KVM API (KVM under TCG's emulated SVM). */
const KVM: Suite = { dir: 'test-harness', file: 'src/kvm.in-guest.test.ts', env: { NETSTRATA_EXAMPLES_OUT: '/mnt/out/examples' } };
/** The guest CI runs an end-to-end suite in ('none': the whole tier only). */
type CiGuest = 'oldest' | 'newest' | 'none';

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

/** The matrix's columns: this host's first, then the guests' in GUEST_KERNELS order. */
const columns: (KernelColumn | undefined)[] = [];
const timings: string[] = [];

describe.runIf(guestTierRuns())('kernel support', () => {
  // This host's column runs beside the guests (each TCG guest keeps one host CPU busy; the verifier here the other).
  describe('this host', { concurrent: true }, () => {
    const outcomes: FlavourOutcome[] = [];
    afterAll(() => void (columns[0] = { title: `this host (${release()})`, outcomes }));
    it(PROGRAMS_TEST, async () => {
      const r = await runSuiteOnHost({ ...PROGRAMS, baseOnly: false });
      timings.push(`this host: the program suites in ${r.seconds.toFixed(0)} s`);
      expect(r.failed, r.log).toBe(0);
      expect(r.skipped, r.log).toBe(0);
      expect(r.files, r.log).toBe(PACKAGES.length);
      outcomes.push(...r.outcomes);
    });
  });

  // The guests run side by side, each its own tests in turn.
  describe.each(GUEST_KERNELS)('$id guest', { concurrent: true }, (kernel) => {
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
      if (guest) columns[1 + GUEST_KERNELS.indexOf(kernel)] = { title: `${kernel.id} (${guest.release})`, outcomes };
    });

    describe.sequential('in turn', () => {

      it(PROGRAMS_TEST, async () => {
        const r = await runSuite(guest, PROGRAMS);
        timings.push(`${kernel.id}: the program suites in ${r.seconds.toFixed(0)} s`);
        expect(r.failed, r.log).toBe(0);
        expect(r.skipped, r.log).toBe(0);
        expect(r.files, r.log).toBe(PACKAGES.length);
        outcomes.push(...r.outcomes);
      });

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

      // Of the end-to-end suites, CI runs each in one guest (the two run side by side), some in a
      // stated part; the whole tier (npm run test:guest) runs all of each in every guest.
      const inThisGuest = (ci: CiGuest) => FULL || (ci !== 'none' && kernel === (ci === 'oldest' ? GUEST_KERNELS[0] : GUEST_KERNELS.at(-1)));
      const suiteTest = (title: string, suite: Suite, ci: CiGuest, atLeast: number, modules: string[] = [], after?: () => void) => {
        if (!inThisGuest(ci)) return;
        it(`${title}${suite.only && !FULL ? ' (a stated part)' : ''}`, async () => {
          for (const m of modules) await guest.check(['modprobe', m]);
          const r = await runSuite(guest, suite);
          timings.push(`${kernel.id}: ${suite.dir} ${suite.file}${suite.only ? ` -t ${suite.only}` : ''} in ${r.seconds.toFixed(0)} s`);
          expect(r.failed, r.log).toBe(0);
          // With -t, the tests left out count as skipped.
          if (!suite.only) expect(r.skipped, r.log).toBe(0);
          expect(r.passed, r.log).toBeGreaterThanOrEqual(atLeast);
          after?.();
        });
      };

      suiteTest("vhost_signal_summary and vhost_queue_details count the driver's kicks, the buffers vhost gave back and the signals it sent or the guest suppressed, exactly", VHOST, 'newest', 6, [], () => {
        // The documentation's example comes from the newest kernel's run.
        if (kernel === GUEST_KERNELS.at(-1)) expect(publishCaptured(join(guest.outDir, 'examples')).sort()).toEqual(['vhost_queue_details.txt', 'vhost_signal_summary.txt']);
      });
      suiteTest('tun_ring_summary and _details see each TAP ring fill, drop FULL_RING and hold packets for a slow reader, exactly', TUN, 'oldest', TUN.only ? 4 : 9, ['tun']);
      suiteTest("vm_network_latency_summary and _details follow a VM's packets through an Open vSwitch datapath, its upcalls to ovs-vswitchd timed, exactly", VMNET_OVS, 'newest', 3, ['tun']);
      suiteTest("ovs_upcall_latency_summary times every upcall to ovs-vswitchd and counts the failed and unanswered ones as the datapath does, ovs_megaflow_details shows each flow installed as the datapath lists it, the datapath's drops carry the kernel's OVS reasons, and icmp_rtt_details times pings through the datapath and its upcalls, exactly", OVS, 'newest', 10, [], () => {
        if (kernel === GUEST_KERNELS.at(-1)) expect(publishCaptured(join(guest.outDir, 'examples'))).toEqual(expect.arrayContaining(['ovs_upcall_latency_summary.txt', 'ovs_megaflow_details.txt']));
      });
      suiteTest('netstrata diagnose finds the OVS upcall tail of the ovs-upcall lab case: verdict latency, exactly the held upcalls slow', DIAGNOSE_OVS, 'newest', 1);
      suiteTest("virtnet_poll_summary and virtnet_irq_summary count every packet at its queue's polls and every interrupt on its CPU as the driver and the kernel do, and busy polling's polls without interrupts", VIRTIO, 'oldest', 3, [], () => {
        if (kernel === GUEST_KERNELS[0]) expect(publishCaptured(join(guest.outDir, 'examples'))).toEqual(expect.arrayContaining(['virtnet_poll_summary.txt', 'virtnet_irq_summary.txt']));
      });
      suiteTest('kvm_irqfd_summary counts every irqfd injection by its path (fast, deferred) and every LAPIC accept per VM, GSI and vCPU, exactly as the agent wrote and its vCPU received', KVM, 'oldest', 5, ['kvm_amd'], () => {
        if (kernel === GUEST_KERNELS[0]) expect(publishCaptured(join(guest.outDir, 'examples'))).toEqual(expect.arrayContaining(['kvm_irqfd_summary.txt']));
      });
      suiteTest("vm_network_latency_summary and _details time every stage of a bridged VM's packets both ways, exactly", VMNET, 'none', 7, ['tun', 'bridge']);
      suiteTest("packet_drop_summary counts injected faults exactly, with the kernel's own reason numbering", DROPS, 'oldest', DROPS.only ? 6 : 20);
      suiteTest('the latency tools count every packet at every stage, the IP and TCP/UDP function stages included', LATENCY, 'oldest', LATENCY.only ? 2 : 20);

      if (inThisGuest('oldest')) {
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
      }
    });
  });

  afterAll(() => {
    console.log(`guest tier timings:\n  ${timings.join('\n  ')}`);
    // Written only from a whole run (the host and every guest), and only in a checkout.
    const all = columns.filter((c): c is KernelColumn => c !== undefined);
    if (all.length !== GUEST_KERNELS.length + 1) return;
    const doc = `${REPO}/docs/kernel-support.md`;
    if (!existsSync(doc)) return;
    const block = [
      'Generated by the guest tier (`npm run test:guest`) from the program suites run on each kernel: for each',
      "tool's hook, the flavour it attaches (**bold**), what it fell back from and why, or why none is available.",
      '',
      renderMatrix(all),
    ].join('\n');
    writeFileSync(doc, replaceMatrix(readFileSync(doc, 'utf8'), block));
  });
});
