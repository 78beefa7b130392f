/**
 * --confirmed: connections conntrack confirmed, counted from its own NEW events (ctnetlink group
 * NFNLGRP_CONNTRACK_NEW, sent once per entry as it is confirmed) by one conntrack(8) listener per
 * namespace. Kernels since 5.x print the `insert` statistic without counting it, so the events are
 * what says how many connections a table took in. The kernel builds one message per new connection
 * while a listener is there (nf_conntrack_events 2, the default, turns events on only then); a
 * listener too slow for them loses some (ENOBUFS), and its namespace's count is then no longer exact.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import type { NetnsRef } from '@netstrata/bpf-common';

export interface Confirmed {
  /** Entries confirmed since the listener started. */
  confirmed: number;
  /** The kernel dropped events for this listener (ENOBUFS): the count is low. */
  overrun: boolean;
}

/** `[NEW]` lines of `conntrack -E` output, and whether it reported lost events (pure). */
export function countEvents(stdout: string, stderr: string): Confirmed {
  let confirmed = 0;
  for (let i = stdout.indexOf('[NEW]'); i >= 0; i = stdout.indexOf('[NEW]', i + 5)) confirmed++;
  return { confirmed, overrun: /ENOBUFS/.test(stderr) };
}

/** Whether `pid` holds a netlink socket of NETLINK_NETFILTER (12) subscribed to a group: its
 * namespace's /proc/net/netlink, matched by the socket inodes among its fds. */
export function subscribed(pid: number): boolean {
  let inodes: Set<string>;
  let table: string;
  try {
    inodes = new Set(
      readdirSync(`/proc/${pid}/fd`)
        .map((fd) => {
          try {
            return /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
          } catch {
            return undefined;
          }
        })
        .filter((x): x is string => !!x),
    );
    table = readFileSync(`/proc/${pid}/net/netlink`, 'utf8');
  } catch {
    return false;
  }
  return table
    .split('\n')
    .slice(1)
    .some((l) => {
      const f = l.trim().split(/\s+/);
      return f[1] === '12' && parseInt(f[3] ?? '0', 16) !== 0 && inodes.has(f[9] ?? '');
    });
}

const sleepSync = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** conntrack(8) listening, under a shell that ends it once its standard input closes: when the tool
 * stops, and also when it is killed outright, so no listener outlives it. */
const LISTEN = 'conntrack -E -e NEW </dev/null & c=$!; read _; kill $c';

/** The shell's child: the listener itself. */
function childOf(pid: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/)[0]) || 0;
  } catch {
    return 0;
  }
}

class Listener {
  private out = '';
  private err = '';
  private count: Confirmed = { confirmed: 0, overrun: false };
  readonly child: ChildProcess;

  constructor(ns: NetnsRef) {
    const cmd = ns.path === '/proc/self/ns/net' ? ['sh'] : ['nsenter', `--net=${ns.path}`, 'sh'];
    this.child = spawn(cmd[0]!, [...cmd.slice(1), '-c', LISTEN], { stdio: ['pipe', 'pipe', 'pipe'] });
    // Counted as the lines come: only the count is kept.
    this.child.stdout!.on('data', (d: Buffer) => {
      this.out += d.toString('latin1');
      const cut = this.out.lastIndexOf('\n') + 1;
      const c = countEvents(this.out.slice(0, cut), '');
      this.count.confirmed += c.confirmed;
      this.out = this.out.slice(cut);
    });
    this.child.stderr!.on('data', (d: Buffer) => {
      this.err = (this.err + d.toString('latin1')).slice(-4096);
      if (/ENOBUFS/.test(this.err)) this.count.overrun = true;
    });
    this.child.on('error', () => undefined);
    this.child.stdin!.on('error', () => undefined);
  }

  get value(): Confirmed {
    return { ...this.count };
  }
}

/** One listener per namespace, each subscribed before the constructor returns (the tool is ready
 * only then: connections confirmed after it are all counted). A namespace whose listener did not
 * start (gone meanwhile) is in `failed`, and not counted. */
export class ConfirmedCounter {
  private readonly listeners = new Map<number, Listener>();
  readonly failed: number[] = [];

  constructor(namespaces: readonly NetnsRef[], timeoutMs = 10_000) {
    for (const ns of namespaces) this.listeners.set(ns.inode, new Listener(ns));
    const end = Date.now() + timeoutMs;
    for (const [inode, l] of this.listeners) {
      while (!subscribed(childOf(l.child.pid ?? 0))) {
        if (l.child.exitCode !== null || Date.now() > end) {
          l.child.stdin!.end();
          this.listeners.delete(inode);
          this.failed.push(inode);
          break;
        }
        sleepSync(10);
      }
    }
  }

  /** Confirmed entries since start, by namespace (cumulative). */
  read(): Map<number, Confirmed> {
    return new Map([...this.listeners].map(([inode, l]) => [inode, l.value]));
  }

  stop(): void {
    for (const l of this.listeners.values()) l.child.stdin!.end();
  }
}
