/** ovs_megaflow_details records: one megaflow installed each. */
import { formatValue, timeOfDay, type EventEnvelope, type WallClock } from '@netstrata/bpf-common';
import type { FlowEvent, UpcallEvent } from '../layout.ts';
import { decodeActions, formatMatch, formatUfid } from './flow.ts';

export interface MegaflowFields {
  time: string;
  /** The flow's UFID as ovs-vswitchd prints it (ovs-appctl dpctl/dump-flows -m); null: known by its key. */
  ufid: string | null;
  /** The ovs-vswitchd thread that installed it (a handler, or a revalidator putting a flow back). */
  thread: { tid: number; pid: number; comm: string };
  /** Its key under its mask, in ovs-dpctl's notation (the fields the mask covers). */
  match: string;
  /** The bytes of the kernel's flow key the mask covers. */
  mask_range: { start: number; end: number };
  /** Its actions (`output:PORT` by the datapath's port numbers; `drop` for none); `...` ends a list longer than the tool copies. */
  actions: string[];
  /** The time from the upcall that caused it (the newest one its key matches), µs; null: none seen. */
  since_upcall_us: number | null;
}

export type MegaflowRecord = EventEnvelope & MegaflowFields;

export function megaflowFields(e: FlowEvent, upcall: UpcallEvent | undefined, clock: WallClock): MegaflowFields {
  return {
    time: clock.toIso(e.ts_ns),
    ufid: e.ufid_len ? formatUfid(e.ufid) : null,
    thread: { tid: e.tid, pid: e.pid, comm: e.comm },
    match: formatMatch(e.key, e.mask),
    mask_range: { start: e.mask_start, end: e.mask_end },
    actions: decodeActions(e.actions, e.actions_copied, e.actions_len),
    since_upcall_us: upcall ? Number(e.ts_ns - upcall.ts_ns) / 1000 : null,
  };
}

export function renderMegaflowText(r: MegaflowRecord): string {
  const t = timeOfDay(r.time, true);
  const after = r.since_upcall_us === null ? 'no upcall seen for it' : `${formatValue(Math.round(r.since_upcall_us * 1000), 'ns')} after its upcall`;
  return `${t} ${r.thread.comm}(${r.thread.tid}) installed ${r.ufid ? `ufid:${r.ufid} ` : ''}${r.match} actions:${r.actions.join(',')} (${after})`;
}

export function renderMegaflowFinal(f: { events: number }): string {
  return `${f.events} flow${f.events === 1 ? '' : 's'} installed`;
}
