/**
 * The middle of a dropped packet's JSON line (packet_drop_details, conntrack_details), kept as
 * ready text: a kernel drops for a handful of reasons at a few hundred sites, so the reason and
 * the location repeat from drop to drop and are written once each. The pieces carry the member
 * names around them, so a line is `…"device":X` + reason(code) + location(low, high) + `LEN,…`,
 * exactly what JSON.stringify gives for the DropEventHead fields `reason` to `len`.
 */
import { jsonString } from './json.ts';
import type { KernelLocation } from './render.ts';

/** Distinct drop locations kept as JSON; a kernel has a few hundred drop sites at most. */
const LOCATIONS_KEPT = 4096;

export class DropJsonText {
  private readonly reasons = new Map<number, string>();
  /** Keyed by the low half of the address; the high half is checked on a hit. */
  private readonly locations = new Map<number, { low: number; high: number; json: string }>();

  /**
   * @param reasonName the kernel's name for a drop reason code
   * @param locate the symbol and offset of a kernel address; without one the location is written
   *   as symbol `?` at offset 0
   */
  constructor(
    private readonly reasonName: (code: number) => string,
    private readonly locate: (address: bigint) => KernelLocation | undefined,
  ) {}

  /** `,"reason":NAME,"reason_code":CODE,"location":` */
  reason(code: number): string {
    let s = this.reasons.get(code);
    if (s === undefined) this.reasons.set(code, (s = `,"reason":${jsonString(this.reasonName(code))},"reason_code":${code},"location":`));
    return s;
  }

  /** `{"symbol":S,"offset":N,"address":"0x…"},"len":` for the address whose 32-bit halves are
   * `low` and `high` (as read from the record: no bigint per event). */
  location(low: number, high: number): string {
    const e = this.locations.get(low | 0);
    if (e && e.low === low && e.high === high) return e.json;
    if (this.locations.size >= LOCATIONS_KEPT) this.locations.clear();
    const addr = (BigInt(high >>> 0) << 32n) | BigInt(low >>> 0);
    const loc = this.locate(addr);
    const json = `{"symbol":${jsonString(loc?.symbol ?? '?')},"offset":${loc?.offset ?? 0},"address":"0x${addr.toString(16)}"},"len":`;
    this.locations.set(low | 0, { low, high, json });
    return json;
  }
}
