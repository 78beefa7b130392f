/** Traffic with ground truth: exact packet counts between namespaces, and sinks that count. */
import { spawn } from 'node:child_process';
import { agentPath } from './agents.ts';
import type { Netns } from './lab.ts';
import { run } from './exec.ts';

const AGENT = agentPath('traffic.mjs');

export interface Flow {
  src: string;
  dst: string;
  sport: number;
  dport: number;
  protocol: 'UDP' | 'TCP' | 'ICMP' | 'ICMPv6' | 'ARP';
}

export interface Sent {
  sent: number;
  flow: Flow;
  /** From the paced sender: CLOCK_MONOTONIC (µs) just before each send. */
  timesUs?: number[];
  /** From the paced sender: CLOCK_MONOTONIC (µs) just after each send returned. */
  afterUs?: number[];
}

/** The traffic agent in a namespace; with `cpu`, pinned to that CPU (taskset), so the work the
 * packets cause in the sender's context runs there. */
function agent(ns: Netns, spec: object, cpu?: number): string {
  const cmd = [process.execPath, AGENT, JSON.stringify(spec)];
  return run('ip', ['netns', 'exec', ns.name, ...(cpu === undefined ? cmd : ['taskset', '-c', String(cpu), ...cmd])]);
}

export function sendUdp(
  ns: Netns,
  o: { src?: string; dst: string; dport: number; dportCount?: number; sport?: number; count: number; size?: number; ttl?: number; allowEperm?: boolean; cpu?: number },
): Sent {
  const { cpu, ...spec } = o;
  const out = JSON.parse(agent(ns, { mode: 'udp-send', ...spec }, cpu)) as { sent: number; sport: number };
  return { sent: out.sent, flow: { src: o.src ?? '', dst: o.dst, sport: out.sport, dport: o.dport, protocol: 'UDP' } };
}

export function sendTcp(ns: Netns, o: { dst: string; dport: number; count: number; size?: number }): Sent & { bytes: number } {
  const out = JSON.parse(agent(ns, { mode: 'tcp-send', ...o })) as { sent: number; bytes: number; sport: number };
  return { sent: out.sent, bytes: out.bytes, flow: { src: '', dst: o.dst, sport: out.sport, dport: o.dport, protocol: 'TCP' } };
}

/** One TCP connection attempt to a closed port: exactly one SYN on the wire. */
export function tcpSynToClosedPort(ns: Netns, o: { dst: string; dport: number }): { refused: boolean } {
  return JSON.parse(agent(ns, { mode: 'tcp-refused', ...o })) as { refused: boolean };
}

/** What iputils ping sent and got back: the requests, the replies, and each reply's round trip
 * as ping measured it (µs, by sequence number), with half its last printed digit. */
export interface Pinged {
  sent: number;
  received: number;
  rttUs: Map<number, { us: number; slackUs: number }>;
}

export interface PingOptions {
  ttl?: number;
  size?: number;
  /** Seconds between requests (default 0.002). */
  intervalS?: number;
}

function pingArgs(dst: string, count: number, o: PingOptions): string[] {
  // -W 1: with no reply, ping waits a second for one after its last request.
  const args = ['-n', '-c', String(count), '-i', String(o.intervalS ?? 0.002), '-W', '1'];
  if (o.ttl) args.push('-t', String(o.ttl));
  if (o.size) args.push('-s', String(o.size));
  return [...args, dst];
}

function pinged(out: string): Pinged {
  const m = /(\d+) packets transmitted, (\d+) received/.exec(out);
  const rttUs = new Map<number, { us: number; slackUs: number }>();
  for (const l of out.matchAll(/icmp_seq=(\d+) .*time=([\d.]+) ms/g)) {
    const decimals = l[2]!.split('.')[1]?.length ?? 0;
    rttUs.set(Number(l[1]), { us: Number(l[2]) * 1000, slackUs: 500 * 10 ** -decimals });
  }
  return { sent: Number(m?.[1] ?? 0), received: Number(m?.[2] ?? 0), rttUs };
}

/** ICMP echo requests with iputils ping, `count` of them. */
export function ping(ns: Netns, dst: string, count: number, opts: PingOptions = {}): Pinged {
  return pinged(ns.exec('ping', pingArgs(dst, count, opts), { allowFail: true }));
}

/** The same, while the caller goes on (to hold the datapath or a reader meanwhile, say). */
export function pingAsync(ns: Netns, dst: string, count: number, opts: PingOptions = {}): Promise<Pinged> {
  const child = spawn('ip', ['netns', 'exec', ns.name, 'ping', ...pingArgs(dst, count, opts)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => void (out += d.toString('utf8')));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', () => resolve(pinged(out)));
  });
}

export interface Sink {
  stop(): Promise<number>;
}

/** A UDP or TCP sink in a namespace, ready (listening) when the promise resolves. */
export function startSink(ns: Netns, o: { protocol: 'udp' | 'tcp'; bind: string; port: number }): Promise<Sink> {
  return startServer(ns, { mode: `${o.protocol}-sink`, ...o });
}

/** A UDP or TCP echo server in a namespace: it answers every request; `stop` gives what it
 * received (datagrams, or TCP bytes). */
