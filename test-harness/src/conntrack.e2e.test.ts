/**
 * conntrack_summary and conntrack_details against a namespace whose conntrack is driven into known
 * trouble, each tool filtered to that namespace. Truth comes from the workload and from the kernel's
 * own counters, read beside the tools (the namespace's /proc/net/stat/nf_conntrack, nftables rule
 * counters):
 * - invalid: N TCP segments with SYN and FIN both set (a combination conntrack rejects) through a
 *   raw socket, to a namespace where `ct state invalid drop` drops them: conntrack's invalid counter
 *   moves by N, and each is a drop without an entry;
 * - a full table: the namespace's table holds K established connections (assured: conntrack never
 *   evicts them early) and nf_conntrack_max is set to K; N UDP datagrams on N new flows are each
 *   refused (the kernel's drop counter moves by N, and N - room = N with no room left);
 * - states and zones: a rule dropping new UDP packets in zone 7 (a zone set in the raw table),
 *   notrack'ed packets dropped as untracked, and echo requests of an established ping.
 * Drops the kernel showed to no BPF program (on this machine, those in the context of the VM agent's
 * threads) are counted by a tracefs witness, and the tools held to the truth less those.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DropReasons } from '@netstrata/bpf-common';
import type { ConntrackRecord, CtEventRecord, NamespaceConntrack } from '@netstrata/system-network';
import { publish } from './examples.ts';
import { AgentContextWitness, Lab, agentPath, ping, requireRoot, runToolOnce, sendUdp, startTool, twoHosts, until, type Host, type Netns, type ToolRecord } from './index.ts';
import { expectUsageErrors } from './usage-errors.ts';

const run = requireRoot('conntrack end-to-end tests');
const SUMMARY = fileURLToPath(new URL('../../packages/system-network/dist/conntrack_summary.js', import.meta.url));
const DETAILS = fileURLToPath(new URL('../../packages/system-network/dist/conntrack_details.js', import.meta.url));
const AGENT = agentPath('conntrack.py');

const addr = (h: Host, family: 4 | 6) => (family === 4 ? h.v4 : h.v6);
const final = (records: ToolRecord[]) => records.find((r) => r.type === 'final') as unknown as ConntrackRecord;
const events = (records: ToolRecord[]) => records.filter((r) => r.type === 'event') as unknown as CtEventRecord[];
const nsRow = (rec: ConntrackRecord, ns: Netns): NamespaceConntrack => rec.namespaces.find((r) => r.netns === ns.inode)!;

/** One column of the namespace's /proc/net/stat/nf_conntrack, summed over CPUs: the kernel's own. */
function ctStat(ns: Netns, column: string): number {
  const [header, ...cpus] = ns.exec('cat', ['/proc/net/stat/nf_conntrack']).trim().split('\n');
  const i = header!.trim().split(/\s+/).indexOf(column);
  return cpus.reduce((s, l) => s + parseInt(l.trim().split(/\s+/)[i]!, 16), 0);
}

const ctCount = (ns: Netns) => Number(ns.exec('cat', ['/proc/sys/net/netfilter/nf_conntrack_count']).trim());

/** The namespace's entries in one zone, as conntrack(8) lists them by its own zone filter (`-w`). */
const zoneCount = (ns: Netns, zone: number) =>
  ns.exec('sh', ['-c', `{ conntrack -L -f ipv4 -w ${zone}; conntrack -L -f ipv6 -w ${zone}; } 2>/dev/null`]).split('\n').filter((l) => l.trim()).length;

/** Packets an nftables rule's counter saw (the first counter of the table). */
const nftCount = (ns: Netns, table: string) => Number(/counter packets (\d+)/.exec(ns.exec('nft', ['list', 'table', 'inet', table]))?.[1] ?? NaN);

function agent(ns: Netns, spec: object): string {
  return ns.exec('python3', [AGENT, JSON.stringify(spec)]);
}

