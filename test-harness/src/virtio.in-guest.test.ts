/**
 * virtnet_poll_summary and virtnet_irq_summary on the guest's own virtio-net NICs. The guest tier
 * boots every guest with two probe NICs on one host bridge (guest/vm.ts PROBE_NICS; the second with
 * two queue pairs): here each goes into a namespace of its own, and datagrams from one reach the other
 * through the host, so the receiving NIC's queues, polls and interrupts are the guest's. Truth: the
 * driver's own per-queue counters (ethtool -S), the kernel's interrupt counts per CPU
 * (/proc/interrupts) and IRQ_NONE count (/proc/irq/N/spurious), and for busy polling a socket that
 * polls (net.core.busy_read).
 *
 * Runs in the guest tier only (this host has no NIC of ours to send through); the host's test run
 * leaves it out (vitest.config.ts).
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { IrqRecord, PollRecord } from '@netstrata/virtio';
import { parseInterrupts } from '@netstrata/virtio';
import { publish } from './examples.ts';
import { PROBE_NICS } from './guest/vm.ts';
import { run as sh } from './exec.ts';
import { Lab, ToolGroup, requireRoot, runToolOnce, sendPacedAsync, sendUdp, startTool, until, type Netns, type ToolRecord } from './index.ts';

const POLL = fileURLToPath(new URL('../../packages/virtio/dist/virtnet_poll_summary.js', import.meta.url));
const IRQ = fileURLToPath(new URL('../../packages/virtio/dist/virtnet_irq_summary.js', import.meta.url));

/** The probe NICs by MAC, as the guest named them. */
function probeNics(): string[] | string {
  const byMac = new Map(readdirSync('/sys/class/net').map((d) => [readFileSync(`/sys/class/net/${d}/address`, 'utf8').trim(), d]));
  const found = PROBE_NICS.map((n) => byMac.get(n.mac));
  return found.every((d) => d) ? (found as string[]) : 'no probe NICs (the guest tier boots guests with them)';
}

const nics = probeNics();
if (typeof nics === 'string' && process.env.CI) throw new Error(`virtio tests: ${nics}`);
const runIt = requireRoot('virtio end-to-end tests') && typeof nics !== 'string';

const ADDRS = ['10.252.0.1', '10.252.0.2'] as const;
const final = <T>(records: ToolRecord[]) => records.find((r) => r.type === 'final') as unknown as T;

/** a's NIC (one queue pair) and b's (two), each in its namespace, no IPv6, permanent neighbours:
 * nothing crosses the wire but the test's datagrams. */
function pair(lab: Lab) {
  const [devA, devB] = nics as string[];
  const [a, b] = [lab.netns('va'), lab.netns('vb')];
  const macs = PROBE_NICS.map((n) => n.mac);
  for (const [ns, dev, i] of [[a, devA!, 0], [b, devB!, 1]] as const) {
    ns.sysctl('net.ipv6.conf.default.disable_ipv6', 1);
    sh('ip', ['link', 'set', dev, 'netns', ns.name]);
    ns.sysctl(`net.ipv6.conf.${dev}.disable_ipv6`, 1);
    ns.addr(dev, `${ADDRS[i]}/24`);
    ns.up(dev);
    ns.neigh(dev, ADDRS[1 - i]!, macs[1 - i]!);
  }
  return { a, b, devA: devA!, devB: devB! };
}

/** The driver's own received-packet counts: the device's, and per RX queue where ethtool -S has
 * them (rx_queue_Q_packets on 6.1; later kernels report queues over netlink only). */
function rxCounts(ns: Netns, dev: string): { total: number; queues: number[] | null } {
  const out = ns.exec('ethtool', ['-S', dev]);
  const q: number[] = [];
  for (const m of out.matchAll(/^\s*rx(?:_queue_)?(\d+)_packets: (\d+)$/gm)) q[Number(m[1])] = Number(m[2]);
  return { total: ns.linkStats(dev).rx.packets, queues: q.length ? q : null };
}

