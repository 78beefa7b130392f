/** Reading the tracer's state: the kernel's counters and legs, and the user side's classifications. */
import { decodeSlots, type BpfObject } from '@netstrata/bpf-common';
import type { DropResolver } from '../resolve.ts';
import { COUNTERS, LEGS, STATES, pathStats, type Counter, type Leg } from './layout.ts';
import { dropId, zeroStates, type DropRow, type PathSnapshot, type StateCounts } from './report.ts';
import type { Expired } from './tracker.ts';

const u32Key = (i: number) => new Uint8Array(new Uint32Array([i]).buffer);

/** The requests the user side classified, and the in-host drops among them, since start. */
export class Classified {
  readonly states: StateCounts = zeroStates();
  readonly drops = new Map<string, DropRow>();

  constructor(private readonly resolver: Pick<DropResolver, 'reasonName' | 'location'>) {}

  add(list: readonly Expired[]): void {
    for (const { req, state } of list) {
      this.states[state]++;
      if (state === 'complete' || state === 'external_drop' || !req.reason) continue;
      const id = dropId(state, req.reason, req.location);
      const row = this.drops.get(id);
      if (row) row.count++;
      else this.drops.set(id, { state, reason: this.resolver.reasonName(req.reason), reason_code: req.reason, location: this.resolver.location(req.location) ?? null, address: `0x${req.location.toString(16)}`, count: 1 });
    }
  }
}

/** The kernel's side, summed over CPUs: requests it finished by state, its counters, the legs. */
export function kernelSide(obj: BpfObject): { states: StateCounts; counters: Record<Counter, number>; legs: Record<Leg, bigint[]> } {
  const states = zeroStates();
  const counters = Object.fromEntries(COUNTERS.map((c) => [c, 0])) as Record<Counter, number>;
  for (const cpu of obj.map('stats').lookupPerCpu(u32Key(0))) {
    const s = pathStats.decode(cpu);
    STATES.forEach((st, i) => (states[st] += Number(s.states[i]!)));
    COUNTERS.forEach((c, i) => (counters[c] += Number(s.counters[i]!)));
  }
  const legs = Object.fromEntries(LEGS.map((l, i) => [l, decodeSlots(obj.map('legs').lookupPerCpu(u32Key(i)))])) as Record<Leg, bigint[]>;
  return { states, counters, legs };
}

export function snapshot(obj: BpfObject, classified: Classified, inFlight: number): PathSnapshot {
  const k = kernelSide(obj);
  const states = zeroStates();
  for (const s of STATES) states[s] = k.states[s] + classified.states[s];
  // Copies: the next read must not change what this one returned.
  return { states, counters: k.counters, legs: k.legs, drops: new Map([...classified.drops].map(([id, d]) => [id, { ...d }])), inFlight };
}
