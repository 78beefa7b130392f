/** icmp_rtt_details' pure parts: decoding, stage times, rendering, the sweep of unanswered pings,
 * stage lists and options. */
import { describe, expect, it } from 'vitest';
import { parseArgs, type FlavourChoice, type HookFlavour } from '@netstrata/bpf-common';
import { BpfObject } from '@netstrata/libbpf-ts';
import { ALL_PING_HOOKS, STAGE_HOOKS, legStageNames, pingHooks, stageLines } from './hooks.ts';
import { IR_STAGES, STAGE_NAMES, decodeEvent, decodeKey, irEvent, irKey, irSession } from './layout.ts';
import { eventFields, legStages, renderEventText, renderFinalText, type PingEventRecord } from './render.ts';
import { Sweeper, evictedOf, fate, type SessionMap } from './sweep.ts';
import { icmpRttDetails } from './tool.ts';

const S = Object.fromEntries(STAGE_NAMES.map((n, i) => [n, i])) as Record<(typeof STAGE_NAMES)[number], number>;

/** Session bytes with stamps (ns) at the given stages of each leg. */
function sessionBytes(request: Partial<Record<keyof typeof S, bigint>>, reply: Partial<Record<keyof typeof S, bigint>>, o: { late?: boolean; len?: number; pid?: number; comm?: string } = {}): Uint8Array {
  const ts = new Uint8Array(2 * IR_STAGES * 8);
  const v = new DataView(ts.buffer);
  for (const [leg, stamps] of [[0, request], [1, reply]] as const) {
    for (const [name, t] of Object.entries(stamps)) v.setBigUint64((leg * IR_STAGES + S[name as keyof typeof S]!) * 8, t!, true);
  }
  return irSession.encode({ ts, len: o.len ?? 84, pid: o.pid ?? 0, comm: o.comm ?? '', late: o.late ? 1 : 0 });
}

const v4 = (s: string) => new Uint8Array([...s.split('.').map(Number), ...new Array(12).fill(0)]);

function eventBytes(session: Uint8Array, o: { family?: 2 | 10; id?: number; seq?: number } = {}): DataView {
  const key = irKey.decode(
    irKey.encode({
      requester: o.family === 10 ? new Uint8Array([0xfd, 0, ...new Array(13).fill(0), 1]) : v4('10.1.1.1'),
      target: o.family === 10 ? new Uint8Array([0xfd, 0, ...new Array(13).fill(0), 2]) : v4('10.2.2.1'),
      id: o.id ?? 4660,
      seq: o.seq ?? 7,
      family: o.family ?? 2,
    }),
  );
  const b = irEvent.encode({ key, s: irSession.decode(session), cpu: 1 });
  return new DataView(b.buffer);
}

const toIso = (ns: bigint) => `t${ns}`;
const ROUTER = { rx: 'ra', tx: 'tap0', netns: 4026532000 };

describe('decoding', () => {
  it('a forwarded ping: identity, both legs, and the outside time between them', () => {
    const s = sessionBytes({ receive: 1_000_000n, dev_queue: 1_010_000n, start_xmit: 1_011_000n, xmit: 1_015_000n }, { receive: 21_015_000n, dev_queue: 21_030_000n, start_xmit: 21_031_000n, xmit: 21_040_000n });
    const e = decodeEvent(eventBytes(s));
    expect(e.ping).toEqual({ family: 4, requester: '10.1.1.1', target: '10.2.2.1', id: 4660, seq: 7 });
    const f = eventFields(e, toIso, ROUTER)!;
    expect(f.kind).toBe('forwarded');
    expect(f.time).toBe('t1000000');
    expect(f.flow).toMatchObject({ src: '10.1.1.1', dst: '10.2.2.1', protocol: 'ICMP', icmp_id: 4660 });
    expect(f.icmp).toEqual({ id: 4660, seq: 7 });
    expect(f.request).toEqual([
      { stage: 'receive', delta_us: 0 },
      { stage: 'dev_queue', delta_us: 10 },
      { stage: 'start_xmit', delta_us: 1 },
      { stage: 'xmit', delta_us: 4 },
    ]);
    expect(f.reply.map((x) => x.stage)).toEqual(['receive', 'dev_queue', 'start_xmit', 'xmit']);
    expect(f.outside_us).toBe(20_000);
    expect(f.request_us).toBe(15);
    expect(f.reply_us).toBe(25);
    expect(f.rtt_us).toBe(20_040);
    expect(f.request_us + f.outside_us + f.reply_us).toBe(f.rtt_us);
    expect(f.pinger).toBeNull();
  });

  it('a local ping over IPv6: the pinger, and the reply up to its socket', () => {
    const s = sessionBytes({ send: 500n, dev_queue: 2_500n, start_xmit: 3_000n, xmit: 4_000n }, { receive: 1_004_000n, socket: 1_010_500n }, { pid: 42, comm: 'ping' });
    const f = eventFields(decodeEvent(eventBytes(s, { family: 10 })), toIso, { rx: null, tx: 'eth0', netns: 1 })!;
    expect(f.kind).toBe('local');
    expect(f.flow).toMatchObject({ src: 'fd00::1', dst: 'fd00::2', protocol: 'ICMPv6', icmp_type: 128 });
    expect(f.pinger).toEqual({ pid: 42, comm: 'ping' });
    expect(f.request[1]).toEqual({ stage: 'dev_queue', delta_us: 2 });
    expect(f.reply).toEqual([
      { stage: 'receive', delta_us: 0 },
      { stage: 'socket', delta_us: 6.5 },
    ]);
    expect(f.outside_us).toBe(1000);
    expect(f.rtt_us).toBe(1010);
  });

  it('a record missing a leg is skipped', () => {
    expect(eventFields(decodeEvent(eventBytes(sessionBytes({ dev_queue: 1n }, {}))), toIso, ROUTER)).toBeUndefined();
  });

  it('keys decode as the request has them', () => {
    expect(decodeKey(irKey.encode({ requester: v4('10.9.0.1'), target: v4('10.9.0.2'), id: 1, seq: 65535, family: 2 }))).toEqual({ family: 4, requester: '10.9.0.1', target: '10.9.0.2', id: 1, seq: 65535 });
  });

  it('legStages: deltas from the stage before, stages in slot order, gaps skipped', () => {
    const ts = new Array<bigint>(IR_STAGES).fill(0n);
    ts[S.receive] = 10_000n;
    ts[S.xmit] = 12_500n;
    expect(legStages(ts)).toEqual({ stages: [{ stage: 'receive', delta_us: 0 }, { stage: 'xmit', delta_us: 2.5 }], first: 10_000n, last: 12_500n });
  });
});

