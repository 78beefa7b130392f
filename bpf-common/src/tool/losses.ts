/**
 * One loss block for every tool: what the kernel side could not count or deliver (the per-CPU
 * `lost` map of bpf/include/netstrata/loss.h) and the hook runs the kernel skipped. Every record
 * that could have lost data carries all five fields, zero included.
 */
import type { BpfMap, BpfObject } from '@netstrata/libbpf-ts';

export interface LossFields {
  /** Events not delivered: the ring buffer was full. */
  lost: number;
  /** Keys not counted: an aggregation map had no room. */
  map_full: number;
  /** Stacks that could not be taken or stored. */
  stack_failed: number;
  /** Sessions let go before they completed (a table full, or out of step). */
  evicted: number;
  /** Hook runs the kernel skipped: it does not run a BPF program where another is running on
   * that CPU (recursion_misses). Events lost before our code saw them. */
  missed: number;
}

/** The counters of the `lost` map alone. */
export type Losses = Omit<LossFields, 'missed'>;

/** Index of each counter in the `lost` map: `enum nst_loss` (checked against the objects' BTF). */
export const LOSS_INDEX = { lost: 0, map_full: 1, stack_failed: 2, evicted: 3 } as const;

/** The C enumerators behind LOSS_INDEX. */
export const LOSS_ENUMERATORS = { lost: 'NST_LOST_EVENTS', map_full: 'NST_MAP_FULL', stack_failed: 'NST_STACK_FAILED', evicted: 'NST_EVICTED' } as const;

export const LOSS_KEYS = ['lost', 'map_full', 'stack_failed', 'evicted', 'missed'] as const satisfies readonly (keyof LossFields)[];

export function readLosses(lost: BpfMap): Losses {
  const sum = (idx: number) => {
    const key = new Uint8Array(new Uint32Array([idx]).buffer);
    return lost.lookupPerCpu(key).reduce((s, b) => s + Number(new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true)), 0);
  };
  return { lost: sum(LOSS_INDEX.lost), map_full: sum(LOSS_INDEX.map_full), stack_failed: sum(LOSS_INDEX.stack_failed), evicted: sum(LOSS_INDEX.evicted) };
}

/** The whole loss block of an object: its `lost` map (if it has one), its programs' misses, and
 * counters the tool measures itself, which take the place of the map's. */
export function lossFields(obj: BpfObject, own: Partial<LossFields> = {}): LossFields {
  const map = obj.maps().find((m) => m.name === 'lost');
  const counted = map ? readLosses(map) : { lost: 0, map_full: 0, stack_failed: 0, evicted: 0 };
  return { ...counted, missed: programMisses(obj), ...own };
}

const LOSS_TEXT: Record<keyof LossFields, string> = {
  lost: 'lost %d (ring buffer full)',
  map_full: 'map_full %d (map full, not counted)',
  stack_failed: 'stack_failed %d',
  evicted: 'evicted %d',
  missed: 'missed by the kernel %d',
};

/** The loss line of a text report: always in the final one, else only when something was lost. */
export function renderLosses(l: LossFields, always: boolean): string {
  if (!always && !LOSS_KEYS.some((k) => l[k])) return '';
  return `  losses: ${LOSS_KEYS.map((k) => LOSS_TEXT[k].replace('%d', String(l[k]))).join(', ')}`;
}

/** A per-CPU map's entries with each value split into its CPUs' copies. */
export function* perCpuEntries(map: BpfMap): Generator<[Uint8Array, Uint8Array[]]> {
  const slot = Math.ceil(map.valueSize / 8) * 8;
  for (const [k, v] of map.entries()) {
    const copies: Uint8Array[] = [];
    for (let off = 0; off + map.valueSize <= v.byteLength; off += slot) copies.push(v.subarray(off, off + map.valueSize));
    yield [k, copies];
  }
}

/** Hook runs the kernel skipped, summed over the object's loaded programs. */
export function programMisses(obj: BpfObject): number {
  let n = 0;
  for (const p of obj.programs()) if (p.autoload) n += p.misses;
  return n;
}
