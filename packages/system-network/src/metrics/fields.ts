/**
 * One field list for every output: the text table columns, the JSON keys (docs/output-fields.md)
 * and the Prometheus series are all named from here, so they cannot drift apart.
 */
export interface Field<K extends string = string> {
  /** JSON key of the row. */
  key: K;
  /** Text column header. */
  column: string;
  /** Prometheus counter name (always a counter: every field here only grows). */
  prom: string;
  help: string;
}

/** A row of a counter table: its Prometheus name is the table's prefix, the key and `_total`
 * unless it names its own. */
type CounterRow = Omit<Field, 'key' | 'prom'> & { prom?: string };

/** A table of counters, keyed and ordered as its rows are written. */
function counters<K extends string>(prefix: string, rows: Record<K, CounterRow>): Field<K>[] {
  return (Object.entries(rows) as [K, CounterRow][]).map(([key, { column, prom, help }]) => ({ key, column, prom: prom ?? `${prefix}${key}_total`, help }));
}

export const DEVICE_FIELDS = counters('netstrata_device_', {
  rx_packets: { column: 'RX_PKTS', help: "Packets received, the device's own statistics (ip -s link)." },
  rx_bytes: { column: 'RX_BYTES', help: "Bytes received, the device's own statistics." },
  tx_packets: { column: 'TX_PKTS', help: "Packets sent, the device's own statistics." },
  tx_bytes: { column: 'TX_BYTES', help: "Bytes sent, the device's own statistics." },
  tx_errors: { column: 'TX_ERRORS', help: 'Packets the device could not send: transmit errors and drops.' },
});

/** Per qdisc (tc -s qdisc), counters since start; the backlog is a gauge. */
export const QDISC_FIELDS = counters('netstrata_qdisc_', {
  packets: { column: 'PKTS', help: 'Packets the qdisc sent (tc -s qdisc).' },
  bytes: { column: 'BYTES', help: 'Bytes the qdisc sent.' },
  drops: { column: 'DROPS', help: 'Packets the qdisc dropped.' },
  requeues: { column: 'REQUEUES', help: 'Packets the qdisc requeued (the driver was busy).' },
  overlimits: { column: 'OVERLIMITS', help: 'Times the qdisc held packets back over its limit or rate.' },
});
export const QDISC_BACKLOG_PROM = {
  bytes: { prom: 'netstrata_qdisc_backlog_bytes', help: 'Bytes queued in the qdisc at the scrape.' },
  packets: { prom: 'netstrata_qdisc_backlog_packets', help: 'Packets queued in the qdisc at the scrape.' },
};

/** Per CPU: /proc/stat's softirq time and /proc/net/softnet_stat, counters since start. */
export const CPU_FIELDS = counters('netstrata_softnet_', {
  softirq_us: { column: 'SOFTIRQ_US', prom: 'netstrata_cpu_softirq_seconds_total', help: 'Time the CPU spent in softirqs of every vector (/proc/stat, 10 ms resolution).' },
  processed: { column: 'PROCESSED', help: "Packets the CPU's receive softirq processed (/proc/net/softnet_stat)." },
  dropped: { column: 'DROPPED', help: "Packets dropped because the CPU's backlog queue was full (netdev_max_backlog)." },
  time_squeeze: { column: 'SQUEEZED', help: 'NET_RX softirqs that stopped with work left (budget or time used up).' },
  received_rps: { column: 'RPS', help: 'Times the CPU was woken by another to process packets steered to it (RPS/RFS).' },
  flow_limit: { column: 'FLOW_LIMIT', help: 'Packets dropped by the flow limit of the backlog.' },
});

/** Per network namespace where conntrack is in use: the table and its per-CPU statistics summed. */
export const CONNTRACK_FIELDS = counters('netstrata_conntrack_', {
  searched: { column: 'SEARCHED', help: 'Conntrack table lookups (kernels before 4.10 only).' },
  found: { column: 'FOUND', help: 'Packets whose connection was found in the table.' },
  invalid: { column: 'INVALID', help: 'Packets conntrack could not track (invalid).' },
  insert: { column: 'INSERT', help: 'Connections inserted into the table.' },
  insert_failed: { column: 'INSERT_FAILED', help: 'Connections that could not be inserted (a clash with another entry).' },
  drop: { column: 'DROP', help: 'Packets dropped because a new connection found the table full.' },
  early_drop: { column: 'EARLY_DROP', help: 'Unconfirmed connections evicted to make room in a full table.' },
  icmp_error: { column: 'ICMP_ERROR', help: 'ICMP errors that could not be matched to a connection.' },
  clash_resolve: { column: 'CLASH_RES', help: 'Insert clashes resolved (the packet kept).' },
  chain_too_long: { column: 'CHAIN_LONG', help: 'Inserts refused because a hash chain was too long.' },
  search_restart: { column: 'RESTART', help: 'Table lookups restarted because the table was resized.' },
});
export const CONNTRACK_GAUGES = {
  entries: { prom: 'netstrata_conntrack_entries', help: "Connections in the namespace's table (nf_conntrack_count)." },
  max: { prom: 'netstrata_conntrack_max', help: 'The size limit of the table (nf_conntrack_max).' },
};

export const QUEUE_FIELDS = counters('netstrata_', {
  qdisc_dequeued: { column: 'QDISC_DEQ', help: 'Packets dequeued from the qdisc whose enqueue was seen (sojourn measured, with --qdisc-sojourn).' },
  qdisc_unmatched: { column: 'UNMATCHED', help: 'Packets dequeued with no enqueue seen (queued before start, or evicted from the session table).' },
  napi_polls: { column: 'NAPI_POLLS', help: 'NAPI polls (napi:napi_poll, with --napi).' },
  napi_packets: { column: 'NAPI_PKTS', help: 'Packets processed by NAPI polls (sum of work, with --napi).' },
  napi_exhausted: { column: 'BUDGET_OUT', prom: 'netstrata_napi_budget_exhausted_total', help: 'NAPI polls that used their whole budget (with --napi).' },
});

export const DROPS_PROM = { prom: 'netstrata_drops_total', help: 'Packets dropped (skb:kfree_skb), by device and reason named from the kernel BTF.' };
export const SOJOURN_PROM = { prom: 'netstrata_qdisc_sojourn_us', help: 'Time from qdisc enqueue to dequeue, microseconds (buckets at powers of two, with --qdisc-sojourn).' };
export const SOFTIRQ_PROM = {
  seconds: { prom: 'netstrata_softirq_seconds_total', help: 'Time spent in the softirq vector on the CPU (with --softirq-time).' },
  count: { prom: 'netstrata_softirq_total', help: 'Runs of the softirq vector on the CPU (/proc/softirqs).' },
};
/** What the tool itself costs (the runner's cost block, since start). */
export const COST_PROM = {
  bpfRuns: { prom: 'netstrata_tool_bpf_runs_total', help: "Runs of this tool's BPF programs, while the kernel's run-time statistics are on (--bpf-stats)." },
  bpfSeconds: { prom: 'netstrata_tool_bpf_seconds_total', help: "Time in this tool's BPF programs, while the kernel's run-time statistics are on (--bpf-stats)." },
  cpuSeconds: { prom: 'netstrata_tool_cpu_seconds_total', help: "This tool's own CPU time, user and system." },
  rss: { prom: 'netstrata_tool_resident_memory_bytes', help: "This tool's resident memory." },
};

export const LOST_PROM = { prom: 'netstrata_lost_total', help: 'Data the tool could not record, by kind (lost, map_full, stack_failed, evicted, missed).' };
