/** Every flavour of every cpu program against this kernel's verifier, with and without filters. */
import { describe, expect, it } from 'vitest';
import { BpfObject } from '@netstrata/libbpf-ts';
import { verifyFlavour } from '@netstrata/bpf-common';
import softirq from '../build/bpf/softirq_latency_summary.bpf.o';
import sched from '../build/bpf/sched_latency_summary.bpf.o';
import offcpu from '../build/bpf/offcpu_summary.bpf.o';
import lock from '../build/bpf/lock_wait_summary.bpf.o';
import { lockHooks } from './lock/command.ts';
import { offcpuHooks, schedHooks, softirqHooks } from './hooks.ts';
import { encodeCpuMask, LOCK_KEY_SIZE, LOCK_VAL_SIZE, OFFCPU_KEY_SIZE, OFFCPU_VAL_SIZE, SCHED_KEY_SIZE, SCHED_VAL_SIZE } from './layout.ts';

const isRoot = process.getuid?.() === 0;
if (!isRoot && process.env.CI) throw new Error('verifier tests need root on CI');
if (!isRoot) console.warn('skipping cpu verifier tests: not root');

const objects = [
  { name: 'softirq_latency_summary', bytes: softirq, hooks: softirqHooks, filters: { targ_vectors: 8, targ_cpu_filter: true, targ_cpus: encodeCpuMask([0]) } },
  {
    name: 'sched_latency_summary',
    bytes: sched,
    hooks: schedHooks,
    filters: { targ_pid: 1, targ_tid: 1, targ_comm: new TextEncoder().encode('ksoftirqd\0\0\0\0\0\0\0'), targ_comm_len: 9, targ_cpu_filter: true, targ_cpus: encodeCpuMask([0]) },
  },
  {
    name: 'offcpu_summary',
    bytes: offcpu,
    hooks: offcpuHooks,
    filters: { targ_pid: 1, targ_tid: 1, targ_comm: new TextEncoder().encode('ovs\0\0\0\0\0\0\0\0\0\0\0\0\0'), targ_comm_len: 3, targ_threads: 1, targ_states: 6, targ_min_ns: 1000n, targ_max_ns: 1000000n },
  },
  // The uprobe programs load with every flavour (they are attached by the tool, not by a hook).
  { name: 'lock_wait_summary', bytes: lock, hooks: lockHooks, filters: { targ_pid: 1, targ_stack: true, targ_min_ns: 1000n } },
];

describe.runIf(isRoot)('cpu programs pass the verifier', () => {
  for (const o of objects) {
    for (const filtered of [false, true]) {
      for (const hook of o.hooks) {
        for (const flavour of hook.flavours) {
          it(`${o.name}${filtered ? ' (filters on)' : ''}: ${hook.name} ${flavour.name}`, () => {
            using obj = BpfObject.open(o.bytes, o.name);
            // Filters turn on code the verifier otherwise prunes as dead.
            if (filtered) for (const [k, v] of Object.entries(o.filters)) obj.setRodata(k, v);
            expect(verifyFlavour(obj, flavour)).toEqual({ loaded: true });
          });
        }
      }
    }
  }

  for (const stack of [false, true]) {
    it(`lock_wait_summary: every program, the uprobes included${stack ? ' (--stack)' : ''}`, () => {
      using obj = BpfObject.open(lock, 'lock_wait_summary');
      obj.setRodata('targ_pid', 1);
      obj.setRodata('targ_stack', stack);
      expect(() => obj.load()).not.toThrow();
      expect(obj.programs().filter((p) => p.autoload).map((p) => p.name)).toEqual(expect.arrayContaining(['mutex_lock_enter', 'mutex_lock_return', 'rwlock_rdlock_return']));
    });
  }

  it('decoders agree with the objects on record sizes', () => {
    using obj = BpfObject.open(sched, 'sched_latency_summary');
    expect(obj.map('waits').keySize).toBe(SCHED_KEY_SIZE);
    expect(obj.map('waits').valueSize).toBe(SCHED_VAL_SIZE);
    using off = BpfObject.open(offcpu, 'offcpu_summary');
    expect(off.map('offcpu').keySize).toBe(OFFCPU_KEY_SIZE);
    expect(off.map('offcpu').valueSize).toBe(OFFCPU_VAL_SIZE);
    using lw = BpfObject.open(lock, 'lock_wait_summary');
    expect(lw.map('waits').keySize).toBe(LOCK_KEY_SIZE);
    expect(lw.map('waits').valueSize).toBe(LOCK_VAL_SIZE);
    using s = BpfObject.open(softirq, 'softirq_latency_summary');
    expect(s.map('hists').valueSize).toBe(65 * 8);
  });
});
