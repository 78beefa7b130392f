/** The lab cases `lab list` shows and `lab run` runs, in order: the faults first. */
import { faults } from './faults.ts';
import { healthy } from './healthy.ts';
import { latencyTail } from './latency-tail.ts';
import { ovsUpcall } from './ovs-upcall.ts';
import { tapRing } from './tap-ring.ts';
import type { LabCase } from './types.ts';

export const LAB_CASES: readonly LabCase[] = [faults, latencyTail, tapRing, ovsUpcall, healthy];

export const labCase = (name: string): LabCase | undefined => LAB_CASES.find((c) => c.name === name);

export { LabInterrupted, netstrataPath, runLabCase, type LabRun, type LabRunOptions, type Verdict, type VerdictFinding } from './run.ts';
export { compare, renderComparison, type Comparison } from './compare.ts';
export type { BuiltCase, LabCase, Truth, TruthItem } from './types.ts';
