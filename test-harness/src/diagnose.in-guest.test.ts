/**
 * netstrata diagnose on the lab case that needs what only the guest tier's kernels have: the OVS
 * upcall tail (lab-cases/ovs-upcall.ts), K new flows held in their upcall while ovs-vswitchd is
 * stopped, among N that are not. Layer 1 only (--no-auto): the case's traffic is over before
 * layer 2 would start. The verdict is held to the truth the case measured: the datapath's own
 * missed and lost counters, b's nftables counter, and each hold timed from the miss the datapath
 * counted.
 *
 * This host's kernel has no openvswitch module, so the file runs in the guest tier only; the host's
 * test run leaves it out (vitest.config.ts).
 */
import { describe, expect, it } from 'vitest';
import { compare, runLabCase } from './lab-cases/index.ts';
import { ovsUpcall } from './lab-cases/ovs-upcall.ts';
import { ovsAvailable, requireRoot } from './index.ts';

const available = ovsAvailable();
if (available !== true && process.env.CI) throw new Error(`netstrata diagnose on OVS: ${available}`);
const run = requireRoot('netstrata diagnose on OVS') && available === true;

describe.runIf(run)('netstrata diagnose on the OVS lab case', () => {
  it('ovs-upcall: verdict latency, the upcall stage on top, exactly the held upcalls slow, p99.9 at least the hold', async () => {
    const { verdict, truth } = await runLabCase(ovsUpcall, { auto: false });
    console.log(`${truth.notes.join('\n')}\nfindings: ${JSON.stringify(verdict.findings)}`);
    const held = truth.items[0]!.count;
    expect(held).toBe(4);
    expect(verdict.kind).toBe('latency');
    expect(verdict.findings[0]).toMatchObject({ kind: 'latency', stage: 'ovs_upcall', location: { symbol: 'ovs_dp_upcall' }, slow: held });
    // Each held upcall waited 250 ms or more: the p99.9's bucket starts at 200 ms or above.
    expect(verdict.findings[0]!.p999_us).toBeGreaterThanOrEqual(200_000);
    expect(compare(truth, verdict).ok).toBe(true);
    // The guest tier's limit: an emulated CPU starts diagnose's tools slowly.
  }, 300_000);
});
