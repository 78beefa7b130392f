/** Decoders mirroring bpf/system_network.h (sizes checked by _Static_assert there). */
export const DEV_KEY_SIZE = 8;
export const DEV_STATS_SIZE = 56;

export interface DevKey {
  ifindex: number;
  netns: number;
}

export interface DevStats {
  name: string;
  rx_packets: number;
  rx_bytes: number;
  tx_packets: number;
  tx_bytes: number;
  tx_errors: number;
}

export const COUNTERS = ['rx_packets', 'rx_bytes', 'tx_packets', 'tx_bytes', 'tx_errors'] as const;
export type Counter = (typeof COUNTERS)[number];

export function decodeDevKey(b: Uint8Array): DevKey {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return { ifindex: v.getUint32(0, true), netns: v.getUint32(4, true) };
}

/** Sums the per-CPU copies of struct dev_stats; the name comes from whichever CPU set it. */
export function sumDevStats(perCpu: readonly Uint8Array[]): DevStats {
  const out: DevStats = { name: '', rx_packets: 0, rx_bytes: 0, tx_packets: 0, tx_bytes: 0, tx_errors: 0 };
  for (const b of perCpu) {
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
    COUNTERS.forEach((c, i) => (out[c] += Number(v.getBigUint64(i * 8, true))));
    if (!out.name) {
      const name = b.subarray(40, 56);
      const end = name.indexOf(0);
      out.name = Buffer.from(name.subarray(0, end < 0 ? name.length : end)).toString('utf8');
    }
  }
  return out;
}
