/**
 * The user side's half of the tracer: requests the kernel still holds after --timeout-ms are taken
 * out of its table and classified by the last point they passed. A request is counted exactly once:
 * by the kernel when its reply goes out (it deletes the entry), or here when this side's delete wins.
 */
import { takeExpired, type BpfMap } from '@netstrata/bpf-common';
import { pathKey, pathReq, stateOf, type PathState, type RawKey, type RawReq } from './layout.ts';

export interface Expired {
  key: RawKey;
  req: RawReq;
  state: PathState;
}

/** CLOCK_MONOTONIC, the clock of bpf_ktime_get_ns(). */
export const monotonicNs = (): bigint => process.hrtime.bigint();

export class PendingRequests {
  constructor(
    private readonly map: BpfMap,
    private readonly timeoutNs: bigint,
  ) {}

  /** Removes and returns the requests that entered more than the timeout before `now`, in the
   * order they entered. */
  expire(now = monotonicNs()): Expired[] {
    const cutoff = now - this.timeoutNs;
    const { taken } = takeExpired(this.map, (v) => pathReq.decode(v).ts[0]! <= cutoff);
    return taken
      .map(([k, v]): Expired => {
        const req = pathReq.decode(v);
        return { key: pathKey.decode(k), req, state: stateOf(req) };
      })
      .sort((a, b) => (a.req.ts[0]! < b.req.ts[0]! ? -1 : a.req.ts[0]! > b.req.ts[0]! ? 1 : 0));
  }

  /** Requests still within their timeout, by the last point they passed. */
  inFlight(): number {
    let n = 0;
    for (const _ of this.map.keys()) n++;
    return n;
  }
}

/** Once the tool is asked to stop: until every request in flight is classified (each within
 * --timeout-ms of now), `tick` classifying what expires meanwhile. */
export async function drainPending(pending: PendingRequests, timeoutMs: number, tick: () => void): Promise<void> {
  const end = performance.now() + timeoutMs + 50;
  for (;;) {
    tick();
    if (!pending.inFlight() || performance.now() > end) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}
