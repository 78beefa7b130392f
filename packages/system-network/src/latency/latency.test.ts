/** The latency tools' pure parts: stage lists, aggregation, decoding and rendering. */
import { describe, expect, it } from 'vitest';
import { SLOTS, renderLosses, slotOf, type FlavourChoice, type HookFlavour } from '@netstrata/bpf-common';
import { decodeSession, fifoPending, latFifo, latSession, LAT_FIFO_DEPTH, LAT_STAGES, type LatSession } from '../layout.ts';
import { LatencyAggregator, packets, type SessionState } from './aggregate.ts';
import { eventFields, renderEventText, tcpFlags } from './details-render.ts';
import { ALL_LATENCY_HOOKS, latencyHooks } from './hooks.ts';
import { renderSummaryText } from './render.ts';
import { STAGES } from './stages.ts';
import { stagesInfo, stageStates } from './stages-info.ts';

/** Choices as the lifecycle makes them on a kernel with tracepoints but no function hooks. */
function tracepointOnlyChoices(): FlavourChoice[] {
  return ALL_LATENCY_HOOKS.map((h) => {
    const chosen: HookFlavour | undefined = h.optional && h.flavours.some((f) => f.needs === 'fentry') ? undefined : h.flavours[0];
    const rejected = chosen ? [] : h.flavours.map((f) => ({ flavour: f.name, reason: f.needs === 'fentry' ? 'load refused: EPERM' : 'attach refused: ENOENT' }));
    return { hook: h.name, chosen, rejected, all: h.flavours };
  });
}

describe('stage lists', () => {
  it('every stage is stamped by hooks the tools know, and every hook stamps a stage', () => {
    const hookNames = new Set(ALL_LATENCY_HOOKS.map((h) => h.name));
    const stamped = new Set([...STAGES.rx, ...STAGES.tx].flatMap((s) => s.hooks));
    for (const h of stamped) expect(hookNames.has(h), h).toBe(true);
    for (const h of hookNames) if (!/kfree_skb|consume_skb/.test(h)) expect(stamped.has(h), h).toBe(true);
    expect(STAGES.rx.length).toBeLessThanOrEqual(LAT_STAGES);
    expect(STAGES.tx.length).toBe(LAT_STAGES);
  });

  it('names the active stages with their flavour, and groups the ones off for one reason', () => {
    const lines = stagesInfo('both', tracepointOnlyChoices());
    expect(lines[0]).toBe(
      'rx stages: device [net:netif_receive_skb tp_btf] -> socket_queue [sock:sk_data_ready tp_btf] -> read [skb:skb_copy_datagram_iovec tp_btf, sock:sock_recv_length tp_btf]',
    );
    expect(lines[1]).toBe('rx stages ip_rcv, ip_local_deliver, l4_rcv not measured: fentry: load refused: EPERM; kprobe: attach refused: ENOENT');
    expect(lines[2]).toMatch(/^tx stages: socket_send \[tcp:tcp_sendmsg_locked tp_btf, syscalls:sys_enter_send\* tracepoint\] -> dev_queue/);
    expect(lines[3]).toBe('tx stages ip_xmit, ip_output not measured: fentry: load refused: EPERM; kprobe: attach refused: ENOENT');
    expect(lines.at(-1)).toMatch(/^OVS datapath stages .* not measured: /);
  });

  it('by default names only the default stages, the RX timestamp as the device stage, and the sampling', () => {
    const lines = stagesInfo('both', tracepointOnlyChoices(), { stages: false, sample: 10 });
    expect(lines[0]).toMatch(/^default stages .*RX software timestamps are on/);
    expect(lines[1]).toBe('following one packet in 10 of those that pass the filters (--sample)');
    expect(lines[2]).toBe(
      'rx stages: device [kernel RX timestamp skb->tstamp] -> socket_queue [sock:sk_data_ready tp_btf] -> read [skb:skb_copy_datagram_iovec tp_btf, sock:sock_recv_length tp_btf]',
    );
    expect(lines[3]).toMatch(/^tx stages: socket_send \[.*\] -> dev_queue \[net:net_dev_queue tp_btf\] -> xmit \[net:net_dev_xmit tp_btf\]$/);
    expect(lines.some((l) => /not measured: fentry/.test(l))).toBe(false);
  });

  it('the default hooks: two per direction on the packet path, the send calls, and drops', () => {
    const names = (h: { name: string }[]) => h.map((x) => x.name);
    expect(names(latencyHooks('rx', false))).toEqual(['sock:sk_data_ready', 'skb:skb_copy_datagram_iovec', 'sock:sock_recv_length', 'skb:kfree_skb']);
    expect(names(latencyHooks('tx', false))).toEqual(['tcp:tcp_sendmsg_locked', 'syscalls:sys_enter_send*', 'net:net_dev_queue', 'net:net_dev_xmit', 'skb:kfree_skb']);
    expect(names(latencyHooks('both', true))).toContain('skb:consume_skb');
  });

  it('says when a direction is off', () => {
    expect(stagesInfo('tx', tracepointOnlyChoices())[0]).toBe('rx stages: off (--direction tx)');
  });

  it('a stage is active when any one of its hooks is', () => {
    const choices = tracepointOnlyChoices().map((c) => (c.hook === 'udp_rcv' ? { ...c, chosen: c.all[1], rejected: [] } : c));
    const l4 = stageStates('rx', choices).find((s) => s.name === 'l4_rcv')!;
    expect(l4.active).toEqual([{ hook: 'udp_rcv', flavour: 'kprobe' }]);
  });
});

