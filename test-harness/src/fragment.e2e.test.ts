/**
 * fragment_summary against fragments crafted by hand (agents/fragments.py), sent from namespace a to
 * b as Ethernet frames, in both families, the tool filtered to b. Every datagram is 2508 bytes of
 * UDP cut into three fragments (1024, 1024, 460 bytes); N of each kind:
 * - complete: every fragment once; the sink in b receives each datagram;
 * - duplicate: the first fragment twice, then the rest: the copy is dropped DUP_FRAG, the datagram
 *   still completes (the sink receives it);
 * - overlap: the first and last fragments, then one overlapping the first (bytes 512..1536): the
 *   kernel gives the datagram up (RFC 5722) and drops that fragment without a reason (NOT_SPECIFIED
 *   in the function that queues it: kind refused); the two it held are freed as consumed;
 * - timeout: the first and last fragments, the middle never sent; b's ipfrag_time / ip6frag_time is
 *   lowered to 2 s, after which both are dropped FRAG_REASM_TIMEOUT;
 * - headless: the middle and last fragments, the first never sent: timed out too, and no fragment
 *   the expiry timer sends its ICMP error with (both freed from the queue, whose fragments no longer
 *   name their device: the namespace comes from the one of the two that still does).
 * Truth: the kernel's own counters of b (their change over the run), what was sent, what the sink
 * received. Expiries run from a timer: one that fires while a thread of the VM's agent (PID 1) is on
 * the CPU is shown to no BPF program here (witness.ts), so timed-out fragments are held to what was
 * sent less what AgentContextWitness saw withheld.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DropReasons } from '@netstrata/bpf-common';
import type { FragmentRecord } from '@netstrata/system-network';
import { agentPath } from './agents.ts';
import { publish } from './examples.ts';
import { AgentContextWitness, Lab, requireRoot, runToolOnce, startSink, startTool, twoHosts, until, type Host, type Netns, type ToolRecord } from './index.ts';

const run = requireRoot('fragment_summary end-to-end tests');
const TOOL = fileURLToPath(new URL('../../packages/system-network/dist/fragment_summary.js', import.meta.url));

const N = 4;
const PORT = 5300;
const SIZE = 2500;
const CHUNK = 1024;
const KINDS = {
  complete: { base: 0x100, send: [0, 1, 2] },
  duplicate: { base: 0x200, send: [0, 0, 1, 2] },
  overlap: { base: 0x300, send: [0, 2, { offset: 512, length: CHUNK }] },
  timeout: { base: 0x400, send: [0, 2] },
  headless: { base: 0x500, send: [1, 2] },
} as const;
type Case = keyof typeof KINDS;
const ids = (c: Case) => Array.from({ length: N }, (_, i) => KINDS[c].base + i);

/** b's reassembly counters (per namespace in /proc/net/snmp, netstat and snmp6). */
function counters(ns: Netns, family: 4 | 6): { reqds: number; oks: number; fails: number; timeouts: number; overlaps: number | null } {
  const m = new Map<string, number>();
  for (const file of ['/proc/net/snmp', '/proc/net/netstat']) {
    const lines = ns.exec('cat', [file]).trim().split('\n');
    for (let i = 0; i + 1 < lines.length; i += 2) {
      const names = lines[i]!.split(/\s+/);
      const values = lines[i + 1]!.split(/\s+/);
      names.slice(1).forEach((n, j) => m.set(`${names[0]}${n}`, Number(values[j + 1])));
    }
  }
  for (const line of ns.exec('cat', ['/proc/net/snmp6']).trim().split('\n')) {
    const [k, v] = line.split(/\s+/);
    m.set(k!, Number(v));
  }
  const p = family === 4 ? 'Ip:Reasm' : 'Ip6Reasm';
  return { reqds: m.get(`${p}Reqds`)!, oks: m.get(`${p}OKs`)!, fails: m.get(`${p}Fails`)!, timeouts: m.get(`${p}Timeout`)!, overlaps: family === 4 ? m.get('IpExt:ReasmOverlaps')! : null };
}

/** Sends the datagrams of `cases` from a to b as crafted fragments: how many frames. */
function sendFragments(a: Host, b: Host, family: 4 | 6, cases: readonly Case[]): number {
  const spec = {
    ifname: a.dev,
    src_mac: a.mac,
    dst_mac: b.mac,
    family,
    src: family === 4 ? a.v4 : a.v6,
    dst: family === 4 ? b.v4 : b.v6,
    sport: 40000,
    dport: PORT,
    datagrams: cases.flatMap((c) => ids(c).map((id) => ({ id, size: SIZE, chunk: CHUNK, send: KINDS[c].send }))),
  };
  return (JSON.parse(a.ns.exec('python3', [agentPath('fragments.py'), JSON.stringify(spec)])) as { frames: number }).frames;
}

const final = (records: ToolRecord[]) => {
  const fin = records.filter((r) => r.type === 'final');
  expect(fin).toHaveLength(1);
  return fin[0] as unknown as FragmentRecord;
};

