/** ovs_upcall_latency_summary: how long do packets the OVS datapath has no flow for wait for ovs-vswitchd? */
import { KernelRows, defineSummary, num, type Delta } from '@netstrata/bpf-common';
import { z } from 'zod';
import object from '../../build/bpf/ovs_upcall_latency_summary.bpf.o';
import { ovsUpcallHooks, upcallReturnHook } from '../hooks.ts';
import { BY, decodePending, decodeRow, ovsRow, ovsRowKey, ovsPending, type By, type RowEntry } from '../layout.ts';
import { renderUpcallText, rowId, rowOps, upcallFields } from './report.ts';

/** Upcalls waiting longer than the timeout are let go and counted as unanswered, by row. */
class Unanswered {
  private readonly total = new Map<string, number>();
  private lastRead = new Map<string, number>();

  add(id: string, n: number): void {
    this.total.set(id, (this.total.get(id) ?? 0) + n);
  }

  /** Since the previous call (an interval), and since start. */
  take(): { interval: Map<string, number>; total: Map<string, number> } {
    const interval = new Map<string, number>();
    for (const [id, n] of this.total) {
      const d = n - (this.lastRead.get(id) ?? 0);
      if (d) interval.set(id, d);
    }
    this.lastRead = new Map(this.total);
    return { interval, total: new Map(this.total) };
  }
}

export const ovsUpcallLatencySummary = defineSummary({
  name: 'ovs_upcall_latency_summary',
  domain: 'ovs',
  describe:
    'How long do packets the OVS datapath has no flow for wait for ovs-vswitchd? Per input port, flow or handler thread: the upcalls, how long each waited for its answer (upcall to the first action of its execute), the ones that failed, and the ones never answered.',
  examples: [
    ['$0', 'upcalls per datapath port, every 5 seconds'],
    ['$0 --by handler --interval 1', "each ovs-vswitchd handler thread's answers and their latency, every second"],
    ['$0 --by flow --protocol icmp', 'per ICMP flow: is a "lost ping" an upcall that waited?'],
    ['$0 --netns ns1 --interface vnet3 --output json --duration 30', "one 30-second record of one VM port's upcalls, as NDJSON"],
  ],
  epilog:
    "A packet the kernel datapath has no flow for is a miss: the datapath sends it up to ovs-vswitchd (an upcall, openvswitch:ovs_dp_upcall), a handler thread works out its actions, installs a flow and sends the packet back down to be executed (openvswitch:ovs_do_execute_action, in that thread). The tool matches the two by the frame's contents and times the wait: a tail here is a handler that is slow or stuck (revalidator lock contention, CPU starvation), and to the application it looks like loss or a latency spike on a flow's first packets. " +
    'Failed upcalls (the queue to ovs-vswitchd full, no handler) need a hook on the function ovs_dp_upcall (fexit, else kretprobe); without one they count among the unanswered. Unanswered: no execute after --timeout-ms (ovs-vswitchd dropped the packet, or never got to it). ' +
    "Cost: one BPF run per upcall, and one per action of every packet the datapath executes (a packet that hit a datapath flow leaves at the first check). Needs the openvswitch module's tracepoints (its BTF). Output fields: docs/output-fields.md",
  hooks: ovsUpcallHooks,
  uses: { filter: 'packet', interval: 5, top: 20 },
  options: (y) =>
    y
      .option('by', { choices: ['port', 'flow', 'handler'] as const, default: 'port' as const, describe: 'one row per input port (datapath port), per flow, or per ovs-vswitchd handler thread' })
      .option('timeout-ms', { type: 'number', default: 1000, describe: 'an upcall with no answer after this long counts as unanswered' }),
  schema: { by: z.enum(['port', 'flow', 'handler']), timeoutMs: num('timeout-ms', { min: 1, max: 600_000 }) },
  object,
  maps: { rows: { key: ovsRowKey, value: ovsRow }, pending: { key: 8, value: ovsPending } },
  rodata: (o) => ({ targ_by: BY[o.by as By] }),
  start: ({ o, obj, signal, choices }) => {
    const by = o.by as By;
    const rows = new KernelRows<RowEntry>(obj.map('rows'), obj, { decode: decodeRow, ...rowOps });
    rows.sweepEvery(signal);
    const pending = obj.map('pending');
    const unanswered = new Unanswered();
    const hooked = choices.some((c) => c.hook === upcallReturnHook.name && c.chosen !== undefined);
    /** Lets go upcalls older than the timeout (counted unanswered); returns those still waiting. */
    const sweep = (): number => {
      const now = process.hrtime.bigint();
      const limit = BigInt(o.timeoutMs) * 1_000_000n;
      let waiting = 0;
      for (const [k, v] of pending.entries()) {
        const p = decodePending(v);
        if (p.waiting && now - p.oldestNs > limit) {
          if (pending.delete(k)) unanswered.add(by === 'handler' ? '' : rowId(p.key), p.waiting);
        } else {
          waiting += p.waiting;
        }
      }
      return waiting;
    };
    return {
      read: () => {
        const waiting = sweep();
        return { rows: rows.read(), unanswered: unanswered.take(), waiting };
      },
      losses: () => ({}),
      record: (d: { rows: Delta<RowEntry>; unanswered: { interval: Map<string, number>; total: Map<string, number> }; waiting: number }, tick) => {
        const final = tick.type === 'final';
        return upcallFields(by, final ? d.rows.total : d.rows.interval, final ? d.unanswered.total : d.unanswered.interval, { top: o.top, hooked, seconds: tick.intervalS, waiting: d.waiting });
      },
      render: (rec) => renderUpcallText(rec),
    };
  },
});
