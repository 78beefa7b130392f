/** Paths of the built tool binaries the scenarios run. */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

function bin(pkg: string, name: string): string {
  const p = fileURLToPath(new URL(`../../packages/${pkg}/dist/${name}.js`, import.meta.url));
  if (!existsSync(p)) throw new Error(`${name} is not built (${p}); run npm run build`);
  return p;
}

export const tools = {
  get packetDropSummary() {
    return bin('packet-drop', 'packet_drop_summary');
  },
  get packetDropDetails() {
    return bin('packet-drop', 'packet_drop_details');
  },
  get systemNetworkMetrics() {
    return bin('system-network', 'system_network_metrics_summary');
  },
  get systemNetworkLatency() {
    return bin('system-network', 'system_network_latency_summary');
  },
  get systemNetworkLatencyDetails() {
    return bin('system-network', 'system_network_latency_details');
  },
  get softirqLatency() {
    return bin('cpu', 'softirq_latency_summary');
  },
  get schedLatency() {
    return bin('cpu', 'sched_latency_summary');
  },
  get offcpu() {
    return bin('cpu', 'offcpu_summary');
  },
  get lockWait() {
    return bin('cpu', 'lock_wait_summary');
  },
  get netstrata() {
    return bin('cli', 'netstrata');
  },
};
