/**
 * What the kernel did against what its BPF programs were shown of it, for transmissions.
 *
 * On some kernels a packet can leave a device without a BPF program on `net:net_dev_xmit` ever
 * running for it, and without the kernel counting a miss (`recursion_misses` stays 0). On this
 * project's development machine (6.18) a tbf that dequeues from its timer loses about one
 * transmission in 200 that way; bpftrace's count on the same tracepoint comes up short by the same
 * number, while ftrace's own event sees every one. No tool can count what it is never shown, so a
 * test whose truth is "every packet sent" first asks this witness how many transmissions the
 * kernel withheld, and holds the tool exact only when none were.
 *
 * The witness compares the devices' own counters (sent and dropped at transmit, in the lab's
 * namespaces and the host's) with the run count of the one program named `net_dev_xmit*`, which
 * runs for every transmission on every device. Run counts need the kernel's statistics on: start
 * the tool with `--bpf-stats`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { run } from './exec.ts';
import type { Lab } from './lab.ts';

interface ProgInfo {
  name?: string;
  run_cnt?: number;
}

/** Run count of the one loaded program whose name starts with `prefix`. */
function runsOf(prefix: string): number {
  const progs = (JSON.parse(run('bpftool', ['-j', 'prog', 'show']) || '[]') as ProgInfo[]).filter((p) => p.name?.startsWith(prefix));
  if (progs.length !== 1) throw new Error(`witness: expected one program named ${prefix}*, found ${progs.length}`);
  return progs[0]!.run_cnt ?? 0;
}

interface LinkStats {
  stats64?: { tx: { packets: number; dropped: number } };
}

const sum = (links: LinkStats[]) => links.reduce((n, l) => n + (l.stats64 ? l.stats64.tx.packets + l.stats64.tx.dropped : 0), 0);

function hostTransmits(): number {
  let n = 0;
  for (const dev of readdirSync('/sys/class/net')) {
    for (const f of ['tx_packets', 'tx_dropped']) {
      try {
        n += Number(readFileSync(`/sys/class/net/${dev}/statistics/${f}`, 'utf8'));
      } catch {
        // a device that went away meanwhile
      }
    }
  }
  return n;
}

export class XmitWitness {
  private readonly tx0: number;
  private readonly runs0: number;

  /** Take after the tool is ready (its program loaded) and before the traffic. */
  constructor(
    private readonly lab: Lab,
    private readonly prefix = 'net_dev_xmit',
  ) {
    this.tx0 = this.transmits();
    this.runs0 = runsOf(prefix);
  }

  private transmits(): number {
    let n = hostTransmits();
    for (const ns of this.lab.nets) n += sum(JSON.parse(ns.exec('ip', ['-s', '-j', 'link', 'show'])) as LinkStats[]);
    return n;
  }

  /** Transmissions since the start that no BPF program on net_dev_xmit was shown. */
  withheld(): number {
    const tx = this.transmits() - this.tx0;
    const runs = runsOf(this.prefix) - this.runs0;
    return Math.max(0, tx - runs);
  }
}