describe('rendering', () => {
  it('one event: the round trip split in three, then each leg', () => {
    const s = sessionBytes({ receive: 1_000_000n, dev_queue: 1_010_000n, xmit: 1_015_000n }, { receive: 21_015_000n, xmit: 21_040_000n });
    const f = eventFields(decodeEvent(eventBytes(s)), () => '2026-12-07T13:00:00.123456Z', ROUTER)!;
    const text = renderEventText({ type: 'event', tool: 'icmp_rtt_details', ...f } as PingEventRecord);
    expect(text.split('\n')).toEqual([
      expect.stringMatching(/ ICMP 10\.1\.1\.1 > 10\.2\.2\.1 id 4660 seq 7 len 84 \(forwarded ra -> tap0\): rtt 20\.040 ms = out 15\.0 us \+ outside 20\.000 ms \+ back 25\.0 us$/),
      '    request: receive -> dev_queue +10.0 us -> xmit +5.0 us',
      '    reply:   receive -> xmit +25.0 us',
    ]);
  });

  it('the final line says every count', () => {
    expect(renderFinalText({ events: 3, answered: 3, unanswered: 2, late: 1, incomplete: 0, replaced: 0, pending: 1, threshold_us: 0, timeout_ms: 1000 })).toBe(
      '3 pings; 3 answered, 2 unanswered after 1000 ms (1 replied late), 0 incomplete, 0 replaced, 1 pending',
    );
  });
});

/** A map of session values by a one-byte key. */
function fakeMap(values: Uint8Array[]): SessionMap & { size(): number } {
  const m = new Map(values.map((v, i) => [i, v]));
  return {
    *entries() {
      for (const [k, v] of m) yield [new Uint8Array([k]), v] as [Uint8Array, Uint8Array];
    },
    lookupAndDelete: (k) => {
      const v = m.get(k[0]!);
      m.delete(k[0]!);
      return v;
    },
    size: () => m.size,
  };
}

describe('the sweep of unanswered pings', () => {
  const T = 1_000_000_000n;
  it('fate: waiting until the timeout, then unanswered, late, or incomplete', () => {
    expect(fate(sessionBytes({ dev_queue: 5n * T }, {}), 5n * T + T - 1n, T)).toBe('waiting');
    expect(fate(sessionBytes({ dev_queue: 5n * T }, {}), 6n * T, T)).toBe('unanswered');
    expect(fate(sessionBytes({ send: 4n * T, dev_queue: 5n * T }, {}), 5n * T, T)).toBe('unanswered');
    expect(fate(sessionBytes({ dev_queue: 5n * T }, { receive: 5n * T + 10n }), 7n * T, T)).toBe('incomplete');
    expect(fate(sessionBytes({ dev_queue: 5n * T }, {}, { late: true }), 7n * T, T)).toBe('unanswered');
  });

  it('counts each ping let go once, and leaves the waiting ones', () => {
    const map = fakeMap([sessionBytes({ dev_queue: 1n }, {}), sessionBytes({ dev_queue: 2n }, { receive: 3n }), sessionBytes({ dev_queue: 10n * T }, {})]);
    const s = new Sweeper(map, T);
    expect(s.sweep(10n * T)).toBe(1);
    expect([s.unanswered, s.incomplete, map.size()]).toEqual([1, 1, 1]);
    expect(s.sweep(10n * T)).toBe(1);
    expect([s.unanswered, s.incomplete]).toEqual([1, 1]);
  });

  it('a session the kernel completed meanwhile is not counted', () => {
    const map = fakeMap([sessionBytes({ dev_queue: 1n }, {})]);
    const s = new Sweeper({ entries: () => map.entries(), lookupAndDelete: () => undefined }, T);
    s.sweep(10n * T);
    expect(s.unanswered).toBe(0);
  });

  it('evicted: started and in no other count', () => {
    expect(evictedOf({ started: 10, completed: 5, replaced: 1 }, { unanswered: 2, incomplete: 1 }, 1)).toBe(0);
    expect(evictedOf({ started: 12, completed: 5, replaced: 1 }, { unanswered: 2, incomplete: 1 }, 1)).toBe(2);
  });
});