/** One histogram map entry: slot counts by index for (dir, from, to). */
function histKey(dir: number, from: number, to: number): number {
  return (dir * LAT_STAGES + from) * LAT_STAGES + to;
}
function slots(entries: Record<number, number>): bigint[] {
  const s = new Array<bigint>(SLOTS).fill(0n);
  for (const [k, v] of Object.entries(entries)) s[Number(k)] = BigInt(v);
  return s;
}

function state(over: Partial<SessionState> = {}): SessionState {
  return { inFlight: { rx: 0, tx: 0 }, timedOut: { rx: 0, tx: 0 }, drops: { rx: [], tx: [] }, ...over };
}

describe('aggregation', () => {
  it('packets left over are evicted, never negative', () => {
    // started, completed, consumed, untracked, dropped, segmented, unstamped
    expect(packets([20, 6, 1, 0, 2, 3, 4, 12], 2, 5)).toEqual({
      started: 20,
      completed: 6,
      segmented: 3,
      segments: 12,
      dropped: 2,
      consumed: 1,
      timed_out: 5,
      evicted: 1,
      in_flight: 2,
      untracked: 0,
      unstamped: 4,
    });
    expect(packets([3, 3, 0, 0], 1).evicted).toBe(0);
  });

  it('pairs in path order, end to end apart, interval = since last report', () => {
    const agg = new LatencyAggregator(['rx']);
    const e2e = LAT_STAGES - 1;
    const h1 = new Map([
      [histKey(0, 4, 5), slots({ [slotOf(40_000)]: 3 })], // socket_queue -> read, [36864, 40960) µs
      [histKey(0, 0, 4), slots({ 4: 3 })], // device -> socket_queue
      [histKey(0, e2e, e2e), slots({ [slotOf(40_000)]: 3 })],
    ]);
    const counts = { rx: [3, 3, 0, 0], tx: [0, 0, 0, 0] };
    const first = agg.update(h1, counts, state());
    const rx = first.total[0]!;
    expect(rx.pairs.map((p) => `${p.from}->${p.to}`)).toEqual(['device->socket_queue', 'socket_queue->read']);
    expect(rx.end_to_end).toMatchObject({ from: 'first', to: 'last', count: 3 });
    expect(rx.end_to_end!.histogram.percentiles!.p50).toEqual({ low: 36864, high: 40960 });

    const h2 = new Map([...h1].map(([k, v]) => [k, v.map((c) => c * 2n)]));
    const drop = { reason: 'SOCKET_RCVBUFF', reason_code: 9, count: 1 };
    const second = agg.update(h2, { rx: [6, 4, 0, 0, 1], tx: [0, 0, 0, 0] }, state({ timedOut: { rx: 1, tx: 0 }, drops: { rx: [drop], tx: [] } }));
    expect(second.interval[0]!.pairs[1]!.count).toBe(3);
    expect(second.interval[0]!.packets).toMatchObject({ started: 3, completed: 1, dropped: 1, timed_out: 1, evicted: 0 });
    expect(second.total[0]!.packets).toMatchObject({ started: 6, completed: 4, dropped: 1, timed_out: 1, evicted: 0 });
    expect(second.total[0]!.drops).toEqual([drop]);
    const third = agg.update(h2, { rx: [6, 4, 0, 0, 1], tx: [0, 0, 0, 0] }, state({ timedOut: { rx: 1, tx: 0 }, drops: { rx: [drop], tx: [] } }));
    expect(third.interval[0]!.drops).toEqual([]);
    expect(third.interval[0]!.packets.timed_out).toBe(0);
  });

  it('renders counters, pairs and losses', () => {
    const agg = new LatencyAggregator(['tx']);
    const drops = { rx: [], tx: [{ reason: 'QDISC_DROP', reason_code: 5, count: 1 }] };
    const rows = agg.update(new Map([[histKey(1, 4, 5), slots({ 15: 2 })]]), { rx: [0, 0, 0, 0], tx: [4, 2, 0, 0, 1, 1, 0, 3] }, state({ drops })).total;
    const rec = { type: 'final' as const, tool: 'system_network_latency_summary', time: '2026-01-01T00:00:00.000Z', interval_s: 1, directions: rows, lost: 0, map_full: 0, stack_failed: 0, evicted: 0, missed: 2 };
    // The runner appends the loss line to the tool's text.
    const text = `${renderSummaryText(rec as never)}\n${renderLosses(rec, true)}`;
    expect(text).toMatch(/TX: started 4, completed 2, segmented 1 \(3 segments\), dropped 1, timed out 0, evicted 0, in flight 0/);
    expect(text).toMatch(/dropped by reason: QDISC_DROP 1/);
    expect(text).toMatch(/tx qdisc_enqueue -> qdisc_dequeue/);
    expect(text).toMatch(/map_full 0 .*evicted 0, missed by the kernel 2/);
  });
});