/** The virtio device under a NIC in a namespace, and its RX vectors' runs per CPU and IRQ_NONE counts. */
function virtioOf(ns: Netns, dev: string): string {
  return (JSON.parse(ns.exec('ip', ['-d', '-j', 'link', 'show', dev])) as { parentdev: string }[])[0]!.parentdev;
}
interface Vector {
  irq: number;
  name: string;
  perCpu: number[];
  unhandled: number;
}
function vectors(virtio: string): Vector[] {
  return parseInterrupts(readFileSync('/proc/interrupts', 'utf8'))
    .flatMap((l) => l.names.filter((n) => n.startsWith(`${virtio}-`)).map((name) => ({ irq: l.irq, name, perCpu: l.perCpu })))
    .map((v) => {
      const spurious = existsSync(`/proc/irq/${v.irq}/spurious`) ? readFileSync(`/proc/irq/${v.irq}/spurious`, 'utf8') : '';
      return { ...v, unhandled: Number(/unhandled (\d+)/.exec(spurious)?.[1] ?? 0) };
    });
}
const delta = (after: Vector[], before: Vector[]) =>
  after.map((v) => {
    const b = before.find((x) => x.irq === v.irq)!;
    return { ...v, perCpu: v.perCpu.map((n, i) => n - (b.perCpu[i] ?? 0)), unhandled: v.unhandled - b.unhandled };
  });

