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
  { key: 'rx_packets', column: 'RX_PKTS', prom: 'netstrata_device_rx_packets_total', help: 'Packets received by the device (net:netif_receive_skb).' },
  { key: 'rx_bytes', column: 'RX_BYTES', prom: 'netstrata_device_rx_bytes_total', help: 'Bytes received, link-layer header included.' },
  { key: 'tx_packets', column: 'TX_PKTS', prom: 'netstrata_device_tx_packets_total', help: 'Packets the driver accepted (net:net_dev_xmit rc 0).' },
  { key: 'tx_bytes', column: 'TX_BYTES', prom: 'netstrata_device_tx_bytes_total', help: 'Bytes sent, as the driver counts them.' },
  { key: 'tx_errors', column: 'TX_ERRORS', prom: 'netstrata_device_tx_errors_total', help: 'Packets the driver refused (net:net_dev_xmit rc != 0).' },
];

export const QUEUE_FIELDS: Field<'qdisc_dequeued' | 'qdisc_unmatched' | 'napi_polls' | 'napi_packets' | 'napi_exhausted'>[] = [
  { key: 'qdisc_dequeued', column: 'QDISC_DEQ', prom: 'netstrata_qdisc_dequeued_total', help: 'Packets dequeued from the qdisc whose enqueue was seen (sojourn measured).' },
  { key: 'qdisc_unmatched', column: 'UNMATCHED', prom: 'netstrata_qdisc_unmatched_total', help: 'Packets dequeued with no enqueue seen (queued before start, or evicted from the session table).' },
  { key: 'napi_polls', column: 'NAPI_POLLS', prom: 'netstrata_napi_polls_total', help: 'NAPI polls (napi:napi_poll).' },
  { key: 'napi_packets', column: 'NAPI_PKTS', prom: 'netstrata_napi_packets_total', help: 'Packets processed by NAPI polls (sum of work).' },
  { key: 'napi_exhausted', column: 'BUDGET_OUT', prom: 'netstrata_napi_budget_exhausted_total', help: 'NAPI polls that used their whole budget.' },
];

export const DROPS_PROM = { prom: 'netstrata_drops_total', help: 'Packets dropped (skb:kfree_skb), by device and reason named from the kernel BTF.' };
export const SOJOURN_PROM = { prom: 'netstrata_qdisc_sojourn_us', help: 'Time from qdisc enqueue to dequeue, microseconds (buckets at powers of two).' };
export const SOFTIRQ_PROM = {
  seconds: { prom: 'netstrata_softirq_seconds_total', help: 'Time spent in the softirq vector on the CPU.' },
  count: { prom: 'netstrata_softirq_total', help: 'Runs of the softirq vector on the CPU.' },
};
/** What the tool itself costs (the runner's cost block, since start). */
export const COST_PROM = {
  bpfRuns: { prom: 'netstrata_tool_bpf_runs_total', help: "Runs of this tool's BPF programs, while the kernel's run-time statistics are on (--bpf-stats)." },
  bpfSeconds: { prom: 'netstrata_tool_bpf_seconds_total', help: "Time in this tool's BPF programs, while the kernel's run-time statistics are on (--bpf-stats)." },
  cpuSeconds: { prom: 'netstrata_tool_cpu_seconds_total', help: "This tool's own CPU time, user and system." },
  rss: { prom: 'netstrata_tool_resident_memory_bytes', help: "This tool's resident memory." },
};

export const LOST_PROM = { prom: 'netstrata_lost_total', help: 'Data the tool could not record, by kind (lost, map_full, stack_failed, evicted, missed).' };
