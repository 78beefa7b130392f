/** offcpu_summary: where do threads spend their time off CPU, and why? */
import type { BpfObject } from '@netstrata/libbpf-ts';
import { KallsymsSymbolizer, Sink, UserSymbolizer, everyInterval, readLosses, programMisses, runLifecycle, stopSignal, type ToolCommand } from '@netstrata/bpf-common';
import object from '../../build/bpf/offcpu_summary.bpf.o';
import { offcpuHooks } from '../hooks.ts';
import { decodeOffcpuKey, decodeOffcpuVal, decodeStack } from '../layout.ts';
import { offcpuOptions, offcpuSchema, threadRodata, type OffcpuOptions } from '../options.ts';
import { foldedLine, offcpuDeltas, renderOffcpuText, type OffcpuEntry, type OffcpuRecord, type OffcpuRow } from './report.ts';

export const OFFCPU_DESCRIBE =
  'Where do threads spend their time off CPU, and why? Blocked time by thread, state and kernel and user stack, summed in the kernel.';

export const offcpuCommand: ToolCommand<typeof offcpuSchema> = {
  name: 'offcpu_summary',
  describe: OFFCPU_DESCRIBE,
  examples: [
    ['$0 --pid 1234 --min-block-us 1000', 'what process 1234 waits on for a millisecond or more at a time'],
    ['$0 --comm ovs-vswitchd --state D', 'uninterruptible waits of OVS threads (I/O, locks in the kernel)'],
    ['$0 --pid 1234 --duration 30 --folded > offcpu.folded', 'folded stacks for a flame graph (flamegraph.pl --countname=us)'],
  ],
  epilog:
    'Measured at sched:sched_switch: the time from a thread leaving the CPU to its return, added to the stacks it left with. ' +
    'Kernel stacks from /proc/kallsyms, user stacks from the ELF symbol tables of the files the process maps (module+offset where there is no symbol). ' +
    'Stacks the kernel could not keep are counted as stack_failed. Output fields: docs/output-fields.md',
  options: offcpuOptions,
  schema: offcpuSchema,
  handler: runOffcpu,
};

function readEntries(obj: BpfObject): OffcpuEntry[] {
  return [...obj.map('offcpu').entries()].map(([k, v]) => ({ key: decodeOffcpuKey(k), ...decodeOffcpuVal(v) }));
}

export async function runOffcpu(o: OffcpuOptions): Promise<void> {
  const name = 'offcpu_summary';
  const signal = stopSignal();
  const sink = new Sink(o.output);
  const kernel = KallsymsSymbolizer.fromProc();
  const user = new UserSymbolizer();
  await runLifecycle(
    {
      name,
      object,
      hooks: offcpuHooks,
      rodata: {
        ...threadRodata(o),
        targ_threads: o.userThreadsOnly ? 1 : o.kernelThreadsOnly ? 2 : 0,
        targ_states: (o.state ?? []).reduce((m, s) => m | (1 << s), 0),
        targ_min_ns: BigInt(Math.round(o.minBlockUs * 1000)),
        targ_max_ns: BigInt(Math.round((o.maxBlockUs ?? 0) * 1000)),
      },
      run: async ({ obj, signal }) => {
        if (!kernel.available) sink.info(name, `kernel stacks shown as addresses: ${kernel.reason}`);
        const stacks = obj.map('stacks');
        const stackOf = (id: number): bigint[] => {
          if (id < 0) return [];
          const v = stacks.lookup(new Uint8Array(new Uint32Array([id]).buffer));
          return v ? decodeStack(v) : [];
        };
        const toRow = (e: OffcpuEntry): OffcpuRow => {
          const k = e.key;
          const row: OffcpuRow = {
            pid: k.pid,
            tid: k.tid,
            comm: k.comm,
            state: k.state,
            total_us: e.totalNs / 1000,
            count: e.count,
            kernel_stack: kernel.available ? kernel.kernelStack(stackOf(k.kstack)) : stackOf(k.kstack).map((a) => `0x${a.toString(16)}`),
            user_stack: user.stack(k.pid, stackOf(k.ustack)),
          };
          if (k.kstack < 0) row.kernel_stack_error = k.kstack;
          if (k.ustack < 0 && k.ustack !== -1) row.user_stack_error = k.ustack;
          return row;
        };
        // A process that exits before the next report takes its mappings with it: note each new
        // process's mappings within a quarter second of its first row (keys only are read).
        if (o.pid) user.remember(o.pid);
        const offcpuMap = obj.map('offcpu');
        const watcher = setInterval(() => {
          for (const k of offcpuMap.keys()) user.remember(new DataView(k.buffer, k.byteOffset, 4).getUint32(0, true));
        }, 250);
        watcher.unref();
        signal.addEventListener('abort', () => clearInterval(watcher), { once: true });
        const started = Date.now();
        let last = started;
        let previous: OffcpuEntry[] | undefined;
        const report = (type: 'interval' | 'final') => {
          const now = Date.now();
          const entries = readEntries(obj);
          // Mappings are read while the processes still run: a process gone by the final report
          // keeps the names it had.
          for (const e of entries) user.remember(e.key.pid);
          const deltas = offcpuDeltas(entries, type === 'final' ? undefined : previous);
          previous = entries;
          const losses = readLosses(obj.map('lost'));
          if (o.folded) {
            // Folded stacks are one profile: printed once, at the end, for the whole run.
            if (type === 'final') for (const e of deltas) process.stdout.write(`${foldedLine(toRow(e))}\n`);
            return;
          }
          const rec: OffcpuRecord = {
            type,
            tool: name,
            time: new Date(now).toISOString(),
            interval_s: Math.round((now - (type === 'final' ? started : last)) / 100) / 10,
            total_us: deltas.reduce((s, e) => s + e.totalNs, 0) / 1000,
            rows: deltas.slice(0, o.top).map(toRow),
            more_rows: Math.max(0, deltas.length - o.top),
            map_full: losses.map_full,
            stack_failed: losses.stack_failed,
            missed: programMisses(obj),
          };
          last = now;
          sink.record(rec, () => renderOffcpuText(rec));
        };
        await everyInterval({ intervalMs: o.interval * 1000, durationMs: o.duration * 1000, signal }, () => report('interval'));
        clearInterval(watcher);
        report('final');
      },
    },
    { signal, verbose: o.verbose, readyFile: o.readyFile, log: (m) => sink.info(name, m) },
  );
}