function session(ts: number[], over: Partial<LatSession> = {}): LatSession {
  return {
    ts: Array.from({ length: LAT_STAGES }, (_, i) => BigInt(ts[i] ?? 0)),
    flow: { src: '10.0.0.1', dst: '10.0.0.2', sport: 1000, dport: 2000, protocol: 'TCP' },
    tcpSeq: 7,
    ipId: 9,
    icmpId: 0,
    icmpSeq: 0,
    l4Payload: 100,
    tcpFlags: 0x18,
    ifindex: 2,
    netns: 4026531840,
    dev: 'eth0',
    first: { cpu: 0, pid: 1, comm: 'a' },
    last: { cpu: 1, pid: 2, comm: 'b' },
    len: 152,
    dir: 'rx',
    ...over,
  };
}

describe('details records', () => {
  it('deltas between the stages passed, skipping the ones not passed', () => {
    const r = eventFields(session([1_000_000, 0, 0, 0, 1_010_000, 13_010_000]), '2026-01-01T00:00:00.000001Z');
    expect(r.stages).toEqual([
      { from: 'device', to: 'socket_queue', delta_us: 10 },
      { from: 'socket_queue', to: 'read', delta_us: 12000 },
    ]);
    expect(r.total_us).toBe(12010);
    expect(r.first.stage).toBe('device');
    expect(r.last.stage).toBe('read');
    expect(r.tcp).toEqual({ seq: 7, flags: 'PSH,ACK', payload: 100 });
    expect(renderEventText({ type: 'event', tool: 'system_network_latency_details', ...r })).toMatch(/RX 12\.010 ms 10\.0\.0\.1:1000 -> 10\.0\.0\.2:2000 \(TCP\) seq 7 \[PSH,ACK\] len 100 dev eth0/);
  });

  it('TX from the send call', () => {
    const r = eventFields(session([5_000, 0, 0, 9_000, 9_500, 30_009_500, 30_010_000, 30_011_000], { dir: 'tx' }), '2026-01-01T00:00:00.000001Z');
    expect(r.first.stage).toBe('socket_send');
    expect(r.stages.map((s) => s.to)).toEqual(['dev_queue', 'qdisc_enqueue', 'qdisc_dequeue', 'start_xmit', 'xmit']);
    expect(r.total_us).toBe(30006);
  });

  it('flags by name', () => {
    expect(tcpFlags(0x12)).toBe('SYN,ACK');
    expect(tcpFlags(0)).toBe('none');
  });
});

describe('session decoding', () => {
  it('reads stage times, device and direction where the kernel writes them', () => {
    const ts = new Array<bigint>(LAT_STAGES).fill(0n);
    ts[0] = 11n;
    ts[LAT_STAGES - 1] = 99n;
    const addr = (...a: number[]) => new Uint8Array([...a, ...new Array(12).fill(0)]);
    const flow = { saddr: addr(10, 0, 0, 1), daddr: addr(10, 0, 0, 2), sport: 1234, dport: 53, family: 2, protocol: 17, ethertype: 0x0800 };
    const s = decodeSession(latSession.encode({ ts, flow, dev: 'veth0', dir: 1 }));
    expect(s.ts[0]).toBe(11n);
    expect(s.ts[LAT_STAGES - 1]).toBe(99n);
    expect(s.flow).toEqual({ src: '10.0.0.1', dst: '10.0.0.2', sport: 1234, dport: 53, protocol: 'UDP' });
    expect(s.dev).toBe('veth0');
    expect(s.dir).toBe('tx');
  });

  it('counts the followed datagrams a socket FIFO still holds', () => {
    const e = new Uint8Array(LAT_FIFO_DEPTH * latSession.size);
    for (const i of [62, 63, 1]) e.set(latSession.encode({ tracked: 1 }), (i % LAT_FIFO_DEPTH) * latSession.size); // entry 0 (i = 64) is a placeholder
    // head 62, tail 66: four entries, wrapping the ring
    expect(fifoPending(latFifo.encode({ head: 62, tail: 66, e }))).toBe(3);
  });
});
