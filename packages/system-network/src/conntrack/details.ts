/** conntrack_details records: one per packet netfilter dropped, with its connection's state, and
 * their renderers. Pure but for the names read from the kernel's BTF. */
import { dropEventHeadText, flowFromRaw, formatFlow, kernelBtf, type DropEventHead, type EventEnvelope, type Flow, type WallClock } from '@netstrata/bpf-common';
import { tcpFlags } from '../latency/details-render.ts';
import { CT_HAS_ENTRY, CT_HAS_MARK, CT_REPLY, CT_TEMPLATE, stateName, zoneOf, type CtEvent, type CtState } from './layout.ts';
import { emptyStates, statesText, type StateCounts } from './report.ts';

/** The drop's head (bpf-common DropEventHead), then the packet's flow and its conntrack state. */
export interface CtEventFields extends DropEventHead {
  flow: Flow | null;
  /** TCP only: its flags and sequence number. */
  tcp: { flags: string; seq: number } | null;
  state: CtState;
  /** Which way of its connection the packet went (null without an entry). */
  direction: 'original' | 'reply' | null;
  /** The kernel's enum ip_conntrack_info as the packet carried it. */
  ctinfo: number;
  /** The packet's entry (null without one): its zone, mark and status bits. A template (a zone
   * set by a rule before conntrack saw the packet) gives only the zone. */
  entry: { zone: number | null; mark: number | null; status: string[]; status_bits: number } | null;
  template_zone: number | null;
}

export type CtEventRecord = EventEnvelope & CtEventFields;

export interface CtFinal {
  by_state: StateCounts;
}

/** enum ip_conntrack_status's bit names from the kernel's BTF (IPS_ASSURED_BIT → ASSURED); bit N
 * where the kernel does not name it (nf_conntrack a module not loaded). */
export function statusNames(): (bits: number) => string[] {
  const names = new Map<number, string>();
  for (const [v, name] of kernelBtf().enumValues('ip_conntrack_status') ?? []) if (name.endsWith('_BIT')) names.set(v, name.replace(/^IPS_|_BIT$/g, ''));
  return (bits) => {
    const out: string[] = [];
    for (let b = 0; b < 32; b++) if (bits & (1 << b)) out.push(names.get(b) ?? `bit${b}`);
    return out;
  };
}

export interface Names {
  reason: (code: number) => string;
  location: (address: bigint) => { symbol: string; offset: number };
  status: (bits: number) => string[];
}

export function eventFields(e: CtEvent, clock: WallClock, names: Names): CtEventFields {
  const flow = flowFromRaw(e.flow) ?? null;
  const entry = e.flags & CT_HAS_ENTRY;
  const bits = Number(e.status & 0xffffffffn);
  return {
    time: clock.toIso(e.ts_ns),
    cpu: e.cpu,
    pid: e.pid,
    comm: e.comm,
    netns: e.netns,
    ifindex: e.ifindex,
    device: e.dev,
    reason: names.reason(e.reason),
    reason_code: e.reason,
    location: { ...names.location(e.location), address: `0x${e.location.toString(16)}` },
    len: e.len,
    flow,
    tcp: flow?.protocol === 'TCP' ? { flags: tcpFlags(e.ident.tcp_flags), seq: e.ident.tcp_seq } : null,
    state: stateName(e.state),
    direction: entry ? (e.flags & CT_REPLY ? 'reply' : 'original') : null,
    ctinfo: e.ctinfo,
    entry: entry ? { zone: zoneOf(e.zone, e.flags), mark: e.flags & CT_HAS_MARK ? e.mark : null, status: names.status(bits), status_bits: bits } : null,
    template_zone: e.flags & CT_TEMPLATE ? zoneOf(e.zone, e.flags) : null,
  };
}

/** Counts by state for the final record. */
export class StateTally {
  readonly counts = emptyStates();
  add(state: CtState): void {
    this.counts[state]++;
    this.counts.total++;
  }
}

export function renderEventText(e: CtEventRecord): string {
  const what = e.flow ? formatFlow(e.flow) : 'not IP';
  const tcp = e.tcp ? ` [${e.tcp.flags}] seq ${e.tcp.seq}` : '';
  const ct = e.entry
    ? `${e.state} ${e.direction}${e.entry.zone !== null ? ` zone ${e.entry.zone}` : ''}${e.entry.mark ? ` mark 0x${e.entry.mark.toString(16)}` : ''} status ${e.entry.status.join(',') || '-'}`
    : `${e.state}${e.template_zone !== null ? ` (template zone ${e.template_zone})` : ''}`;
  return `${dropEventHeadText(e)} len ${e.len}: ${what}${tcp} ct ${ct}`;
}

export function renderFinalText(f: { events: number } & CtFinal): string {
  return `${f.events} drop events${f.by_state.total ? ` (${statesText(f.by_state)})` : ''}`;
}

