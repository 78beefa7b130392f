/** What both latency tools read of the session machinery (bpf/latency_stages.h), and what they keep
 * up from user space: the clock offset, sessions timed out, the kernel's RX timestamps. */
import { DropReasons, functionInBtf, holdRxTimestamps, perCpuEntries, taiOffsetNs, type BpfObject } from '@netstrata/bpf-common';
import { DIRECTIONS, LAT_STAGES, carrying, fifoPending, keyDir, latCarry, latDropKey, latFifo, latGsoKey, latKey, latSession, u32, u32Key, u64, type Dir } from '../layout.ts';
import { readCounts, type DropRow, type SessionState } from './aggregate.ts';

/** The session maps, checked against the declared structs before load. */
export const SESSION_MAPS = {
  sessions: { key: latKey, value: latSession },
  fifos: { key: 8, value: latFifo },
  carry: { key: 4, value: latCarry },
  counts: { key: 4, value: 8 },
  gso: { key: latGsoKey, value: latSession },
  drops: { key: latDropKey, value: 8 },
  globals: { key: 4, value: 8 },
} as const;

/** A session no stage touched for this long is let go as timed out: its packet left by a way no
 * hook sees (freed without a tracepoint, a read by splice, a GSO packet whose last segment was
 * never seen). Far longer than any queue holds a packet. */
/** Direct kernel reads where the kernel has bpf_rdonly_cast (Linux 6.2); one probe read per field before. */
export const latencyKernelRodata = () => ({ targ_direct_reads: functionInBtf('bpf_rdonly_cast') === true });

export const TIMEOUT_NS = 10_000_000_000n;

/** globals indices (bpf/latency_maps.h). */
const G_TAI_OFF = 0;

const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
const TS = latSession.offsetOf('ts');
const GSO = latSession.offsetOf('gso');

/** The latest stage time of a session value (ns, CLOCK_MONOTONIC). */
function lastTs(v: Uint8Array): bigint {
  const d = view(v);
  let last = 0n;
  for (let i = 0; i < LAT_STAGES; i++) {
    const t = d.getBigUint64(TS + 8 * i, true);
    if (t > last) last = t;
  }
  return last;
}

/** RX timestamp holders opened before load (the kernel turns stamping on a moment later, so it is
 * asked first), by object, until the keeper of that object takes them over. */
const pendingStamps = new WeakMap<BpfObject, Disposable>();

/** Before load: with the default stages on the receive path, turn the kernel's RX timestamps on. */
export function holdStampsFor(obj: BpfObject, o: { stages: boolean; direction: 'rx' | 'tx' | 'both' }): void {
  if (!o.stages && o.direction !== 'tx') pendingStamps.set(obj, holdRxTimestamps());
}

/**
 * The user side of the sessions: passes the kernel the TAI − REALTIME offset (each interval), lets
 * sessions go that no stage touched for TIMEOUT_NS (counted as timed out), counts those still open,
 * and names the drops. With the default stages on the receive path it also keeps the kernel's RX
 * timestamps on for the tool's life.
 */
export class SessionKeeper implements Disposable {
  private readonly timedOut: Record<Dir, number> = { rx: 0, tx: 0 };
  private readonly stamps: Disposable | undefined;
  private reasons: DropReasons | undefined;

  constructor(
    private readonly obj: BpfObject,
    o: { stages: boolean; direction: 'rx' | 'tx' | 'both' },
  ) {
    this.stamps = pendingStamps.get(obj) ?? (!o.stages && o.direction !== 'tx' ? holdRxTimestamps() : undefined);
    pendingStamps.delete(obj);
    this.setClock();
  }

  /** After load, before the ready file: the clock offset the kernel needs from the first packet. */
  static prepare(obj: BpfObject): void {
    const v = new Uint8Array(8);
    view(v).setBigUint64(0, taiOffsetNs(), true);
    obj.map('globals').update(u32Key(G_TAI_OFF), v);
  }

  /** CLOCK_TAI − CLOCK_REALTIME for the kernel (a leap second or a new TAI offset moves it). */
  setClock(): void {
    SessionKeeper.prepare(this.obj);
  }

  /** Sessions idle longer than TIMEOUT_NS, deleted and counted (a GSO packet counts once, by its copy). */
  sweep(now = process.hrtime.bigint()): void {
    for (const name of ['sessions', 'gso'] as const) {
      const map = this.obj.map(name);
      const stale: [Uint8Array, Dir | undefined][] = [];
      for (const [k, v] of map.entries()) {
        const last = lastTs(v);
        if (!last || now - last <= TIMEOUT_NS) continue;
        stale.push([k, name === 'gso' ? 'tx' : v[GSO] ? undefined : keyDir(k)]);
      }
      for (const [k, dir] of stale) if (map.delete(k) && dir) this.timedOut[dir]++;
    }
  }

  timedOutBy(): Record<Dir, number> {
    return { ...this.timedOut };
  }

  /** Sessions still open, per direction: in the map, carried by a CPU, followed datagrams in socket
   * FIFOs, and GSO packets waiting for their last segment (each GSO packet once). */
  inFlight(): Record<Dir, number> {
    const out: Record<Dir, number> = { rx: 0, tx: 0 };
    for (const [k, v] of this.obj.map('sessions').entries()) if (!v[GSO]) out[keyDir(k)]++;
    for (const [, v] of this.obj.map('fifos').entries()) out.rx += fifoPending(v);
    for (const [k, copies] of perCpuEntries(this.obj.map('carry'))) {
      const dir = DIRECTIONS[u32(k)] ?? 'rx';
      for (const c of copies) if (carrying(c) && !c[latCarry.offsetOf('s') + GSO]) out[dir]++;
    }
    for (const _ of this.obj.map('gso').keys()) out.tx++;
    return out;
  }

  /** Dropped packets by direction and the kernel's reason, since start. */
  drops(): Record<Dir, DropRow[]> {
    const out: Record<Dir, DropRow[]> = { rx: [], tx: [] };
    for (const [k, v] of this.obj.map('drops').entries()) {
      const key = latDropKey.decode(k);
      const dir = DIRECTIONS[key.dir];
      if (!dir) continue;
      this.reasons ??= DropReasons.fromKernel();
      out[dir].push({ reason: this.reasons.name(key.reason), reason_code: key.reason, count: u64(v) });
    }
    for (const d of DIRECTIONS) out[d].sort((a, b) => b.count - a.count || a.reason_code - b.reason_code);
    return out;
  }

  /** Sweeps, then everything the aggregator needs beyond histograms and counters. */
  state(): SessionState {
    this.sweep();
    return { inFlight: this.inFlight(), timedOut: this.timedOutBy(), drops: this.drops() };
  }

  counts(): Record<Dir, number[]> {
    return readCounts(perCpuEntries(this.obj.map('counts')));
  }

  [Symbol.dispose](): void {
    this.stamps?.[Symbol.dispose]();
  }
}
