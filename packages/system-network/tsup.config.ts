import { defineConfig } from 'tsup';
import { toolBundle } from '../../bpf-common/config/tsup.shared.ts';

export default defineConfig(toolBundle({ system_network_metrics_summary: 'src/bin/system_network_metrics_summary.ts',
  system_network_latency_summary: 'src/bin/system_network_latency_summary.ts',
  system_network_latency_details: 'src/bin/system_network_latency_details.ts' }));
