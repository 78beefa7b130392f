/**
 * packet_path_summary and packet_path_details on a router namespace between two hosts:
 *   a ── ra [r] rb ── b
 * Requests go from a to b through r (--rx-interface ra, --tx-interface rb). nftables drops on
 * purpose: r drops every Nth forwarded request, b every Mth request it receives, r every Kth reply.
 * Each rule counts what it dropped: the truth. A request r dropped entered and never left
 * (internal_drop_request); one b dropped left and got no reply (external_drop); a reply r dropped
 * came in and never went out (internal_drop_reply); every other request is complete.
 */
import { describe, expect, it } from 'vitest';
import type { PathEventRecord } from '@netstrata/packet-drop';
import { Lab, ask, ping, requireRoot, routed, runToolOnce, startEcho, startTool, toolPath, type Netns, type RunningTool, type ToolRecord } from './index.ts';
import { publish } from './examples.ts';

const run = requireRoot('packet path end-to-end tests');

const STATES = ['complete', 'internal_drop_request', 'external_drop', 'internal_drop_reply'] as const;
type Counts = Record<(typeof STATES)[number], number>;

/** Packets each commented rule of the lab's nftables table counted. */
function counters(ns: Netns): Record<string, number> {
  const out: Record<string, number> = {};
  const json = JSON.parse(ns.exec('nft', ['-j', 'list', 'table', 'inet', 'nstpath'])) as { nftables: { rule?: { comment?: string; expr: { counter?: { packets: number } }[] } }[] };
  for (const { rule } of json.nftables) {
    const c = rule?.expr.find((e) => e.counter)?.counter;
    if (rule?.comment && c) out[rule.comment] = c.packets;
  }
  return out;
}

/** r drops every Nth request it forwards and every Kth reply; b drops every Mth request it gets.
 * (numgen counts from 0: the first of each is dropped.) */
function faults(r: Netns, b: Netns, match: { request: string; reply?: string }, n: number, m: number, k?: number): void {
  const reply = match.reply && k ? `iifname "rb" ${match.reply} numgen inc mod ${k} == 0 counter drop comment "reply"` : '';
  r.nft(`table inet nstpath {
  chain forward {
    type filter hook forward priority 0; policy accept;
    iifname "ra" ${match.request} numgen inc mod ${n} == 0 counter drop comment "request"
    ${reply}
  }
}
`);
  b.nft(`table inet nstpath {
  chain input {
    type filter hook input priority 0; policy accept;
    ${match.request} numgen inc mod ${m} == 0 counter drop comment "request"
  }
}
`);
}

/** The fate of each of P requests, from the rules' counters. */
function fates(r: Netns, b: Netns, p: number): Counts {
  const rc = counters(r);
  const bc = counters(b);
  const reply = rc.reply ?? 0;
  return { complete: p - rc.request! - bc.request! - reply, internal_drop_request: rc.request!, external_drop: bc.request!, internal_drop_reply: reply };
}

/** Waits until the tool has classified `total` requests (its interval records say so since start). */
async function classified(tool: RunningTool, total: number): Promise<Counts> {
  for (let n = 1; ; n++) {
    const recs = await tool.intervals(n);
    const since = (recs.at(-1) as unknown as { since_start: Counts }).since_start;
    const sum = STATES.reduce((s, k) => s + since[k], 0);
    if (sum >= total || n > 60) return since;
  }
}

const final = (records: ToolRecord[]) => records.find((r) => r.type === 'final') as unknown as Counts & { in_flight: number; retransmitted: number; drops: { state: string; reason: string; count: number }[] };

