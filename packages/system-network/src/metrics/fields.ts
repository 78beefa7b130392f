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

export const DEVICE_FIELDS: Field<'rx_packets' | 'rx_bytes' | 'tx_packets' | 'tx_bytes' | 'tx_errors'>[] = [
  { key: 'rx_packets', column: 'RX_PKTS', prom: 'netstrata_device_rx_packets_total', help: "Packets received, the device's own statistics (ip -s link)." },
  { key: 'rx_bytes', column: 'RX_BYTES', prom: 'netstrata_device_rx_bytes_total', help: "Bytes received, the device's own statistics." },
  { key: 'tx_packets', column: 'TX_PKTS', prom: 'netstrata_device_tx_packets_total', help: "Packets sent, the device's own statistics." },
  { key: 'tx_bytes', column: 'TX_BYTES', prom: 'netstrata_device_tx_bytes_total', help: "Bytes sent, the device's own statistics." },
  { key: 'tx_errors', column: 'TX_ERRORS', prom: 'netstrata_device_tx_errors_total', help: 'Packets the device could not send: transmit errors and drops.' },
];

/** Per qdisc (tc -s qdisc), counters since start; the backlog is a gauge. */
export const QDISC_FIELDS: Field<'packets' | 'bytes' | 'drops' | 'requeues' | 'overlimits'>[] = [
  { key: 'packets', column: 'PKTS', prom: 'netstrata_qdisc_packets_total', help: 'Packets the qdisc sent (tc -s qdisc).' },
  { key: 'bytes', column: 'BYTES', prom: 'netstrata_qdisc_bytes_total', help: 'Bytes the qdisc sent.' },
  { key: 'drops', column: 'DROPS', prom: 'netstrata_qdisc_drops_total', help: 'Packets the qdisc dropped.' },
  { key: 'requeues', column: 'REQUEUES', prom: 'netstrata_qdisc_requeues_total', help: 'Packets the qdisc requeued (the driver was busy).' },
  { key: 'overlimits', column: 'OVERLIMITS', prom: 'netstrata_qdisc_overlimits_total', help: 'Times the qdisc held packets back over its limit or rate.' },
];
export const QDISC_BACKLOG_PROM = {
  bytes: { prom: 'netstrata_qdisc_backlog_bytes', help: 'Bytes queued in the qdisc at the scrape.' },
  packets: { prom: 'netstrata_qdisc_backlog_packets', help: 'Packets queued in the qdisc at the scrape.' },
};

/** Per CPU: /proc/stat's softirq time and /proc/net/softnet_stat, counters since start. */
export const CPU_FIELDS: Field<'softirq_us' | 'processed' | 'dropped' | 'time_squeeze' | 'received_rps' | 'flow_limit'>[] = [
  { key: 'softirq_us', column: 'SOFTIRQ_US', prom: 'netstrata_cpu_softirq_seconds_total', help: 'Time the CPU spent in softirqs of every vector (/proc/stat, 10 ms resolution).' },
  { key: 'processed', column: 'PROCESSED', prom: 'netstrata_softnet_processed_total', help: "Packets the CPU's receive softirq processed (/proc/net/softnet_stat)." },
  { key: 'dropped', column: 'DROPPED', prom: 'netstrata_softnet_dropped_total', help: "Packets dropped because the CPU's backlog queue was full (netdev_max_backlog)." },
  { key: 'time_squeeze', column: 'SQUEEZED', prom: 'netstrata_softnet_time_squeeze_total', help: 'NET_RX softirqs that stopped with work left (budget or time used up).' },
  { key: 'received_rps', column: 'RPS', prom: 'netstrata_softnet_received_rps_total', help: 'Times the CPU was woken by another to process packets steered to it (RPS/RFS).' },
  { key: 'flow_limit', column: 'FLOW_LIMIT', prom: 'netstrata_softnet_flow_limit_total', help: 'Packets dropped by the flow limit of the backlog.' },
];

/** Per network namespace where conntrack is in use: the table and its per-CPU statistics summed. */
export const CONNTRACK_FIELDS: Field<'found' | 'invalid' | 'insert' | 'insert_failed' | 'drop' | 'early_drop' | 'icmp_error' | 'clash_resolve' | 'chain_too_long' | 'search_restart' | 'searched'>[] = [
  { key: 'searched', column: 'SEARCHED', prom: 'netstrata_conntrack_searched_total', help: 'Conntrack table lookups (kernels before 4.10 only).' },
  { key: 'found', column: 'FOUND', prom: 'netstrata_conntrack_found_total', help: 'Packets whose connection was found in the table.' },
  { key: 'invalid', column: 'INVALID', prom: 'netstrata_conntrack_invalid_total', help: 'Packets conntrack could not track (invalid).' },
  { key: 'insert', column: 'INSERT', prom: 'netstrata_conntrack_insert_total', help: 'Connections inserted into the table.' },
  { key: 'insert_failed', column: 'INSERT_FAILED', prom: 'netstrata_conntrack_insert_failed_total', help: 'Connections that could not be inserted (a clash with another entry).' },
  { key: 'drop', column: 'DROP', prom: 'netstrata_conntrack_drop_total', help: 'Packets dropped because a new connection found the table full.' },
  { key: 'early_drop', column: 'EARLY_DROP', prom: 'netstrata_conntrack_early_drop_total', help: 'Unconfirmed connections evicted to make room in a full table.' },
  { key: 'icmp_error', column: 'ICMP_ERROR', prom: 'netstrata_conntrack_icmp_error_total', help: 'ICMP errors that could not be matched to a connection.' },
  { key: 'clash_resolve', column: 'CLASH_RES', prom: 'netstrata_conntrack_clash_resolve_total', help: 'Insert clashes resolved (the packet kept).' },
  { key: 'chain_too_long', column: 'CHAIN_LONG', prom: 'netstrata_conntrack_chain_too_long_total', help: 'Inserts refused because a hash chain was too long.' },
  { key: 'search_restart', column: 'RESTART', prom: 'netstrata_conntrack_search_restart_total', help: 'Table lookups restarted because the table was resized.' },
];
export const CONNTRACK_GAUGES = {
  entries: { prom: 'netstrata_conntrack_entries', help: "Connections in the namespace's table (nf_conntrack_count)." },
  max: { prom: 'netstrata_conntrack_max', help: 'The size limit of the table (nf_conntrack_max).' },
};

export const QUEUE_FIELDS: Field<'qdisc_dequeued' | 'qdisc_unmatched' | 'napi_polls' | 'napi_packets' | 'napi_exhausted'>[] = [
  { key: 'qdisc_dequeued', column: 'QDISC_DEQ', prom: 'netstrata_qdisc_dequeued_total', help: 'Packets dequeued from the qdisc whose enqueue was seen (sojourn measured, with --qdisc-sojourn).' },
  { key: 'qdisc_unmatched', column: 'UNMATCHED', prom: 'netstrata_qdisc_unmatched_total', help: 'Packets dequeued with no enqueue seen (queued before start, or evicted from the session table).' },
  { key: 'napi_polls', column: 'NAPI_POLLS', prom: 'netstrata_napi_polls_total', help: 'NAPI polls (napi:napi_poll, with --napi).' },
  { key: 'napi_packets', column: 'NAPI_PKTS', prom: 'netstrata_napi_packets_total', help: 'Packets processed by NAPI polls (sum of work, with --napi).' },
  { key: 'napi_exhausted', column: 'BUDGET_OUT', prom: 'netstrata_napi_budget_exhausted_total', help: 'NAPI polls that used their whole budget (with --napi).' },
];

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
