import { describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { Sink, WallClock, detailsEvents } from '@netstrata/bpf-common';
import { DROP_EVENT_NO_STACK_SIZE, DROP_EVENT_SIZE, decodeDropEvent, dropEvent } from '../layout.ts';
import type { DropResolver } from '../resolve.ts';
import { dropEventJson } from './json.ts';
import { eventFields } from './render.ts';

const hex = (s: string) => Uint8Array.from(s.replace(/\s+/g, '').match(/../g)!.map((h) => parseInt(h, 16)));
const ETH = (type: string) => `020000000002 020000000001 ${type}`;
const IPV4_UDP = '4500 0032 0001 4000 4011 0000 0a630001 0a630002 9c40 0009 001e 0000';
const IPV6_TCP = '60000001 0014 06 40 fd000000000000000000000000000001 fd000000000000000000000000000002 9c40 01bb 00000064 000000c8 5012 ffff 0000 0000';

const resolver: DropResolver = {
  reasonName: (c) => ({ 2: 'NOT_SPECIFIED', 3: 'NO_SOCKET' })[c] ?? `UNKNOWN_${c}`,
  location: (a) => (a === 0xffffffff8209ec6cn ? { symbol: '__udp4_lib_rcv', offset: 0x4bc } : a === 0xffffffff81000010n ? { symbol: 'we"ird', offset: 16 } : undefined),
  stack: () => undefined,
  frames: () => [],
};

interface Ev {
  ts: bigint;
  location: bigint;
  reason: number;
  comm: string;
  dev: string;
  start: number;
  protocol: number;
  hdr: Uint8Array;
  hdrLen?: number;
}

const EVENTS: Ev[] = [
  { ts: 1_000_000_123_456n, location: 0xffffffff8209ec6cn, reason: 3, comm: 'node', dev: 'eth0', start: 0, protocol: 0x0800, hdr: hex(ETH('0800') + IPV4_UDP) },
  { ts: (5n << 32n) + 17n, location: 0xffffffff81000010n, reason: 2, comm: 'x"y\\z', dev: '', start: 1, protocol: 0x86dd, hdr: hex(IPV6_TCP) },
  { ts: 9_007_199_254_740_993n, location: 0x1234n, reason: 77, comm: 'ksoftirqd/1', dev: 'veth-é', start: 0, protocol: 0x0806, hdr: hex(ETH('0806') + '0001 0800 06 04 0001 020000000001 0a000001 000000000000 0a000002') },
  { ts: 42n, location: 0xffffffff8209ec6cn, reason: 3, comm: 'node', dev: 'eth0', start: 0, protocol: 0x0800, hdr: hex(ETH('0800') + IPV4_UDP), hdrLen: 20 },
  { ts: 43n, location: 0xffffffff8209ec6cn, reason: 3, comm: 'exactly-16-chars', dev: 'exactly-16-chars', start: 0, protocol: 0x88cc, hdr: new Uint8Array(0) },
  { ts: 44n, location: 0n, reason: 3, comm: 'node', dev: 'eth0', start: 1, protocol: 0x0800, hdr: hex(IPV4_UDP), hdrLen: 200 },
];

/** A ring's data area holding the events one after the other (8-byte headers, 8-byte aligned). */
function ring(events: Ev[], size = DROP_EVENT_NO_STACK_SIZE): { view: DataView; offsets: number[] } {
  const step = (size + 8 + 7) & ~7;
  const buf = new Uint8Array(events.length * step + 8).fill(0x5a);
  const view = new DataView(buf.buffer);
  const enc = new TextEncoder();
  const chars = (s: string) => {
    const b = new Uint8Array(16);
    b.set(enc.encode(s).subarray(0, 16));
    return b;
  };
  const offsets = events.map((e, i) => {
    const o = i * step + 8;
    const rec = dropEvent.encode({
      ts_ns: e.ts,
      location: e.location,
      skb: 0xffff888012345678n,
      reason: e.reason,
      cpu: i,
      pid: 1000 + i,
      tid: 2000 + i,
      netns: 4026531840,
      ifindex: 2 + i,
      pkt_len: 64 + i,
      protocol: e.protocol,
      hdr_len: e.hdrLen ?? e.hdr.length,
      hdr_start: e.start,
      stack_len: 0,
    });
    rec.set(chars(e.comm), dropEvent.offsetOf('comm'));
    rec.set(chars(e.dev), dropEvent.offsetOf('dev'));
    rec.set(e.hdr.subarray(0, 128), dropEvent.offsetOf('hdr'));
    buf.set(rec.subarray(0, size), o);
    return o;
  });
  return { view, offsets };
}

function capture() {
  const lines: string[] = [];
  const out = new Writable({
    write(chunk, _enc, cb) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      cb();
    },
  });
  return { out, lines };
}

describe('dropEventJson', () => {
  const clock = new WallClock(1_764_000_000_987_654_321n);

  it('gives exactly the JSON of the record the tool builds, for every kind of event, of either size', () => {
    for (const size of [DROP_EVENT_NO_STACK_SIZE, DROP_EVENT_SIZE]) {
      const { view, offsets } = ring(EVENTS, size);
      const json = dropEventJson(clock, resolver);
      // Twice: the second round is served by the kept comm, device, reason and location texts.
      for (let round = 0; round < 2; round++) {
        for (const o of offsets) {
          const fields = eventFields(decodeDropEvent(new DataView(view.buffer, o, size)), clock, resolver, false);
          expect(`{${json(view, o, size)}}`).toBe(JSON.stringify(fields));
        }
      }
    }
  });

  it('through the runner: the fast lines equal the lines of the record path', async () => {
    const { view, offsets } = ring(EVENTS);
    const run = { event: (d: DataView) => eventFields(decodeDropEvent(d), clock, resolver, false), render: () => '' };
    const slow = capture();
    const fast = capture();
    const a = detailsEvents(run, 'packet_drop_details', new Sink('json', slow.out));
    const b = detailsEvents({ ...run, json: dropEventJson(clock, resolver) }, 'packet_drop_details', new Sink('json', fast.out));
    const sinks = [a, b];
    for (const o of offsets) for (const s of sinks) s.onRecord(view, o, DROP_EVENT_NO_STACK_SIZE);
    // The sink writes a turn's lines once the turn is over.
    await new Promise((r) => setImmediate(r));
    expect(fast.lines).toHaveLength(EVENTS.length);
    expect(fast.lines).toEqual(slow.lines);
    expect(JSON.parse(fast.lines[0]!)).toMatchObject({ type: 'event', tool: 'packet_drop_details', comm: 'node', reason: 'NO_SOCKET' });
    expect(a.count()).toBe(EVENTS.length);
    expect(b.count()).toBe(EVENTS.length);
  });

  it('refuses a record of another size', () => {
    const { view } = ring(EVENTS);
    expect(() => dropEventJson(clock, resolver)(view, 8, DROP_EVENT_NO_STACK_SIZE - 8)).toThrow(/drop_event is/);
  });
});
