/**
 * The user side of the sessions (bpf/icmp_rtt_details.bpf.c `sessions`): pings with no reply within
 * --timeout-ms are let go and counted, never dropped silently. The kernel deletes a session when
 * its reply completes; the sweep deletes one when it has timed out; whichever deletes it first
 * counts it, so no ping is counted twice.
 */
import { takeExpired, type ExpiringMap } from '@netstrata/bpf-common';
import { IR_STAGES, irSession } from './layout.ts';

/** What the sweep needs of a map (a BpfMap, or a test's stand-in). */
export type SessionMap = ExpiringMap;

export type Fate = 'waiting' | 'unanswered' | 'incomplete';

const TS = irSession.offsetOf('ts');
const LATE = irSession.offsetOf('late');

/** What becomes of one session at kernel time `nowNs`: it keeps waiting while younger than the
 * timeout; after it, a ping whose reply never came (or came late) is unanswered, and one whose
 * reply came in time but was not seen through its last stage is incomplete. */
export function fate(value: Uint8Array, nowNs: bigint, timeoutNs: bigint): Fate {
  const v = new DataView(value.buffer, value.byteOffset, value.byteLength);
  let first = 0n;
  let replied = false;
  for (let i = 0; i < IR_STAGES; i++) {
    const t = v.getBigUint64(TS + 8 * i, true);
    if (t && !first) first = t;
    if (v.getBigUint64(TS + 8 * (IR_STAGES + i), true)) replied = true;
  }
  if (first && nowNs - first < timeoutNs) return 'waiting';
  return replied && !v.getUint32(LATE, true) ? 'incomplete' : 'unanswered';
}

export class Sweeper {
  unanswered = 0;
  incomplete = 0;

  constructor(
    private readonly map: SessionMap,
    private readonly timeoutNs: bigint,
  ) {}

  /** Lets go the sessions timed out by `nowNs` (CLOCK_MONOTONIC, as the kernel's stamps); returns
   * how many are still waiting. */
  sweep(nowNs: bigint = process.hrtime.bigint()): number {
    const { taken, kept } = takeExpired(this.map, (v) => fate(v, nowNs, this.timeoutNs) !== 'waiting');
    for (const [, v] of taken) {
      const f = fate(v, nowNs, this.timeoutNs);
      if (f !== 'waiting') this[f]++;
    }
    return kept;
  }
}

/** Pings started but in no other count: let go by the kernel's LRU table when it was full. */
export function evictedOf(c: { started: number; completed: number; replaced: number }, s: { unanswered: number; incomplete: number }, pending: number): number {
  return Math.max(0, c.started - c.completed - c.replaced - s.unanswered - s.incomplete - pending);
}
