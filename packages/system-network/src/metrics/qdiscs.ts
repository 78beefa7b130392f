/**
 * Per-qdisc statistics as the kernel keeps them (what `tc -s qdisc` shows): packets and bytes sent,
 * drops, requeues, overlimits, and the backlog now. Read once per interval from each namespace,
 * so no BPF program runs per packet for them.
 */

export const QDISC_COUNTERS = ['packets', 'bytes', 'drops', 'requeues', 'overlimits'] as const;
export type QdiscCounter = (typeof QDISC_COUNTERS)[number];

export interface QdiscRow extends Record<QdiscCounter, number> {
  device: string;
  ifindex: number;
  netns: number;
  kind: string;
  handle: string;
  /** 'root', or the handle of the class it hangs from. */
  parent: string;
  /** Bytes and packets queued at the moment of the reading (gauges). */
  backlog_bytes: number;
  backlog_packets: number;
}

interface TcQdisc {
  kind: string;
  handle: string;
  dev: string;
  root?: boolean;
  parent?: string;
  bytes?: number;
  packets?: number;
  drops?: number;
  overlimits?: number;
  requeues?: number;
  backlog?: number;
  qlen?: number;
}

/** `tc -s -j qdisc show` as rows (pure). Devices are named by tc and numbered from `ifindexOf`
 * (the same namespace's links); noqueue qdiscs queue nothing and are left out. */
export function parseQdiscs(json: string, netns: number, ifindexOf: (dev: string) => number | undefined): QdiscRow[] {
  const qdiscs = JSON.parse(json.trim() || '[]') as TcQdisc[];
  const rows: QdiscRow[] = [];
  for (const q of qdiscs) {
    const ifindex = ifindexOf(q.dev);
    if (q.kind === 'noqueue' || ifindex === undefined || q.packets === undefined) continue;
    rows.push({
      device: q.dev,
      ifindex,
      netns,
      kind: q.kind,
      handle: q.handle,
      parent: q.root ? 'root' : (q.parent ?? ''),
      packets: q.packets,
      bytes: q.bytes ?? 0,
      drops: q.drops ?? 0,
      requeues: q.requeues ?? 0,
      overlimits: q.overlimits ?? 0,
      backlog_bytes: q.backlog ?? 0,
      backlog_packets: q.qlen ?? 0,
    });
  }
  return rows;
}

export const qdiscId = (r: QdiscRow) => `${r.netns}/${r.ifindex}/${r.device}/${r.parent}/${r.handle}/${r.kind}`;
/** A qdisc is a row when it moved or holds packets now. */
export const qdiscShown = (r: QdiscRow) => r.backlog_packets > 0 || QDISC_COUNTERS.some((c) => r[c] > 0);
export const qdiscOrder = (a: QdiscRow, b: QdiscRow) => b.drops - a.drops || b.packets - a.packets || a.device.localeCompare(b.device);