/** A long-running agent (listen, connect), once it printed its first line. */
async function startAgent(ns: Netns, spec: object): Promise<{ first: Record<string, unknown>; child: ChildProcess; [Symbol.asyncDispose](): Promise<void> }> {
  const child = spawn('ip', ['netns', 'exec', ns.name, 'python3', AGENT, JSON.stringify(spec)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const first = await new Promise<Record<string, unknown>>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]!) as Record<string, unknown>);
    });
    child.once('exit', (code) => reject(new Error(`conntrack agent exited (${code}): ${err}`)));
  });
  const exited = new Promise<void>((res) => child.once('exit', () => res()));
  return {
    first,
    child,
    async [Symbol.asyncDispose]() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * A conntrack(8) first on the tool's PATH that notes the arguments of every call, then runs the real
 * one: what the tool asked of conntrack(8) (`-L`: a dump of a table; `-E`: the --confirmed listener).
 */
function conntrackCalls() {
  const real = execFileSync('sh', ['-c', 'command -v conntrack'], { encoding: 'utf8' }).trim();
  const dir = mkdtempSync(join(tmpdir(), 'nst-ct-'));
  const log = join(dir, 'calls');
  writeFileSync(log, '');
  writeFileSync(join(dir, 'conntrack'), `#!/bin/sh\necho "$*" >> ${log}\nexec ${real} "$@"\n`);
  chmodSync(join(dir, 'conntrack'), 0o755);
  return {
    env: { PATH: `${dir}:${process.env.PATH ?? ''}` },
    calls: () => readFileSync(log, 'utf8').split('\n').filter(Boolean),
    [Symbol.dispose]: () => rmSync(dir, { recursive: true, force: true }),
  };
}
const dumps = (calls: string[]) => calls.filter((c) => /(^| )-L( |$)/.test(c));

/** A witness of the NETFILTER_DROP drops in the lab's namespaces no BPF program was shown. */
const witness = () => new AgentContextWitness('skb:kfree_skb', `reason == ${DropReasons.fromKernel().code('NETFILTER_DROP')!}`);

const TOOL_ARGS = (ns: Netns) => ['--netns', ns.name];
const SUMMARY_ARGS = (ns: Netns) => [...TOOL_ARGS(ns), '--interval', '3600', '--top', '100'];

/** b's table holding K established connections from a, held open (K1 in zone 0 to `port`, K2 in
 * zone 7 to `port` + 1): assured entries, which conntrack never evicts early to make room. */
async function heldConnections(a: Host, b: Host, k1: number, k2: number, port: number) {
  b.ns.nft(`table inet ctzone {
  chain pre { type filter hook prerouting priority raw; policy accept; tcp dport ${port + 1} ct zone set 7; }
  chain out { type filter hook output priority raw; policy accept; tcp sport ${port + 1} ct zone set 7; }
  chain in { type filter hook input priority 0; policy accept; ct state new counter; }
}
`);
  const listeners = [await startAgent(b.ns, { mode: 'listen', bind: b.v4, port }), await startAgent(b.ns, { mode: 'listen', bind: b.v4, port: port + 1 })];
  const clients = [await startAgent(a.ns, { mode: 'connect', dst: b.v4, dport: port, count: k1 }), await startAgent(a.ns, { mode: 'connect', dst: b.v4, dport: port + 1, count: k2 })];
  await until(() => ctCount(b.ns) === k1 + k2, `b's table to hold the ${k1 + k2} connections`);
  return {
    async [Symbol.asyncDispose]() {
      for (const x of [...clients, ...listeners]) await x[Symbol.asyncDispose]();
    },
  };
}

const CT_MAX = '/proc/sys/net/netfilter/nf_conntrack_max';

/**
 * Runs `fn` with the namespace's table limited to what it holds now (no room for one more entry):
 * the namespace's own limit where the kernel gives it one; else the host's (which every namespace's
 * table is held to, and which a namespace cannot set), set only while `fn` runs and put back at
 * once. Says which.
 */
function atLimit<T>(ns: Netns, fn: () => T): { result: T; own: boolean } {
  const count = ctCount(ns);
  const own = ns.exec('sh', ['-c', `echo ${count} > ${CT_MAX} && cat ${CT_MAX}`], { allowFail: true }).trim() === String(count);
  if (own) return { result: fn(), own };
  const host = readFileSync(CT_MAX, 'utf8').trim();
  try {
    writeFileSync(CT_MAX, String(count));
    return { result: fn(), own };
  } finally {
    writeFileSync(CT_MAX, host);
  }
}

describe.runIf(run)('conntrack_summary and conntrack_details', () => {
  for (const family of [4, 6] as const) {
    it(`N invalid TCP segments dropped by 'ct state invalid drop': invalid = N, N drops without an entry, one event each (IPv${family})`, async () => {
      using lab = Lab.create();
      const { a, b } = twoHosts(lab);
      const N = 25;
      b.ns.nft('table inet ctinv {\n  chain in { type filter hook input priority 0; policy accept; ct state invalid counter drop; }\n}\n');
      await using summary = await startTool(SUMMARY, SUMMARY_ARGS(b.ns));
      await using details = await startTool(DETAILS, TOOL_ARGS(b.ns));
      const invalid0 = ctStat(b.ns, 'invalid');
      using w = witness();
      const sent = JSON.parse(agent(a.ns, { mode: 'craft', dst: addr(b, family), sport: 40123, dport: 7, flags: 0x03, count: N })) as { sent: number };
      expect(sent.sent).toBe(N);
      await until(() => nftCount(b.ns, 'ctinv') === N, 'the rule to drop every segment');
      const s = final((await summary.stop()).records);
      const d = await details.stop();
      const { withheld } = w.counts();
      if (withheld) console.log(`IPv${family}: ${withheld} of the ${N} drops happened where the kernel runs no BPF program`);
      // The kernel's own: each segment invalid, none an entry.
      expect(ctStat(b.ns, 'invalid') - invalid0).toBe(N);
      const row = nsRow(s, b.ns);
      expect(row.counters.invalid).toBe(N);
      expect(row.counters.insert).toBe(0);
      expect(row.netfilter_drops).toMatchObject({ total: N - withheld, none: N - withheld, new: 0, established: 0, related: 0, untracked: 0 });
      expect(row.netfilter_drops.by_location.reduce((n, l) => n + l.count, 0)).toBe(N - withheld);
      console.log(`IPv${family}: invalid segments dropped at ${row.netfilter_drops.by_location.map((l) => `${l.location.symbol}+0x${l.location.offset.toString(16)}`).join(', ')}`);
      expect(s.flows).toEqual([{ flow: { src: addr(a, family), dst: addr(b, family), sport: 40123, dport: 7, protocol: 'TCP' }, netns: b.ns.inode, zone: null, state: 'none', drops: N - withheld }]);
      expect([s.lost, s.map_full, s.evicted]).toEqual([0, 0, 0]);
      // One event per dropped segment, each with its flow, state, flags and sequence.
      const ev = events(d.records);
      expect(ev).toHaveLength(N - withheld);
      for (const e of ev) {
        expect(e).toMatchObject({ reason: 'NETFILTER_DROP', state: 'none', direction: null, entry: null, netns: b.ns.inode, device: 'eth0' });
        expect(e.flow).toEqual({ src: addr(a, family), dst: addr(b, family), sport: 40123, dport: 7, protocol: 'TCP' });
        expect(e.tcp!.flags).toBe('FIN,SYN');
      }
      expect(new Set(ev.map((e) => e.tcp!.seq)).size).toBe(N - withheld);
      expect(d.records.find((r) => r.type === 'final')).toMatchObject({ events: N - withheld, lost: 0, by_state: { none: N - withheld } });
    });

    it(`a full table refuses N new flows: table_full = the kernel's drop count = N, --zones: the zones' entries, one event each (IPv${family})`, async () => {
      using lab = Lab.create();
      const { a, b } = twoHosts(lab);
      const [K1, K2, N, PORT] = [4, 2, 30, 5301];
      await using _held = await heldConnections(a, b, K1, K2, PORT);
      using ct = conntrackCalls();
      await using summary = await startTool(SUMMARY, [...SUMMARY_ARGS(b.ns), '--confirmed', '--zones'], { env: ct.env });
      await using details = await startTool(DETAILS, TOOL_ARGS(b.ns));
      const [drop0, insert0] = [ctStat(b.ns, 'drop'), ctStat(b.ns, 'insert')];
      using w = witness();
      // No room: N - room = N refused.
      const room = 0;
      const { result: sent, own } = atLimit(b.ns, () => sendUdp(a.ns, { dst: addr(b, family), dport: 9000, dportCount: N, count: N }));
      const s = final((await summary.stop()).records);
      const d = await details.stop();
      const { withheld } = w.counts();
      if (withheld) console.log(`IPv${family}: ${withheld} of the ${N} drops happened where the kernel runs no BPF program`);
      // The kernel's own: every new flow refused, nothing inserted.
      expect(ctStat(b.ns, 'drop') - drop0).toBe(N - room);
      expect(ctStat(b.ns, 'insert') - insert0).toBe(0);
      const row = nsRow(s, b.ns);
      // Nothing confirmed: every new flow was refused before it had an entry.
      expect(row).toMatchObject({ entries: K1 + K2, table_full: N - room, confirmed: 0, confirmed_overrun: false });
      // The limit as read at the end: the namespace's own (still K), or the host's (put back).
      if (own) expect(row).toMatchObject({ max: K1 + K2, fullness_pct: 100 });
      else expect(row.max).toBe(Number(b.ns.exec('cat', [CT_MAX]).trim()));
      expect(row.counters).toMatchObject({ drop: N - room, insert: 0, insert_failed: 0 });
      // The entries by zone as the kernel's table holds them (conntrack -L in the namespace, beside the tool).
      expect(row.zones.map((z) => [z.zone, z.entries])).toEqual([[0, K1], [7, K2]]);
      expect([zoneCount(b.ns, 0), zoneCount(b.ns, 7)]).toEqual([K1, K2]);
      // --zones dumps the table (through conntrack(8) -L).
      expect(dumps(ct.calls()).length).toBeGreaterThan(0);
      expect(row.netfilter_drops).toMatchObject({ total: N - withheld, none: N - withheld });
      expect(s.host).toMatchObject({ table_full: N - room, entries: K1 + K2 });
      // One flow each, as sent.
      expect(s.flows).toHaveLength(N - withheld);
      for (const f of s.flows) expect(f).toMatchObject({ flow: { src: addr(a, family), dst: addr(b, family), sport: sent.flow.sport, protocol: 'UDP' }, zone: null, state: 'none', drops: 1 });
      expect(new Set(s.flows.map((f) => f.flow!.dport)).size).toBe(N - withheld);
      const ev = events(d.records);
      expect(ev).toHaveLength(N - withheld);
      for (const e of ev) expect(e).toMatchObject({ reason: 'NETFILTER_DROP', state: 'none', entry: null, flow: { src: addr(a, family), dst: addr(b, family), sport: sent.flow.sport, protocol: 'UDP' } });
      expect(s.lost).toBe(0);
      expect(d.records.find((r) => r.type === 'final')).toMatchObject({ events: N - withheld, lost: 0 });
    });

    it(`drops by state and zone: new in zone 7, untracked, established, each counted as the rules dropped them (IPv${family})`, async () => {
      using lab = Lab.create();
      const { a, b } = twoHosts(lab);
      const [NEW, UNTRACKED, PINGS] = [12, 7, 5];
      const icmp = family === 4 ? 'icmp type echo-request' : 'icmpv6 type echo-request';
      b.ns.nft(`table inet ctstates {
  chain pre { type filter hook prerouting priority raw; policy accept; udp dport 9100 ct zone set 7; udp dport 9200 notrack; }
  chain in {
    type filter hook input priority 0; policy accept;
    udp dport 9100 ct state new counter drop;
    udp dport 9200 ct state untracked counter drop;
    ${icmp} ct state established counter drop;
  }
}
`);
      using ct = conntrackCalls();
      await using summary = await startTool(SUMMARY, [...SUMMARY_ARGS(b.ns), '--confirmed'], { env: ct.env });
      await using details = await startTool(DETAILS, [...TOOL_ARGS(b.ns), '--state', 'new,untracked,established']);
      using w = witness();
      const n = sendUdp(a.ns, { dst: addr(b, family), dport: 9100, count: NEW });
      const u = sendUdp(a.ns, { dst: addr(b, family), dport: 9200, count: UNTRACKED });
      // The first request opens the connection and is answered; the others are of an established one.
      const p = ping(a.ns, addr(b, family), PINGS, { intervalS: 0.2 });
      expect(p.received).toBe(1);
      const s = final((await summary.stop()).records);
      const d = await details.stop();
      const { withheld } = w.counts();
      expect(withheld).toBe(0);
      const row = nsRow(s, b.ns);
      // One connection confirmed, the ping's: the new UDP packets' entries went with them, unconfirmed,
      // and untracked packets have none.
      expect(row.confirmed).toBe(1);
      expect(row.netfilter_drops).toMatchObject({ total: NEW + UNTRACKED + PINGS - 1, none: 0, new: NEW, untracked: UNTRACKED, established: PINGS - 1, related: 0 });
      expect(row.zones.find((z) => z.zone === 7)?.netfilter_drops).toMatchObject({ total: NEW, new: NEW });
      expect(row.zones.find((z) => z.zone === 0)?.netfilter_drops).toMatchObject({ total: PINGS - 1, established: PINGS - 1 });
      // Without --zones: the zones are those of the drops, with no entry counts, and no table was
      // dumped (conntrack(8) ran only as the --confirmed listener).
      expect(row.zones.map((z) => Object.keys(z))).toEqual([['zone', 'netfilter_drops'], ['zone', 'netfilter_drops']]);
      expect(s.namespaces.flatMap((r) => r.zones).filter((z) => 'entries' in z)).toEqual([]);
      expect(dumps(ct.calls())).toEqual([]);
      expect(ct.calls().filter((c) => /(^| )-E( |$)/.test(c))).toHaveLength(1);
      const flow = (sport: number, dport: number) => ({ src: addr(a, family), dst: addr(b, family), sport, dport, protocol: 'UDP' });
      expect(s.flows).toEqual(
        expect.arrayContaining([
          { flow: flow(n.flow.sport, 9100), netns: b.ns.inode, zone: 7, state: 'new', drops: NEW },
          { flow: flow(u.flow.sport, 9200), netns: b.ns.inode, zone: null, state: 'untracked', drops: UNTRACKED },
        ]),
      );
      expect(s.flows.find((f) => f.state === 'established')).toMatchObject({ zone: 0, drops: PINGS - 1, flow: { src: addr(a, family), dst: addr(b, family), protocol: family === 4 ? 'ICMP' : 'ICMPv6' } });
      const ev = events(d.records);
      const by = (st: string) => ev.filter((e) => e.state === st);
      expect(by('new')).toHaveLength(NEW);
      for (const e of by('new')) expect(e).toMatchObject({ direction: 'original', entry: { zone: 7 }, flow: flow(n.flow.sport, 9100) });
      expect(by('new')[0]!.entry!.status).not.toContain('CONFIRMED');
      expect(by('untracked')).toHaveLength(UNTRACKED);
      for (const e of by('untracked')) expect(e).toMatchObject({ entry: null, flow: flow(u.flow.sport, 9200) });
      expect(by('established')).toHaveLength(PINGS - 1);
      for (const e of by('established')) expect(e.entry).toMatchObject({ zone: 0, status: expect.arrayContaining(['SEEN_REPLY', 'CONFIRMED']) });
      expect(ev).toHaveLength(NEW + UNTRACKED + PINGS - 1);
    });
  }

  it('bad input: one line naming the option, exit 2, not one bpf(2) call', () => {
    const cases: [string, string[], RegExp][] = [
      [SUMMARY, ['--zones=often'], /^--zones: 'often' is not true or false/],
      [SUMMARY, ['--confirmed=yes'], /^--confirmed: 'yes' is not true or false/],
      [SUMMARY, ['--top', '0'], /^--top: '0' must be at least 1$/],
      [SUMMARY, ['--interval', '0'], /^--interval: /],
      [SUMMARY, ['--ip', '10.0.0.300'], /^--ip: '10\.0\.0\.300' is not an IPv4 or IPv6 address$/],
      [SUMMARY, ['--netns', 'nstlab-no-such-ns'], /^--netns: no network namespace 'nstlab-no-such-ns'/],
      [DETAILS, ['--state', 'invalid'], /^--state: 'invalid' is not one of none, new, established, related, untracked$/],
      [DETAILS, ['--state', 'new,bogus'], /^--state: 'bogus' is not one of /],
      [DETAILS, ['--interval', '5'], /^unknown option --interval$/],
      [DETAILS, ['--protocol', 'sctp'], /^--protocol: 'sctp' is not one of tcp, udp, icmp$/],
    ];
    for (const [bin, args, message] of cases) expectUsageErrors(bin, [[args, message]]);
  });

  it('the examples for the docs: a full table and invalid segments (text)', async () => {
    using lab = Lab.create();
    const { a, b } = twoHosts(lab);
    await using _held = await heldConnections(a, b, 4, 2, 5301);
    b.ns.nft('table inet ctinv {\n  chain in { type filter hook input priority 0; policy accept; ct state invalid counter drop; }\n}\n');
    const sargs = ['--netns', b.ns.name, '--interval', '60', '--top', '5', '--zones'];
    const dargs = ['--netns', b.ns.name];
    await using summary = await startTool(SUMMARY, sargs, { json: false });
    await using details = await startTool(DETAILS, dargs, { json: false });
    atLimit(b.ns, () => sendUdp(a.ns, { dst: b.v4, dport: 9000, dportCount: 8, count: 8 }));
    agent(a.ns, { mode: 'craft', dst: b.v6, sport: 40123, dport: 22, flags: 0x03, count: 3 });
    await until(() => nftCount(b.ns, 'ctinv') === 3, 'the rule to drop every segment');
    const s = await summary.stop();
    const d = await details.stop();
    expect(s.stdout).toMatch(/table full/);
    expect(d.stdout).toMatch(/ct none/);
    const anon = (args: string[]) => args.join(' ').replace(b.ns.name, 'lab-b');
    publish('conntrack_summary', `conntrack_summary ${anon(sargs)}`, s.stdout);
    publish('conntrack_details', `conntrack_details ${anon(dargs)}`, d.stdout);
  });
});
