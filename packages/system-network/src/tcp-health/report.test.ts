import { describe, expect, it } from 'vitest';
import { SLOTS, slotOf, type Flow } from '@netstrata/bpf-common';
import { emptyHost, zeroCounts, REASON_DROP, REASON_RESET, type Counts, type DropEntry, type FlowEntry, type ReasonEntry } from './layout.ts';
import { countRowOps, flowHealth, flowRowOps, hostDelta, hostHealth, renderTcpHealthText, type TcpHealthRecord } from './report.ts';

/** Slots holding `n` samples of each value. */
const samples = (values: Record<number, number>) => {
  const s = new Array<bigint>(SLOTS).fill(0n);
  for (const [v, n] of Object.entries(values)) s[slotOf(Number(v))]! += BigInt(n);
  return s;
};

const flowOf = (sport: number, dport = 5201, src = '10.200.0.1', dst = '10.200.0.2'): Flow => ({ src, dst, sport, dport, protocol: 'TCP' });

type CountsIn = Omit<Partial<Counts>, 'retrans'> & { retrans?: Partial<Counts['retrans']> };

const counts = (o: CountsIn = {}): Counts => {
  const z = zeroCounts();
  return { ...z, ...o, retrans: { ...z.retrans, ...o.retrans } };
};

const flow = (sport: number, c: CountsIn, rtt: Record<number, number> = {}, more: Partial<FlowEntry['val']> = {}): FlowEntry => ({
  key: { netns: 4026532000, flow: flowOf(sport) },
  val: { c: counts(c), handshakeUs: 0, srttUs: 0, cwnd: 0, inFlight: 0, cwndMax: 0, inFlightMax: 0, rtt: samples(rtt), ...more },
});

const drop = (sport: number, reason: number, count: number): DropEntry => ({ key: { netns: 4026532000, flow: flowOf(sport), reason }, count });
const names = { drop: (c: number) => ({ 2: 'NO_SOCKET', 5: 'NETFILTER_DROP' })[c] ?? `UNKNOWN_${c}`, reset: (c: number) => ({ 0: 'NOT_SPECIFIED', 1: 'NO_SOCKET' })[c] ?? `UNKNOWN_${c}` };

describe('flowHealth', () => {
  it('puts the flows in most trouble first, with their retransmissions by kind and their drops by reason', () => {
    const rows = flowHealth(
      [flow(40000, { activeOpens: 1 }, { 100: 5 }, { handshakeUs: 120, srttUs: 100 }), flow(40001, { activeOpens: 1, retrans: { fast: 3, probe: 1 }, retransFailed: 1 }, { 24000: 2 })],
      [drop(40001, 5, 4), drop(40001, 2, 1)],
      names.drop,
      false,
    );
    expect(rows.map((r) => r.flow?.sport)).toEqual([40001, 40000]);
    expect(rows[0]!.retransmits).toEqual({ total: 4, syn: 0, synack: 0, timeout: 0, fast: 3, probe: 1, failed: 1 });
    expect(rows[0]!.drops).toEqual({ total: 5, by_reason: [{ reason: 'NETFILTER_DROP', reason_code: 5, count: 4 }, { reason: 'NO_SOCKET', reason_code: 2, count: 1 }] });
    expect(rows[1]).toMatchObject({ handshakes: { active: 1, passive: 0, failed: 0 }, handshake_us: 120, srtt_us: 100, window: null });
    expect(rows[1]!.rtt_us.count).toBe(5);
  });

  it('shows a flow whose packets were only dropped (no socket saw them)', () => {
    const [r] = flowHealth([], [drop(40002, 2, 3)], names.drop, true);
    expect(r).toMatchObject({ flow: flowOf(40002), handshakes: { active: 0, passive: 0, failed: 0 }, handshake_us: null, srtt_us: null, drops: { total: 3 } });
    expect(r!.rtt_us.count).toBe(0);
  });

  it('with --window, the last and largest congestion window and packets in flight', () => {
    const [r] = flowHealth([flow(40003, { passiveOpens: 1 }, { 50: 1 }, { cwnd: 10, cwndMax: 40, inFlight: 3, inFlightMax: 12 })], [], names.drop, true);
    expect(r!.window).toEqual({ cwnd: 10, in_flight: 3, cwnd_max: 40, in_flight_max: 12 });
  });

  it('an interval is the difference of two reads, histograms included', () => {
    const a = flow(40000, { activeOpens: 1, retrans: { timeout: 1 } }, { 100: 2 });
    const b = flow(40000, { activeOpens: 1, retrans: { timeout: 3 }, resetsReceived: 1 }, { 100: 5 });
    const d = flowRowOps.sub(b, a);
    expect(d.val.c).toMatchObject({ activeOpens: 0, resetsReceived: 1, retrans: { timeout: 2 } });
    expect(d.val.rtt[slotOf(100)]).toBe(3n);
    expect(flowRowOps.isEmpty(flowRowOps.sub(a, a))).toBe(true);
    expect(flowRowOps.add(a, d).val.c.retrans.timeout).toBe(3);
    expect(countRowOps<DropEntry>().sub(drop(1, 2, 7), drop(1, 2, 4)).count).toBe(3);
  });
});

