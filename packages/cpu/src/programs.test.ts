/** Every flavour of every cpu program against this kernel's verifier, with and without filters
 * (filters turn on code the verifier otherwise prunes as dead). */
import { describe, expect, it } from 'vitest';
import type { Hook } from '@netstrata/bpf-common';
import { describeVerifier } from '@netstrata/bpf-common/testing';
import { lockWaitSummary, tools } from './index.ts';
import { encodeCpuMask } from './layout.ts';

const comm = (name: string) => {
  const b = new Uint8Array(16);
  b.set(new TextEncoder().encode(name));
  return b;
};

// lock_wait_summary attaches its uprobes itself, not through a hook: they are verified as one more.
const uprobes: Hook = { name: 'pthread lock uprobes', flavours: [{ name: 'uprobe', programs: [...(lockWaitSummary.spec.ownPrograms ?? [])], needs: 'tracepoint' }] };
const lockWithUprobes = { ...lockWaitSummary, hooks: [...lockWaitSummary.hooks, uprobes] };

describe('lock_wait_summary', () => {
  it('attaches every uprobe program itself', () => {
    expect(lockWaitSummary.spec.ownPrograms).toEqual(expect.arrayContaining(['mutex_lock_enter', 'mutex_lock_return', 'rwlock_rdlock_return']));
  });
});

describeVerifier('cpu', [...tools.filter((t) => t !== lockWaitSummary), lockWithUprobes], {
  variants: {
    softirq_latency_summary: [{ targ_vectors: 8, targ_cpu_filter: true, targ_cpus: encodeCpuMask([0]) }],
    sched_latency_summary: [{ targ_pid: 1, targ_tid: 1, targ_comm: comm('ksoftirqd'), targ_comm_len: 9, targ_cpu_filter: true, targ_cpus: encodeCpuMask([0]) }],
    offcpu_summary: [{ targ_pid: 1, targ_tid: 1, targ_comm: comm('ovs'), targ_comm_len: 3, targ_threads: 1, targ_states: 6, targ_min_ns: 1000n, targ_max_ns: 1000000n }],
    lock_wait_summary: [{ targ_pid: 1, targ_stack: true, targ_min_ns: 1000n }],
  },
  attachedByTool: [uprobes.name],
});
