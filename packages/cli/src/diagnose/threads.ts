/** Threads found from /proc when the tools saw none: the processes that hold a TAP open. */
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

/**
 * The processes with a /dev/net/tun descriptor attached to `device` (the kernel shows the device
 * in the descriptor's fdinfo as `iff:`): a TAP's readers (QEMU, a relay; vhost-net's worker reads
 * for QEMU). By name: a TAP of the same name in another namespace matches too.
 */
export function tapHolders(device: string): { pid: number; comm: string }[] {
  const out: { pid: number; comm: string }[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const fds = readdirSync(`/proc/${p}/fd`);
      const holds = fds.some((fd) => {
        try {
          return readlinkSync(`/proc/${p}/fd/${fd}`) === '/dev/net/tun' && new RegExp(`^iff:\\s+${device.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm').test(readFileSync(`/proc/${p}/fdinfo/${fd}`, 'utf8'));
        } catch {
          return false;
        }
      });
      if (holds) out.push({ pid: Number(p), comm: readFileSync(`/proc/${p}/comm`, 'utf8').trim() });
    } catch {
      /* gone, or not ours to read */
    }
  }
  return out;
}

const STATES: Record<string, string> = { R: 'running', S: 'sleeping', D: 'in uninterruptible sleep', T: 'stopped', t: 'stopped by a tracer', Z: 'a zombie', I: 'idle' };

/** A thread's state now, in words, with the kernel function it waits in: "sleeping in do_select". */
export function threadState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0]!;
    let wchan = '';
    try {
      wchan = readFileSync(`/proc/${pid}/wchan`, 'utf8').trim();
    } catch {
      /* not shown to us */
    }
    return `${STATES[state] ?? state}${wchan && wchan !== '0' ? ` in ${wchan}` : ''}`;
  } catch {
    return undefined;
  }
}

/** The process (thread group) a thread belongs to. */
export function processOf(tid: number): number | undefined {
  try {
    const m = /^Tgid:\s+(\d+)$/m.exec(readFileSync(`/proc/${tid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}
