/** Paths of the built tool binaries the scenarios run. */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

function bin(pkg: string, name: string): string {
  const p = fileURLToPath(new URL(`../../packages/${pkg}/dist/${name}.js`, import.meta.url));
  if (!existsSync(p)) throw new Error(`${name} is not built (${p}); run npm run build`);
  return p;
}

/** Binary by the name the scenarios use: [package, binary]. */
const BINARIES = {
  packetDropSummary: ['packet-drop', 'packet_drop_summary'],
  packetDropDetails: ['packet-drop', 'packet_drop_details'],
  systemNetworkMetrics: ['system-network', 'system_network_metrics_summary'],
  systemNetworkLatency: ['system-network', 'system_network_latency_summary'],
  systemNetworkLatencyDetails: ['system-network', 'system_network_latency_details'],
  softirqLatency: ['cpu', 'softirq_latency_summary'],
  schedLatency: ['cpu', 'sched_latency_summary'],
  offcpu: ['cpu', 'offcpu_summary'],
  lockWait: ['cpu', 'lock_wait_summary'],
  netstrata: ['cli', 'netstrata'],
} as const;

/** Paths, resolved when used (a scenario that runs one tool needs only that one built). */
export const tools = Object.defineProperties({} as Record<keyof typeof BINARIES, string>, Object.fromEntries(
  Object.entries(BINARIES).map(([k, [pkg, name]]) => [k, { get: () => bin(pkg, name), enumerable: true }]),
));
