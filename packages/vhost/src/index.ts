import { vhostSignalSummary } from './summary/tool.ts';
import { vhostQueueDetails } from './details/tool.ts';
import { kvmIrqfdSummary } from './kvm/tool.ts';

export { vhostSignalSummary, vhostQueueDetails, kvmIrqfdSummary };
export { vhostSignalHooks, vhostQueueHooks, vhostTypes } from './hooks.ts';
export { kvmIrqfdHooks, kvmLoaded } from './kvm/hooks.ts';
export type { VqRow, WorkerRow, VhostRecord } from './summary/report.ts';
export type { VhostEventRecord } from './details/render.ts';
export type { MsiRow, GsiRow, VcpuRow, KvmRecord } from './kvm/report.ts';

/** Every tool this package ships. */
export const tools = [vhostSignalSummary, vhostQueueDetails, kvmIrqfdSummary];
