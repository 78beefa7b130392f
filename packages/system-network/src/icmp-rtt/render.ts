/** icmp_rtt_details records: one ping each, every stage of its round trip through the host timed. Pure. */
import { timeOfDay, type EventEnvelope, type Flow } from '@netstrata/bpf-common';
import { STAGE_NAMES, type PingEvent, type StageName } from './layout.ts';

/** A stage a leg passed, and the time since the leg's previous stage (0 for its first). */
export interface StageTime {
  stage: StageName;
  delta_us: number;
}

export interface PingEventFields {
  /** Wall-clock time of the request's first stage. */
  time: string;
  /** forwarded: the request entered by rx_interface and left by tx_interface; local: this host sent it. */
  kind: 'forwarded' | 'local';
  /** The request's flow: src is the pinger, dst the target. */
  flow: Flow;
  icmp: { id: number; seq: number };
  rx_interface: string | null;
  tx_interface: string;
  netns: number;
  /** The request's IP length (bytes). */
  len: number;
  /** The request's stages in this host, in path order. */
  request: StageTime[];
  /** The request's last stage (left tx_interface) to the reply's first (arrived on it). */
  outside_us: number;
  /** The reply's stages in this host, in path order. */
  reply: StageTime[];
  /** Sums of each leg's deltas: time in this host on the way out, and on the way back. */
  request_us: number;
  reply_us: number;
  /** request_us + outside_us + reply_us: the request's first stage to the reply's last. */
  rtt_us: number;
  /** Local pings: the task that sent the request. */
  pinger: { pid: number; comm: string } | null;
  /** The CPU the reply's last stage ran on. */
  cpu: number;
}

export type PingEventRecord = EventEnvelope & PingEventFields;

/** What the final record adds beyond `events` and the losses. */
export interface PingFinal {
  /** Pings whose reply came back through every stage within --timeout-ms (events, and those under the threshold). */
  answered: number;
  /** Pings with no reply within --timeout-ms (of which `late` had one after it). */
  unanswered: number;
  late: number;
  /** Pings whose reply arrived in time on tx_interface but was not seen through its last stage (dropped in this host). */
  incomplete: number;
  /** Pings let go for a newer request with the same identity. */
  replaced: number;
  /** Pings still waiting for their reply when the tool stopped (younger than --timeout-ms). */
  pending: number;
  threshold_us: number;
  timeout_ms: number;
}

export interface Interfaces {
  rx: string | null;
  tx: string;
  netns: number;
}

const us = (ns: bigint) => Number(ns) / 1000;

/** The stages a leg passed, each with the time since the one before. */
export function legStages(ts: readonly bigint[]): { stages: StageTime[]; first: bigint; last: bigint } {
  const stages: StageTime[] = [];
  let first = 0n;
  let last = 0n;
  ts.forEach((t, i) => {
    if (!t) return;
    stages.push({ stage: STAGE_NAMES[i]!, delta_us: last ? us(t - last) : 0 });
    if (!first) first = t;
    last = t;
  });
  return { stages, first, last };
}

/** One ping's record; undefined for a record with no stage on either leg (never submitted so). */
export function eventFields(e: PingEvent, toIso: (ktimeNs: bigint) => string, ifs: Interfaces): PingEventFields | undefined {
  const req = legStages(e.session.request);
  const rep = legStages(e.session.reply);
  if (!req.first || !rep.first) return undefined;
  const v6 = e.ping.family === 6;
  return {
    time: toIso(req.first),
    kind: ifs.rx === null ? 'local' : 'forwarded',
    flow: { src: e.ping.requester, dst: e.ping.target, sport: 0, dport: 0, protocol: v6 ? 'ICMPv6' : 'ICMP', icmp_id: e.ping.id, icmp_type: v6 ? 128 : 8, icmp_code: 0 },
    icmp: { id: e.ping.id, seq: e.ping.seq },
    rx_interface: ifs.rx,
    tx_interface: ifs.tx,
    netns: ifs.netns,
    len: e.session.len,
    request: req.stages,
    outside_us: us(rep.first - req.last),
    reply: rep.stages,
    request_us: us(req.last - req.first),
    reply_us: us(rep.last - rep.first),
    rtt_us: us(rep.last - req.first),
    pinger: ifs.rx === null ? { pid: e.session.pid, comm: e.session.comm } : null,
    cpu: e.cpu,
  };
}

const fmt = (v: number) => (v >= 1000 ? `${(v / 1000).toFixed(3)} ms` : `${v.toFixed(1)} us`);

const leg = (stages: readonly StageTime[]) => stages.map((s, i) => (i ? `${s.stage} +${fmt(s.delta_us)}` : s.stage)).join(' -> ');

export function renderEventText(r: PingEventRecord): string {
  const where = r.kind === 'forwarded' ? `forwarded ${r.rx_interface} -> ${r.tx_interface}` : `sent by ${r.pinger?.comm || '?'}(${r.pinger?.pid ?? 0}) via ${r.tx_interface}`;
  return [
    `${timeOfDay(r.time, true)} ${r.flow.protocol} ${r.flow.src} > ${r.flow.dst} id ${r.icmp.id} seq ${r.icmp.seq} len ${r.len} (${where}): rtt ${fmt(r.rtt_us)} = out ${fmt(r.request_us)} + outside ${fmt(r.outside_us)} + back ${fmt(r.reply_us)}`,
    `    request: ${leg(r.request)}`,
    `    reply:   ${leg(r.reply)}`,
  ].join('\n');
}

export function renderFinalText(f: { events: number } & PingFinal): string {
  const over = f.threshold_us ? ` at or over ${f.threshold_us} us` : '';
  return (
    `${f.events} ping${f.events === 1 ? '' : 's'}${over}; ${f.answered} answered, ${f.unanswered} unanswered after ${f.timeout_ms} ms` +
    `${f.late ? ` (${f.late} replied late)` : ''}, ${f.incomplete} incomplete, ${f.replaced} replaced, ${f.pending} pending`
  );
}
