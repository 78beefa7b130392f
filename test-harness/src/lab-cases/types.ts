/** A lab case: a lab with one known problem (or none), the diagnose options that look at it, and
 * the truth of what was injected, measured by the kernel's own counters rather than by any tool. */
import type { Lab } from '../lab.ts';

export interface TruthItem {
  /** What was injected, in words. */
  what: string;
  /** Drops: the kernel's drop reason and the function that drops. */
  reason?: string;
  location?: string;
  /** Latency: the stage pair that holds the packets, and its direction. */
  stage?: string;
  direction?: 'rx' | 'tx';
  device?: string;
  /** Packets dropped, or packets delayed past the threshold. */
  count: number;
  /** Latency: an upper bound of the longest delay, measured outside the tools (µs). */
  maxUs?: number;
}

export interface Truth {
  kind: 'drops' | 'latency' | 'healthy';
  /** Most harmful first: the verdict's top finding should be items[0]. */
  items: TruthItem[];
  /** Threads the case knows handle the problem (for layers 2 and 3 to name): pid and role. */
  threads?: { pid: number; role: string }[];
  /** Other facts the lab measured (traffic delivered, what a user would have seen). */
  notes: string[];
}

export interface BuiltCase {
  /** Options for `netstrata diagnose` that scope it to this lab. */
  diagnoseArgs: string[];
  /** Sends the traffic and the fault; call it once diagnose is attached. */
  inject(): Promise<Truth>;
  /** Traffic that shows the problem again once layer 1 has ended, for diagnose's layers 2 and 3
   * to catch (it never counts in the verdict's truth); returns what stops it. */
  follow?(): () => Promise<void>;
  /** Stops what the case started (readers, sinks); the lab itself goes with the Lab. */
  stop?(): Promise<void>;
}

export interface LabCase {
  name: string;
  title: string;
  /** One sentence: what is broken. */
  what: string;
  /** Seconds diagnose measures by default: the injection fits in it, on a loaded machine too. */
  duration: number;
  build(lab: Lab): Promise<BuiltCase>;
}
