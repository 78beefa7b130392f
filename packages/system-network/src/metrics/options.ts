/** Options of system_network_metrics_summary. */
import type { Argv } from 'yargs';
import type { z } from 'zod';
import { commonSchema, deviceFilterSchema, withCommonOptions, withDeviceFilterOptions } from '@netstrata/bpf-common';

export function metricsOptions<T>(y: Argv<T>) {
  return withDeviceFilterOptions(withCommonOptions(y, { interval: 5, top: 20 }));
}

export const metricsSchema = commonSchema.extend(deviceFilterSchema.shape);
export type MetricsOptions = z.infer<typeof metricsSchema>;