describe.runIf(runIt)('virtnet_poll_summary and virtnet_irq_summary', () => {
  it("every datagram is counted at its RX queue's polls, as the driver counts it, and every interrupt on the CPU that took it", async () => {
    using lab = Lab.create();
    const { a, b, devB } = pair(lab);
    const virtio = virtioOf(b, devB);
    await using group = new ToolGroup();
    const filter = ['--netns', b.name, '--interface', devB, '--interval', '3600'];
    const poll = await group.start(POLL, filter);
    const irq = await group.start(IRQ, filter);
    // The documentation's examples: the same run as people see it.
    const pollText = await group.start(POLL, filter, { json: false });
    const irqText = await group.start(IRQ, filter, { json: false });
    const q0 = rxCounts(b, devB);
    const v0 = vectors(virtio);
    // Sixteen flows: the host's multi-queue TAP spreads them over both of the NIC's RX queues.
    const N = 64;
    expect(sendUdp(a, { dst: ADDRS[1], dport: 9000, dportCount: 16, count: N }).sent).toBe(N);
    await until(() => rxCounts(b, devB).total - q0.total >= N, 'the datagrams to arrive');
    const q1 = rxCounts(b, devB);
    const v1 = delta(vectors(virtio), v0);
    const [pollRes, irqRes] = await Promise.all([poll.stop(), irq.stop()]);
    const polls = final<PollRecord>(pollRes.records);
    const irqs = final<IrqRecord>(irqRes.records);

    // The packets the polls took are the driver's count, exactly: in all, and per RX queue where
    // the kernel's ethtool statistics have them.
    expect(q1.total - q0.total).toBe(N);
    expect(polls.packets).toBe(N);
    expect(polls.queues.every((r) => r.device === devB && r.dir === 'rx' && r.queue >= 0 && r.queue < 2)).toBe(true);
    if (q1.queues && q0.queues) {
      for (const [queue, n] of q1.queues.entries()) expect(polls.queues.find((r) => r.queue === queue)?.packets.total ?? 0, `rx${queue}`).toBe(n - (q0.queues[queue] ?? 0));
    }
    for (const r of polls.queues) expect(r.polls.softirq).toBeGreaterThan(0);
    expect(polls.queues.reduce((s, r) => s + r.polls.busy_poll, 0)).toBe(0);
    expect(polls.lost + polls.map_full + polls.missed).toBe(0);

    // Per vector: runs per CPU and IRQ_NONE as the kernel counted them; the RX vectors by queue.
    for (const v of v1) {
      const row = irqs.interrupts.find((r) => r.irq === v.irq);
      const runs = v.perCpu.reduce((s, n) => s + n, 0);
      expect(row?.runs ?? 0, v.name).toBe(runs);
      if (!runs) continue;
      expect(row!.name).toBe(v.name);
      expect(row!.device).toBe(devB);
      expect(row!.cpus).toEqual(Object.fromEntries(v.perCpu.flatMap((n, cpu) => (n ? [[String(cpu), n]] : []))));
      expect(row!.irq_none).toBe(v.unhandled);
      const m = /-(input|output)\.(\d+)$/.exec(v.name);
      if (m) expect([row!.role, row!.queue]).toEqual([m[1] === 'input' ? 'rx' : 'tx', Number(m[2])]);
    }
    // Each queue that received had an interrupt on its own vector.
    for (const r of polls.queues) expect(irqs.interrupts.find((i) => i.name === `${virtio}-input.${r.queue}`)?.runs ?? 0).toBeGreaterThan(0);
    expect(irqs.lost + irqs.map_full + irqs.missed).toBe(0);
    publish('virtnet_poll_summary', `virtnet_poll_summary ${filter.join(' ')}`, (await pollText.stop()).stdout);
    publish('virtnet_irq_summary', `virtnet_irq_summary ${filter.join(' ')}`, (await irqText.stop()).stdout);
  });

  it('busy polling: a socket that polls takes the packets itself, with the interrupts left off, and no interrupt for most', async () => {
    using lab = Lab.create();
    const { a, b, devA } = pair(lab);
    // a receives here (a's NIC has one RX queue): a blocking recv with busy_read polls that queue.
    const virtio = virtioOf(a, devA);
    const before = readFileSync('/proc/sys/net/core/busy_read', 'utf8').trim();
    sh('sysctl', ['-qw', 'net.core.busy_read=200000']);
    try {
      const N = 30;
      const receiver = spawn('ip', ['netns', 'exec', a.name, 'python3', '-c', RECEIVER, ADDRS[0], '9100', String(N)], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      receiver.stdout.on('data', (d: Buffer) => (out += d.toString()));
      const exited = new Promise<void>((res) => receiver.once('exit', () => res()));
      await until(() => out.includes('listening'), 'the receiver to listen');
      await using group = new ToolGroup();
      const filter = ['--netns', a.name, '--interface', devA, '--interval', '3600'];
      const poll = await group.start(POLL, filter);
      const irq = await group.start(IRQ, filter);
      const q0 = rxCounts(a, devA);
      const v0 = vectors(virtio);
      // 20 ms apart: the receiver, back in recv long before the next, busy-polls for it.
      expect((await sendPacedAsync(b, { protocol: 'udp', dst: ADDRS[0], dport: 9100, count: N, gapMs: 20 })).sent).toBe(N);
      const received = () => out.split('\n').filter((l) => l.startsWith('got')).length;
      await until(() => received() >= N, 'the receiver to have every datagram').finally(() => receiver.kill());
      await exited;
      expect(received()).toBe(N);
      const q1 = rxCounts(a, devA);
      const v1 = delta(vectors(virtio), v0);
      const [pollRes, irqRes] = await Promise.all([poll.stop(), irq.stop()]);
      const polls = final<PollRecord>(pollRes.records);
      const irqs = final<IrqRecord>(irqRes.records);
      const rx = polls.queues.find((r) => r.dir === 'rx' && r.queue === 0)!;
      // Every packet the driver received was taken by a poll; most by the busy poller.
      expect(rx.packets.total).toBe(q1.total - q0.total);
      expect(rx.packets.total).toBe(N);
      expect(rx.packets.busy_poll).toBeGreaterThan(N / 2);
      expect(rx.polls.busy_poll).toBeGreaterThan(rx.packets.busy_poll);
      // While the socket polls, the queue's interrupts stay off: polls without interrupts.
      expect(rx.irq_off_after).toBeGreaterThan(0);
      const input = v1.find((v) => v.name === `${virtio}-input.0`)!;
      const inputRuns = input.perCpu.reduce((s, n) => s + n, 0);
      expect(irqs.interrupts.find((r) => r.irq === input.irq)?.runs ?? 0).toBe(inputRuns);
      expect(inputRuns).toBeLessThan(N / 2);
    } finally {
      sh('sysctl', ['-qw', `net.core.busy_read=${before}`]);
    }
  });

  it('bad input is one line naming the option, exit 2', () => {
    for (const tool of [POLL, IRQ]) {
      const r = runToolOnce(tool, ['--interface', 'nst-no-such-nic']);
      expect(r.exitCode).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/--interface: no device 'nst-no-such-nic'/);
    }
  });
});

/** A blocking UDP receiver: with net.core.busy_read set, each recv busy-polls the NIC's queue (a
 * socket with a timeout is non-blocking underneath, and polls once per call at most). */
const RECEIVER = `
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2])))
print('listening', flush=True)
for i in range(int(sys.argv[3])):
    s.recv(2048)
    print('got', i, flush=True)
`;
