import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Sink, WallClock, detailsEvents, nstFlow } from '@netstrata/bpf-common';
import { nstIdent } from '../layout.ts';
import { eventFields, StateTally, type Names } from './details.ts';
import { ctEventJson } from './json.ts';
import { CT_HAS_ENTRY, CT_HAS_MARK, CT_HAS_ZONE, CT_REPLY, CT_TEMPLATE, ctEvent } from './layout.ts';

const names: Names = {
  reason: (c) => ({ 12: 'NETFILTER_DROP', 2: 'NOT_SPECIFIED' })[c] ?? `UNKNOWN_${c}`,
  // As the tool does: an address without a symbol is shown as itself.
  location: (a) =>
    a === 0xffffffff81fb4bdfn ? { symbol: 'nft_do_chain', offset: 1135 } : a === 0xffffffff81000010n ? { symbol: 'we"ird', offset: 16 } : { symbol: `0x${a.toString(16)}`, offset: 0 },
  status: (bits) => {
    const out: string[] = [];
    for (let b = 0; b < 32; b++) if (bits & (1 << b)) out.push(['EXPECTED', 'SEEN_REPLY', 'ASSURED', 'CONFIRMED'][b] ?? `bit${b}`);
    return out;
  },
};

const LOCATIONS = [0xffffffff81fb4bdfn, 0xffffffff81000010n, 0x1234n, 0n, 0x00000001_ffffffffn, 0xffffffff_00000000n];
const COMMS = ['swapper/1', 'x"y\\z', 'ksoftirqd/1', 'exactly-16-chars', '', 'é-node'];
const DEVS = ['eth0', '', 'veth-é', 'exactly-16-chars', 'ctm-b'];
const v4 = (a: number[]) => Uint8Array.from([...a, ...new Array(12).fill(0)]);
const v6 = (last: number) => Uint8Array.from([0xfd, 0, ...new Array(13).fill(0), last]);
/** nst_flow as the kernel fills it: IPv4 and IPv6 TCP, UDP, ICMP echo, ARP, another protocol, none. */
const FLOWS = [
  { saddr: v4([10, 213, 0, 1]), daddr: v4([10, 213, 0, 2]), sport: 43481, dport: 9002, family: 2, protocol: 17, ethertype: 0x800 },
  { saddr: v4([10, 213, 0, 1]), daddr: v4([10, 213, 0, 2]), sport: 40000, dport: 80, family: 2, protocol: 6, ethertype: 0x800 },
  { saddr: v6(1), daddr: v6(2), sport: 40000, dport: 443, family: 10, protocol: 6, ethertype: 0x86dd },
  { saddr: v6(1), daddr: v6(2), sport: 7, dport: (128 << 8) | 0, family: 10, protocol: 58, ethertype: 0x86dd },
  { saddr: v4([10, 0, 0, 1]), daddr: v4([10, 0, 0, 2]), sport: 99, dport: (8 << 8) | 0, family: 2, protocol: 1, ethertype: 0x800 },
  { saddr: v4([10, 0, 0, 1]), daddr: v4([10, 0, 0, 2]), sport: 1, dport: 0, family: 2, protocol: 0, ethertype: 0x806 },
  { saddr: v4([10, 0, 0, 1]), daddr: v4([10, 0, 0, 2]), sport: 0, dport: 0, family: 2, protocol: 47, ethertype: 0x800 },
  { saddr: v4([0, 0, 0, 0]), daddr: v4([0, 0, 0, 0]), sport: 0, dport: 0, family: 0, protocol: 0, ethertype: 0x88cc },
];
const FLAG_BITS = [CT_HAS_ENTRY, CT_HAS_ZONE, CT_REPLY, CT_TEMPLATE, CT_HAS_MARK];

/** A small deterministic generator, so a failure names the same event every run. */
function rng(seed: number) {
  let x = seed >>> 0;
  return (n: number) => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x % n;
  };
}

/** Events over every state (and one out of range), every combination of the CT_* flags, every
 * flow kind, and varied scalars: then the same in random mixes. */