function choices(forwarded: boolean): FlavourChoice[] {
  return pingHooks(forwarded).map((h) => {
    // This kernel: tracepoints, no function hooks, no openvswitch module.
    const missing = (h.optional && h.flavours.some((f) => f.needs === 'fentry')) || h.name.startsWith('openvswitch:');
    const chosen: HookFlavour | undefined = missing ? undefined : h.flavours[0];
    const rejected = chosen ? [] : h.flavours.map((f) => ({ flavour: f.name, reason: f.needs === 'fentry' ? 'load refused: EPERM' : 'not here' }));
    return { hook: h.name, chosen, rejected, all: h.flavours };
  });
}

describe('stages and hooks', () => {
  it('every stage has hooks the tool has, and every hook stamps a stage', () => {
    const names = new Set(ALL_PING_HOOKS.map((h) => h.name));
    const stamped = new Set(Object.values(STAGE_HOOKS).flat());
    expect(stamped).toEqual(names);
    expect(Object.keys(STAGE_HOOKS)).toEqual([...STAGE_NAMES]);
    for (const f of [true, false]) for (const leg of Object.values(legStageNames(f))) for (const s of leg) expect(STAGE_NAMES).toContain(s);
  });

  it("the object's programs are exactly the hooks' flavours", () => {
    using obj = BpfObject.open(icmpRttDetails.spec.object, icmpRttDetails.name);
    const flavours = ALL_PING_HOOKS.flatMap((h) => h.flavours.flatMap((f) => f.programs));
    expect(obj.programs().map((p) => p.name).sort()).toEqual([...new Set(flavours)].sort());
  });

  it('forwarded and local pings use the hooks of their path', () => {
    const fwd = pingHooks(true).map((h) => h.name);
    const local = pingHooks(false).map((h) => h.name);
    expect(fwd).toContain('ip_forward');
    expect(fwd).not.toContain('sock:sk_data_ready');
    expect(local).toContain('sock:sk_data_ready');
    expect(local).not.toContain('openvswitch:ovs_dp_upcall');
  });

  it('stage lines: the measured stages in order, the others with why', () => {
    expect(stageLines(true, choices(true))).toEqual([
      'request stages: receive [net:netif_receive_skb tp_btf] -> dev_queue [net:net_dev_queue tp_btf] -> start_xmit [net:net_dev_start_xmit tp_btf] -> xmit [net:net_dev_xmit tp_btf]',
      'reply stages: receive [net:netif_receive_skb tp_btf] -> dev_queue [net:net_dev_queue tp_btf] -> start_xmit [net:net_dev_start_xmit tp_btf] -> xmit [net:net_dev_xmit tp_btf]',
      'stages ip_rcv, forward not measured: fentry: load refused: EPERM; kprobe: not here',
      'stages ovs_upcall, ovs not measured: tp_btf: not here; raw_tp: not here',
    ]);
    expect(stageLines(false, choices(false))[0]).toBe('request stages: send [syscalls:sys_enter_send* tracepoint] -> dev_queue [net:net_dev_queue tp_btf] -> start_xmit [net:net_dev_start_xmit tp_btf] -> xmit [net:net_dev_xmit tp_btf]');
  });
});

describe('options', () => {
  const parse = (argv: string[]) => parseArgs(icmpRttDetails, argv);
  it('defaults: every ping, one second of timeout', async () => {
    const o = (await parse(['--tx-interface', 'lo']))!;
    expect(o).toMatchObject({ txInterface: 'lo', latencyThresholdUs: 0, timeoutMs: 1000 });
    expect(o.rxInterface).toBeUndefined();
  });
  it('bad values name their option', async () => {
    await expect(parse(['--tx-interface', 'lo', '--latency-threshold-us', '-3'])).rejects.toThrow(/^--latency-threshold-us: '-3' must be at least 0$/);
    await expect(parse(['--tx-interface', 'lo', '--timeout-ms', 'x'])).rejects.toThrow(/^--timeout-ms: 'x' is not a number$/);
    await expect(parse(['--tx-interface', 'lo', '--dst-ip', 'nope'])).rejects.toThrow(/^--dst-ip: 'nope'/);
    await expect(parse(['--tx-interface', 'lo', '--port', '80'])).rejects.toThrow(/--port/);
  });
});
