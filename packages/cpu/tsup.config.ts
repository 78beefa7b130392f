import { defineConfig } from 'tsup';
import { toolBundle } from '../../bpf-common/config/tsup.shared.ts';

export default defineConfig(toolBundle({
  softirq_latency_summary: 'src/bin/softirq_latency_summary.ts',
  sched_latency_summary: 'src/bin/sched_latency_summary.ts',
  offcpu_summary: 'src/bin/offcpu_summary.ts',
  lock_wait_summary: 'src/bin/lock_wait_summary.ts',
}));