/** The reassembly time of b, lowered so that the incomplete datagrams time out soon. */
const lowerReasmTime = (ns: Netns) => {
  ns.sysctl('net.ipv4.ipfrag_time', 2);
  ns.sysctl('net.ipv6.ip6frag_time', 2);
};

describe.runIf(run)('fragment_summary', () => {
  for (const family of [4, 6] as const) {
    it(`complete, duplicated, overlapping and timed-out datagrams: the kernel's counters moved as injected, and each dropped fragment by datagram, kind and reason (IPv${family})`, async () => {
      using lab = Lab.create();
      const { a, b } = twoHosts(lab);
      lowerReasmTime(b.ns);
      const sink = await startSink(b.ns, { protocol: 'udp', bind: family === 4 ? b.v4 : b.v6, port: PORT });
      // The address and protocol filters on (every datagram here passes them): they apply in the kernel.
      const filters = ['--ip', family === 4 ? '10.200.0.0/24' : 'fd00:200::/64', '--protocol', 'udp'];
      await using tool = await startTool(TOOL, ['--netns', b.ns.name, ...filters, '--interval', '3600', '--top', '100', '--bpf-stats']);
      const before = counters(b.ns, family);
      // Expiries the kernel ran where no BPF program runs (the VM agent's threads).
      const timeoutCode = DropReasons.fromKernel().code('FRAG_REASM_TIMEOUT')!;
      using witness = new AgentContextWitness('skb:kfree_skb', `reason == ${timeoutCode}`);
      const frames = sendFragments(a, b, family, ['complete', 'duplicate', 'overlap', 'timeout', 'headless']);
      expect(frames).toBe(N * (3 + 4 + 3 + 2 + 2));
      await until(() => counters(b.ns, family).timeouts - before.timeouts >= 2 * N, 'the incomplete datagrams to time out', 30_000);
      const after = counters(b.ns, family);
      const rec = final((await tool.stop()).records);
      const { withheld } = witness.counts();
      if (withheld) console.log(`IPv${family}: ${withheld} timed-out fragment(s) were dropped where the kernel runs no BPF program`);
      // The sink received every datagram that could complete: the complete and the duplicated ones.
      expect(await sink.stop()).toBe(2 * N);

      // The kernel's counters, as injected; the tool's are their change over its run.
      const delta = { reqds: after.reqds - before.reqds, oks: after.oks - before.oks, fails: after.fails - before.fails, timeouts: after.timeouts - before.timeouts };
      expect(delta).toEqual({ reqds: frames, oks: 2 * N, fails: N + 2 * N, timeouts: 2 * N });
      const k = family === 4 ? rec.kernel.ipv4 : rec.kernel.ipv6;
      expect(k).toEqual({ fragments: delta.reqds, reassembled: delta.oks, failed: delta.fails, timeouts: delta.timeouts, overlaps: family === 4 ? after.overlaps! - before.overlaps! : null });
      if (family === 4) expect(k.overlaps).toBe(N);
      expect(family === 4 ? rec.kernel.ipv6.fragments : rec.kernel.ipv4.fragments).toBe(0);

      // The fragments dropped, by kind: one copy per duplicated datagram, the overlapping fragment
      // of each overlapped one, both fragments of each timed-out one.
      expect(rec.drops.by_kind).toEqual({ timeout: 4 * N - withheld, duplicate: N, refused: N, too_far: 0, purged: 0, other: 0 });
      expect(rec.drops.fragments).toBe(6 * N - withheld);
      expect(rec.drops.unattributed).toBe(0);
      const reasons = rec.drops.by_reason.map((r) => [r.family, r.kind, r.reason]);
      expect(new Set(reasons.map((r) => r.join(' ')))).toEqual(new Set([`${family} duplicate DUP_FRAG`, `${family} refused NOT_SPECIFIED`, `${family} timeout FRAG_REASM_TIMEOUT`]));
      // Refused where the fragment was queued; timed out in the expiry timer and the queue's purge.
      const where = (kind: string) => new Set(rec.drops.by_reason.filter((r) => r.kind === kind).map((r) => r.location?.symbol));
      expect(where('refused')).toEqual(new Set([family === 4 ? 'ip_defrag' : 'ipv6_frag_rcv']));
      expect(where('duplicate')).toEqual(new Set([family === 4 ? 'ip_defrag' : 'ipv6_frag_rcv']));

      // Each datagram: its kind, its fragments, which were first and last, its namespace (every
      // fragment of it in b, the headless ones' too).
      const src = family === 4 ? a.v4 : a.v6;
      const dst = family === 4 ? b.v4 : b.v6;
      const byId = new Map(rec.datagrams.map((d) => [d.datagram.id, d]));
      expect(rec.more_datagrams).toBe(0);
      for (const d of rec.datagrams) {
        expect(d.datagram).toMatchObject({ src, dst, protocol: 'UDP' });
        expect(d.netns).toBe(b.ns.inode);
      }
      for (const id of ids('complete')) expect(byId.has(id)).toBe(false);
      for (const id of ids('duplicate')) expect(byId.get(id)).toMatchObject({ kind: 'duplicate', fragments: 1, bytes: CHUNK, first: 1, last: 0 });
      for (const id of ids('overlap')) expect(byId.get(id)).toMatchObject({ kind: 'refused', fragments: 1, bytes: CHUNK, first: 0, last: 0 });
      const timedOut = [...ids('timeout'), ...ids('headless')].map((id) => byId.get(id));
      expect(timedOut.reduce((n, d) => n + (d?.fragments ?? 0), 0)).toBe(4 * N - withheld);
      if (!withheld) {
        for (const id of ids('timeout')) expect(byId.get(id)).toMatchObject({ kind: 'timeout', fragments: 2, bytes: CHUNK + SIZE + 8 - 2 * CHUNK, first: 1, last: 1 });
        for (const id of ids('headless')) expect(byId.get(id)).toMatchObject({ kind: 'timeout', fragments: 2, bytes: CHUNK + SIZE + 8 - 2 * CHUNK, first: 0, last: 1 });
      }
      expect([rec.lost, rec.map_full, rec.evicted]).toEqual([0, 0, 0]);
      // What the tool cost b: BPF runs for the fragments it received (none per fragment reassembled).
      console.log(`fragment_summary (IPv${family}): ${rec.cost.bpf_runs} BPF runs for ${frames} fragments received, ${6 * N} of them dropped`);
    }, 60_000);
  }

  it('another namespace: its datagrams stay out; a fragment whose namespace no fragment before it named is counted apart', async () => {
    using lab = Lab.create();
    const { a, b } = twoHosts(lab);
    lowerReasmTime(b.ns);
    await using tool = await startTool(TOOL, ['--netns', a.ns.name, '--interval', '3600']);
    const before = counters(b.ns, 4);
    using witness = new AgentContextWitness('skb:kfree_skb', `reason == ${DropReasons.fromKernel().code('FRAG_REASM_TIMEOUT')!}`);
    sendFragments(a, b, 4, ['duplicate', 'timeout', 'headless']);
    await until(() => counters(b.ns, 4).timeouts - before.timeouts >= 2 * N, 'the incomplete datagrams to time out', 30_000);
    const rec = final((await tool.stop()).records);
    const { withheld } = witness.counts();
    expect(rec.drops.fragments).toBe(0);
    expect(rec.datagrams).toEqual([]);
    // The headless datagrams' middle fragments: freed first from their queue (which took their
    // device), before the last one, which still names b; in b's own run they are b's (above).
    // Each is one fragment of a headless datagram, unless its expiry ran where no BPF program runs.
    if (withheld) expect(rec.drops.unattributed).toBeLessThanOrEqual(N);
    else expect(rec.drops.unattributed).toBe(N);
    // a sent by AF_PACKET: its own stack reassembled nothing.
    expect(rec.kernel.ipv4).toMatchObject({ fragments: 0, reassembled: 0, failed: 0, timeouts: 0 });
  }, 60_000);

  it('port filters are refused before anything loads: fragments after the first carry none', () => {
    const r = runToolOnce(TOOL, ['--dst-port', '53'], { traceBpf: true });
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^fragment_summary: --dst-port: fragments after the first carry no ports/)]);
    expect(r.bpfCalls).toEqual([]);
  });

  it('the example for the docs: a host losing fragments of both families (text)', async () => {
    using lab = Lab.create();
    const { a, b } = twoHosts(lab);
    lowerReasmTime(b.ns);
    const sink = await startSink(b.ns, { protocol: 'udp', bind: '::', port: PORT });
    const args = ['--netns', b.ns.name, '--interval', '60', '--top', '5'];
    await using tool = await startTool(TOOL, args, { json: false });
    const before = counters(b.ns, 4).timeouts + counters(b.ns, 6).timeouts;
    sendFragments(a, b, 4, ['complete', 'duplicate', 'timeout']);
    sendFragments(a, b, 6, ['complete', 'overlap', 'headless']);
    await until(() => counters(b.ns, 4).timeouts + counters(b.ns, 6).timeouts - before >= 2 * N, 'the incomplete datagrams to time out', 30_000);
    const res = await tool.stop();
    await sink.stop();
    expect(res.stdout).toMatch(new RegExp(`IPv4 ${N * 9} fragments in, ${2 * N} reassembled, ${N} failed \\(${N} timed out\\)`));
    expect(res.stdout).toMatch(new RegExp(`IPv6 ${N * 8} fragments in, ${N} reassembled, ${2 * N} failed \\(${N} timed out\\)`));
    expect(res.stdout).toMatch(new RegExp(`IPv4 duplicate: DUP_FRAG at ip_defrag: ${N}`));
    publish('fragment_summary', `fragment_summary ${args.join(' ').replace(b.ns.name, 'lab-b')}`, res.stdout);
  }, 60_000);
});