describe('hostHealth', () => {
  const reasons: ReasonEntry[] = [
    { key: { kind: REASON_DROP, reason: 5 }, count: 70 },
    { key: { kind: REASON_DROP, reason: 2 }, count: 4 },
    { key: { kind: REASON_RESET, reason: 1 }, count: 4 },
  ];

  it('names drop and reset reasons from their own enums, most first', () => {
    const h = { ...emptyHost(), c: counts({ activeOpens: 2, passiveOpens: 1, connectFailed: 4, resetsSent: 4, resetsReceived: 4, retrans: { fast: 60, probe: 8, timeout: 2 } }), drops: 74 };
    const r = hostHealth(h, reasons, names, false);
    expect(r.handshakes).toMatchObject({ active: 2, passive: 1, failed: 4 });
    expect(r.retransmits.total).toBe(70);
    expect(r.resets).toEqual({ sent: 4, received: 4, sent_by_reason: [{ reason: 'NO_SOCKET', reason_code: 1, count: 4 }] });
    expect(r.drops.by_reason.map((x) => x.reason)).toEqual(['NETFILTER_DROP', 'NO_SOCKET']);
    expect(r.cwnd).toBeNull();
    expect(hostHealth(h, [], names, true).in_flight).toMatchObject({ unit: 'packets', count: 0 });
  });

  it('an interval of the host row is the difference of two reads', () => {
    const a = { ...emptyHost(), c: counts({ activeOpens: 1 }), drops: 2, rtt: samples({ 100: 1 }) };
    const b = { ...emptyHost(), c: counts({ activeOpens: 4 }), drops: 5, rtt: samples({ 100: 3 }) };
    const d = hostDelta(b, a);
    expect(d.c.activeOpens).toBe(3);
    expect(d.drops).toBe(3);
    expect(d.rtt[slotOf(100)]).toBe(2n);
    expect(hostDelta(b, undefined)).toBe(b);
  });
});

describe('renderTcpHealthText', () => {
  it('the host line, the flow table, then the histograms', () => {
    const host = hostHealth({ ...emptyHost(), c: counts({ activeOpens: 1, retrans: { fast: 3 } }), drops: 3, rtt: samples({ 24000: 4 }), handshakeActive: samples({ 24100: 1 }) }, [{ key: { kind: REASON_DROP, reason: 5 }, count: 3 }], names, false);
    const flows = flowHealth([flow(40001, { activeOpens: 1, retrans: { fast: 3 } }, { 24000: 4 }, { handshakeUs: 24100, srttUs: 24000 })], [drop(40001, 5, 3)], names.drop, false);
    const rec = { type: 'final', tool: 'tcp_health_summary', time: '2026-12-07T10:00:00Z', interval_s: 5, host, flows, more_flows: 2 } as unknown as TcpHealthRecord;
    const text = renderTcpHealthText(rec);
    expect(text).toMatch(/total since start: 1 handshake \(1 active, 0 passive\); 3 retransmits \(fast 3\); resets 0 sent, 0 received; 3 drops \(NETFILTER_DROP 3\); RTT p50 \[/);
    expect(text).toMatch(/10\.200\.0\.1:40001 -> 10\.200\.0\.2:5201\s+4026532000\s+active\s+24\.1 ms\s+24 ms\s+\[.*\)\s+\[.*\)\s+3\s+0\s+0\s+NETFILTER_DROP 3/);
    expect(text).toMatch(/\.\.\. and 2 more flows/);
    expect(text).toMatch(/smoothed RTT, every flow/);
    expect(text).toMatch(/handshakes, active opens/);
    expect(text).not.toMatch(/congestion window/);
  });

  it('a quiet interval is one line', () => {
    const rec = { type: 'interval', tool: 'tcp_health_summary', time: '2026-12-07T10:00:00Z', interval_s: 5, host: hostHealth(emptyHost(), [], names, false), flows: [], more_flows: 0 } as unknown as TcpHealthRecord;
    expect(renderTcpHealthText(rec).split('\n')).toHaveLength(1);
  });
});