export function startEcho(ns: Netns, o: { protocol: 'udp' | 'tcp'; bind: string; port: number }): Promise<Sink> {
  return startServer(ns, { mode: 'echo', ...o });
}

/** Requests one at a time to an echo server, each waiting for its answer (UDP: or for `waitMs`,
 * default 100): how many were sent and answered, and the client's port. */
export function ask(ns: Netns, o: { protocol: 'udp' | 'tcp'; dst: string; dport: number; count: number; size?: number; waitMs?: number }): { sent: number; answered: number; sport: number } {
  return JSON.parse(agent(ns, { mode: 'ask', ...o })) as { sent: number; answered: number; sport: number };
}

function startServer(ns: Netns, spec: object): Promise<Sink> {
  const child = spawn('ip', ['netns', 'exec', ns.name, process.execPath, AGENT, JSON.stringify(spec)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`sink did not start: ${err}`)), 10_000);
    child.stdout.on('data', () => {
      if (!out.includes('"listening"')) return;
      clearTimeout(timer);
      resolve({
        stop: () =>
          new Promise((res) => {
            child.once('exit', () => {
              const last = out.trim().split('\n').pop()!;
              res((JSON.parse(last) as { received: number }).received);
            });
            child.kill('SIGTERM');
          }),
      });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (!out.includes('"listening"')) reject(new Error(`sink exited (${code}): ${err}`));
    });
  });
}

const PACED = agentPath('paced.py');

export interface SlowReaderSpec {
  protocol: 'udp' | 'tcp';
  bind: string;
  port: number;
  /** Packets (UDP datagrams, or TCP chunks of `size` bytes) to read before exiting. */
  count: number;
  /** Time the reader waits, once a packet is readable, before it reads it. */
  delayMs: number;
  /** Only the first `slow` packets wait; the rest are read at once. Default: all. */
  slow?: number;
  size?: number;
}

/**
 * A reader that leaves each packet in its socket for a known time before reading it: the
 * ground truth of the socket-queue stage. Resolves once it listens; `done` resolves with the
 * number of packets read. It runs at a raised priority (nice -10), so a packet it reads "at once"
 * is read at once even with a CPU hog beside the tests: the only waits are the ones it is told to make.
 */
export function startSlowReader(ns: Netns, o: SlowReaderSpec): Promise<{ done: Promise<number> }> {
  const spec = { mode: 'reader', protocol: o.protocol, bind: o.bind, port: o.port, count: o.count, delay_ms: o.delayMs, slow: o.slow ?? o.count, size: o.size ?? 100 };
  const child = spawn('ip', ['netns', 'exec', ns.name, 'nice', '-n', '-10', 'python3', PACED, JSON.stringify(spec)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const done = new Promise<number>((res, rej) =>
    child.once('exit', (code) => {
      const m = /"received": (\d+)/.exec(out);
      if (m) res(Number(m[1]));
      else rej(new Error(`slow reader exited (${code}): ${err}`));
    }),
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`slow reader did not start: ${err}`)), 10_000);
    child.stdout.on('data', () => {
      if (!out.includes('"listening"')) return;
      clearTimeout(timer);
      resolve({ done });
    });
    done.catch((e: unknown) => {
      clearTimeout(timer);
      reject(e as Error);
    });
  });
}

/** `count` packets of `size` bytes, `gapMs` apart (TCP: one segment each, TCP_NODELAY). */
export function sendPaced(ns: Netns, o: { protocol: 'udp' | 'tcp'; dst: string; dport: number; count: number; size?: number; gapMs: number }): Sent {
  const spec = { mode: 'sender', protocol: o.protocol, dst: o.dst, dport: o.dport, count: o.count, size: o.size ?? 100, gap_ms: o.gapMs };
  const r = JSON.parse(run('ip', ['netns', 'exec', ns.name, 'python3', PACED, JSON.stringify(spec)])) as { sent: number; sport: number; times_us: number[]; after_us: number[] };
  return { sent: r.sent, flow: { src: '', dst: o.dst, sport: r.sport, dport: o.dport, protocol: o.protocol === 'udp' ? 'UDP' : 'TCP' }, timesUs: r.times_us, afterUs: r.after_us };
}

/** sendPaced without blocking: several paced flows can overlap in time. */
export function sendPacedAsync(ns: Netns, o: { protocol: 'udp' | 'tcp'; dst: string; dport: number; count: number; size?: number; gapMs: number }): Promise<Sent> {
  const spec = { mode: 'sender', protocol: o.protocol, dst: o.dst, dport: o.dport, count: o.count, size: o.size ?? 100, gap_ms: o.gapMs };
  const child = spawn('ip', ['netns', 'exec', ns.name, 'python3', PACED, JSON.stringify(spec)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) =>
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`paced sender exited (${code}): ${err.trim()}`));
      const r = JSON.parse(out) as { sent: number; sport: number };
      resolve({ sent: r.sent, flow: { src: '', dst: o.dst, sport: r.sport, dport: o.dport, protocol: o.protocol === 'udp' ? 'UDP' : 'TCP' } });
    }),
  );
}