describe.runIf(run)('packet_path_summary', () => {
  for (const family of ['v4', 'v6'] as const) {
    it(`ICMP echo through a router: every request's fate exactly as the firewalls decided (IP${family})`, async () => {
      using lab = Lab.create();
      const { a, r, b } = routed(lab);
      const icmp = family === 'v4' ? { request: 'icmp type echo-request', reply: 'icmp type echo-reply' } : { request: 'icmpv6 type echo-request', reply: 'icmpv6 type echo-reply' };
      faults(r, b.ns, icmp, 5, 4, 7);
      const P = 60;
      await using tool = await startTool(toolPath('packetPathSummary'), ['--netns', r.name, '--rx-interface', 'ra', '--tx-interface', 'rb', '--protocol', 'icmp', '--interval', '1', '--timeout-ms', '300']);
      const res = ping(a.ns, family === 'v4' ? b.v4 : b.v6, P);
      const truth = fates(r, b.ns, P);
      expect(res.received).toBe(truth.complete);
      expect(await classified(tool, P)).toEqual(truth);
      const rec = final((await tool.stop()).records);
      expect({ complete: rec.complete, internal_drop_request: rec.internal_drop_request, external_drop: rec.external_drop, internal_drop_reply: rec.internal_drop_reply }).toEqual(truth);
      expect(rec.in_flight).toBe(0);
      // The firewall's drops, named: the kernel's reason for the requests r dropped.
      expect(rec.drops.find((d) => d.state === 'internal_drop_request')).toMatchObject({ reason: 'NETFILTER_DROP', count: truth.internal_drop_request });
      expect(rec.drops.find((d) => d.state === 'internal_drop_reply')).toMatchObject({ reason: 'NETFILTER_DROP', count: truth.internal_drop_reply });
    });

    it(`UDP requests to an echo server: each answered one complete, each lost one where it was lost (IP${family})`, async () => {
      using lab = Lab.create();
      const { a, r, b } = routed(lab);
      faults(r, b.ns, { request: 'udp dport 7', reply: 'udp sport 7' }, 6, 5, 8);
      const echo = await startEcho(b.ns, { protocol: 'udp', bind: family === 'v4' ? b.v4 : b.v6, port: 7 });
      const P = 50;
      await using tool = await startTool(toolPath('packetPathSummary'), ['--netns', r.name, '--rx-interface', 'ra', '--tx-interface', 'rb', '--protocol', 'udp', '--port', '7', '--interval', '1', '--timeout-ms', '100']);
      // A client that gives up on a request after 150 ms, as clients do after a while: by then the
      // tool has classified it, and the next reply is matched to the next request.
      const res = ask(a.ns, { protocol: 'udp', dst: family === 'v4' ? b.v4 : b.v6, dport: 7, count: P, waitMs: 150 });
      await echo.stop();
      const truth = fates(r, b.ns, P);
      expect(res.answered).toBe(truth.complete);
      expect(truth.internal_drop_request * truth.external_drop * truth.internal_drop_reply).toBeGreaterThan(0);
      expect(await classified(tool, P)).toEqual(truth);
      const rec = final((await tool.stop()).records) as unknown as { unmatched_replies: number };
      expect(rec.unmatched_replies).toBe(0);
    });
  }

  for (const family of ['v4', 'v6'] as const) it(`TCP segments to an echo server: each copy r or b dropped is counted where, the retransmissions complete (IP${family})`, async () => {
    using lab = Lab.create();
    const { a, r, b } = routed(lab);
    // Only segments with data (152 bytes over IPv4, 172 over IPv6; a SYN is 60 or 80, a FIN or
    // an ACK 52 or 72): a lost handshake would only slow the test down.
    faults(r, b.ns, { request: 'tcp dport 7 meta length > 140' }, 7, 6);
    const dst = family === 'v4' ? b.v4 : b.v6;
    const echo = await startEcho(b.ns, { protocol: 'tcp', bind: dst, port: 7 });
    const P = 40;
    await using tool = await startTool(toolPath('packetPathSummary'), ['--netns', r.name, '--rx-interface', 'ra', '--tx-interface', 'rb', '--protocol', 'tcp', '--interval', '1', '--timeout-ms', '2000']);
    const res = ask(a.ns, { protocol: 'tcp', dst, dport: 7, count: P, size: 100 });
    await echo.stop();
    expect(res.answered).toBe(P);
    // Every message, the SYN and the FIN end complete; each dropped copy was a request of its own.
    const drops = fates(r, b.ns, 0);
    const truth: Counts = { ...drops, complete: P + 2 };
    const copies = drops.internal_drop_request + drops.external_drop;
    expect(await classified(tool, P + 2 + copies)).toEqual(truth);
    const rec = final((await tool.stop()).records);
    expect(rec.retransmitted).toBe(copies);
  });

  it('bad input is one line naming the option, exit 2, before anything loads', () => {
    for (const [args, re] of [
      [[], /--rx-interface: required/],
      [['--rx-interface', 'lo'], /--tx-interface: required/],
      [['--rx-interface', 'lo', '--tx-interface', 'lo'], /--tx-interface: lo is also the --rx-interface/],
      [['--rx-interface', 'nosuchdev0', '--tx-interface', 'lo'], /--rx-interface: /],
      [['--rx-interface', 'lo', '--tx-interface', 'lo', '--timeout-ms', '5'], /--timeout-ms: at least 10/],
    ] as const) {
      const r = runToolOnce(toolPath('packetPathSummary'), [...args]);
      expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
      expect(r.stderr).toMatch(re);
      expect(r.exitCode).toBe(2);
    }
  });
});

