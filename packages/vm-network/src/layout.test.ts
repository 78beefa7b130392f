/** The structs the vm-network decoders declare, member by member against the built object; and the stages from a path's stamps. */
import { describe, expect, it } from 'vitest';
import { describeLayouts } from '@netstrata/bpf-common/testing';
import summary from '../build/bpf/vm_network_latency_summary.bpf.o';
import details from '../build/bpf/vm_network_latency_details.bpf.o';
import { LAYOUTS, STAMPS, stageSpans } from './layout.ts';

describeLayouts('vm-network', { vm_network_latency_summary: summary, vm_network_latency_details: details }, LAYOUTS);

describe('stageSpans', () => {
  const at = (stamps: Partial<Record<(typeof STAMPS)[number], number>>) => STAMPS.map((s) => BigInt(stamps[s] ?? 0));

  it('a bridged packet: forward, qdisc and out, no backlog or upcall', () => {
    expect(stageSpans(at({ receive: 100, queue: 150, xmit: 170, done: 200 }))).toEqual({ forward: 50n, qdisc: 20n, out: 30n });
  });

  it("an OVS upcall is its own stage, and forward keeps only the kernel's time", () => {
    const s = stageSpans(at({ backlog: 90, receive: 100, upcall: 110, execute: 1110, queue: 1130, xmit: 1140, done: 1150 }));
    expect(s).toEqual({ backlog: 10n, forward: 30n, upcall: 1000n, qdisc: 10n, out: 10n });
    expect(Object.values(s).reduce((a, b) => a + b, 0n)).toBe(1150n - 90n);
  });

  it('stamps out of order (another CPU\'s clock) give no stage', () => {
    expect(stageSpans(at({ receive: 100, queue: 90, xmit: 95, done: 99 }))).toEqual({ qdisc: 5n, out: 4n });
  });
});
