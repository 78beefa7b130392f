/**
 * Retiring entries of a kernel table from the user side, for tables whose entries the kernel also
 * removes when it finishes them (a request answered, a ping's reply sent on): the user side takes
 * out what has waited too long. Whichever side removes an entry first counts it, so none is counted
 * twice or lost; and an entry taken is returned with its value as it was removed, so one the kernel
 * moved on between the read and the removal is judged on what it became.
 */

/** What retiring needs of a map (a BpfMap, or a test's stand-in). */
export interface ExpiringMap {
  entries(): Iterable<[Uint8Array, Uint8Array]>;
  /** The value as it was removed; undefined when the entry is gone already. */
  lookupAndDelete(key: Uint8Array): Uint8Array | undefined;
}

/** Takes out the entries `expired` picks (each with its value as removed); `kept`: the others. */
export function takeExpired(map: ExpiringMap, expired: (value: Uint8Array) => boolean): { taken: [Uint8Array, Uint8Array][]; kept: number } {
  const keys: Uint8Array[] = [];
  let kept = 0;
  for (const [k, v] of map.entries()) {
    if (expired(v)) keys.push(k.slice());
    else kept++;
  }
  const taken: [Uint8Array, Uint8Array][] = [];
  for (const k of keys) {
    const v = map.lookupAndDelete(k);
    if (v) taken.push([k, v]);
  }
  return { taken, kept };
}