function events(random: number) {
  const pick = rng(7);
  const out: Uint8Array[] = [];
  const make = (i: number, state: number, flags: number) => {
    const flow = FLOWS[pick(FLOWS.length)]!;
    const b = ctEvent.encode({
      ts_ns: [1_000_000_123_456n, (5n << 32n) + 17n, 9_007_199_254_740_993n, 42n, BigInt(i) * 123_457_000n][pick(5)]!,
      location: LOCATIONS[pick(LOCATIONS.length)]!,
      status: [0n, 0xen, 1n << 31n, 0xffffffff_0000000an, 0x7fffffffn, 1n << 40n][pick(6)]!,
      reason: [12, 12, 2, 77][pick(4)]!,
      cpu: pick(64),
      pid: [0, 1, 4294967295, pick(100000)][pick(4)]!,
      netns: [4026531840, 4026532999][pick(2)]!,
      ifindex: pick(20),
      len: pick(65536),
      mark: [0, 0x2a, 0xffffffff][pick(3)]!,
      zone: [0, 5, 65535][pick(3)]!,
      state,
      ctinfo: pick(6),
      flags,
    });
    b.set(nstFlow.encode(flow), ctEvent.offsetOf('flow'));
    b.set(nstIdent.encode({ tcp_seq: [0, 5, 4294967295][pick(3)]!, tcp_flags: pick(256), ip_id: pick(65536) }), ctEvent.offsetOf('ident'));
    const enc = new TextEncoder();
    b.set(enc.encode(COMMS[pick(COMMS.length)]!).subarray(0, 16), ctEvent.offsetOf('comm'));
    b.set(enc.encode(DEVS[pick(DEVS.length)]!).subarray(0, 16), ctEvent.offsetOf('dev'));
    out.push(b);
  };
  let i = 0;
  for (let state = 0; state <= 5; state++) for (let flags = 0; flags < 1 << FLAG_BITS.length; flags++) make(i++, state, flags);
  for (let n = 0; n < random; n++) make(i++, pick(6), pick(256));
  return out;
}

/** A ring's data area holding the records one after the other (8-byte headers, 8-byte aligned). */
function ring(records: Uint8Array[]): { view: DataView; offsets: number[] } {
  const step = (ctEvent.size + 8 + 7) & ~7;
  const buf = new Uint8Array(records.length * step + 8).fill(0x5a);
  const offsets = records.map((r, i) => {
    buf.set(r, i * step + 8);
    return i * step + 8;
  });
  return { view: new DataView(buf.buffer), offsets };
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

describe('ctEventJson', () => {
  const clock = new WallClock(1_764_000_000_987_654_321n);

  it('gives exactly the JSON of the record the tool builds, for every state, flag set and flow kind', () => {
    const records = events(3000);
    const { view, offsets } = ring(records);
    const slow = new StateTally();
    const fast = new StateTally();
    const json = ctEventJson(clock, names, fast);
    // Twice: the second round is served by the kept comm, device, flow, reason, location and status texts.
    for (let round = 0; round < 2; round++) {
      for (const o of offsets) {
        const fields = eventFields(ctEvent.read(view, o), clock, names);
        slow.add(fields.state);
        expect(`{${json(view, o, ctEvent.size)}}`).toBe(JSON.stringify(fields));
      }
    }
    expect(fast.counts).toEqual(slow.counts);
    expect(fast.counts.total).toBe(2 * records.length);
  });

  it('through the runner: the fast lines equal the lines of the record path', async () => {
    const { view, offsets } = ring(events(200));
    const slowTally = new StateTally();
    const run = {
      event: (d: DataView) => {
        const e = eventFields(ctEvent.read(d), clock, names);
        slowTally.add(e.state);
        return e;
      },
      render: () => '',
    };
    const slow = capture();
    const fast = capture();
    const fastTally = new StateTally();
    const a = detailsEvents(run, 'conntrack_details', new Sink('json', slow.out));
    const b = detailsEvents({ ...run, json: ctEventJson(clock, names, fastTally) }, 'conntrack_details', new Sink('json', fast.out));
    for (const o of offsets) for (const s of [a, b]) s.onRecord(view, o, ctEvent.size);
    // The sink writes a turn's lines once the turn is over.
    await new Promise((r) => setImmediate(r));
    expect(fast.lines).toHaveLength(offsets.length);
    expect(fast.lines).toEqual(slow.lines);
    expect(JSON.parse(fast.lines[0]!)).toMatchObject({ type: 'event', tool: 'conntrack_details', state: 'none', entry: null });
    expect(fastTally.counts).toEqual(slowTally.counts);
    expect(b.count()).toBe(offsets.length);
  });

  it('refuses a record of another size', () => {
    const { view } = ring(events(0));
    expect(() => ctEventJson(clock, names, new StateTally())(view, 8, ctEvent.size - 8)).toThrow(/ct_event is/);
  });
});