describe.runIf(run)('packet_path_details', () => {
  it('one event per ping that did not complete, with where it was lost and why', async () => {
    using lab = Lab.create();
    const { a, r, b } = routed(lab);
    faults(r, b.ns, { request: 'icmp type echo-request', reply: 'icmp type echo-reply' }, 5, 4, 7);
    const P = 40;
    await using tool = await startTool(toolPath('packetPathDetails'), ['--netns', r.name, '--rx-interface', 'ra', '--tx-interface', 'rb', '--protocol', 'icmp', '--timeout-ms', '200']);
    ping(a.ns, b.v4, P);
    const truth = fates(r, b.ns, P);
    const lost = P - truth.complete;
    const events = (await tool.records('event', lost)) as unknown as PathEventRecord[];
    const by = (s: string) => events.filter((e) => e.state === s);
    for (const s of STATES.slice(1)) expect(by(s)).toHaveLength(truth[s]);
    for (const e of by('internal_drop_request')) {
      expect(e.drop).toMatchObject({ reason: 'NETFILTER_DROP', after: 'request_in' });
      expect(e.request_us).toBeNull();
    }
    for (const e of by('external_drop')) {
      expect(e.drop).toBeNull();
      expect(e.request_us).toBeGreaterThan(0);
      expect(e.external_us).toBeNull();
    }
    for (const e of by('internal_drop_reply')) {
      expect(e.drop).toMatchObject({ reason: 'NETFILTER_DROP', after: 'reply_in' });
      expect(e.external_us).toBeGreaterThan(0);
    }
    for (const e of events) expect(e.flow).toMatchObject({ src: a.v4, dst: b.v4, protocol: 'ICMP' });
    const res = await tool.stop();
    const fin = res.records.find((x) => x.type === 'final') as unknown as { events: number; states: Counts };
    expect(fin.events).toBe(lost);
    expect(fin.states.complete).toBe(0);
  });

  it('--all: every ping, complete ones with all three legs timed', async () => {
    using lab = Lab.create();
    const { a, r, b } = routed(lab);
    const P = 20;
    await using tool = await startTool(toolPath('packetPathDetails'), ['--netns', r.name, '--rx-interface', 'ra', '--tx-interface', 'rb', '--all', '--protocol', 'icmp']);
    expect(ping(a.ns, b.v6, P).received).toBe(P);
    const events = (await tool.records('event', P)) as unknown as PathEventRecord[];
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: P }, (_, i) => i + 1));
    for (const e of events) {
      expect(e.state).toBe('complete');
      expect(e.flow).toMatchObject({ src: a.v6, dst: b.v6, protocol: 'ICMPv6' });
      for (const leg of [e.request_us, e.external_us, e.reply_us]) expect(leg).toBeGreaterThan(0);
    }
  });
});

describe.runIf(run)('packet path examples', () => {
  it('packet_path_summary on a router that drops some requests and replies, behind a far host that drops others', async () => {
    using lab = Lab.create();
    const { a, r, b } = routed(lab);
    faults(r, b.ns, { request: 'icmp type echo-request', reply: 'icmp type echo-reply' }, 5, 4, 7);
    const args = ['--netns', r.name, '--rx-interface', 'ra', '--tx-interface', 'rb', '--protocol', 'icmp', '--interval', '60', '--timeout-ms', '200'];
    await using tool = await startTool(toolPath('packetPathSummary'), args, { json: false });
    ping(a.ns, b.v4, 100);
    // Stopped, the tool classifies the last requests (within --timeout-ms) before its final report.
    const out = (await tool.stop()).stdout;
    expect(out).toMatch(/ra -> rb: 100 requests classified, 0 in flight/);
    publish('packet_path_summary', `packet_path_summary ${args.join(' ').replace(r.name, 'router')}`, out);
  });

  it('packet_path_details of the same router', async () => {
    using lab = Lab.create();
    const { a, r, b } = routed(lab);
    faults(r, b.ns, { request: 'icmp type echo-request', reply: 'icmp type echo-reply' }, 5, 4, 7);
    const args = ['--netns', r.name, '--rx-interface', 'ra', '--tx-interface', 'rb', '--protocol', 'icmp', '--timeout-ms', '200'];
    await using tool = await startTool(toolPath('packetPathDetails'), args, { json: false });
    ping(a.ns, b.v4, 12);
    const out = (await tool.stop()).stdout;
    expect(out).toMatch(/internal_drop_request .* dropped NETFILTER_DROP at \S+\+0x/);
    expect(out).toMatch(/requests shown: .*; 0 in flight at the end/);
    publish('packet_path_details', `packet_path_details ${args.join(' ').replace(r.name, 'router')}`, out);
  });
});
