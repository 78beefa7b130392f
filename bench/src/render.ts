/** docs/benchmarks.md from the measured data: pure functions, one table per phase. */
import { bpfCost, pipelineRates, predictedCostPct, targets, throughputRows } from './analysis.ts';
import { BPFTRACE_DEV_QUEUE, BPFTRACE_DROPS } from './configs.ts';
import { WORKLOADS, WORKLOAD_TEXT, type BenchReport, type Workload } from './model.ts';
import { spread, type Spread } from './stats.ts';

const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '—');
const f3 = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : '—');
const pct = (x: number) => (Number.isFinite(x) ? `${x.toFixed(2)} %` : '—');
const mb = (kb: number) => (Number.isFinite(kb) ? ((kb * 1024) / 1e6).toFixed(1) : '—');
const mib = (bytes: number) => (bytes / 1048576).toFixed(2);

export function si(x: number): string {
  if (!Number.isFinite(x)) return '—';
  const a = Math.abs(x);
  if (a >= 1e9) return `${(x / 1e9).toFixed(2)} G`;
  if (a >= 1e6) return `${(x / 1e6).toFixed(2)} M`;
  if (a >= 1e3) return `${(x / 1e3).toFixed(1)} k`;
  return x.toFixed(0);
}

export function spreadText(s: Spread, fmt: (x: number) => string): string {
  if (!s.n) return '—';
  return s.n === 1 ? fmt(s.median) : `${fmt(s.median)} (${fmt(s.min)}..${fmt(s.max)})`;
}

function table(head: string[], rows: string[][]): string[] {
  const esc = (c: string) => c.replace(/\|/g, '\\|');
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`)];
}

function header(r: BenchReport): string[] {
  const m = r.machine;
  return [
    '# Benchmarks',
    '',
    'What the tools cost, measured side by side in one run by `npm run bench` (bench/) and',
    'written here by it: throughput on a veth flood as ratios to runs without a tool, start-up, the details',
    'pipeline, memory. Ratios, not absolute rates, are what compare across machines: every tool run is',
    'divided by the no-tool runs made just before and after it. The soak section at the end is written by',
    '`npm run soak`. Targets are for the report, not assertions.',
    '',
    '## Machine and run',
    '',
    ...table(
      ['', ''],
      [
        ['kernel', m.kernel],
        ['CPU', `${m.cpu}, ${m.nproc} CPUs`],
        ['memory', `${m.memMiB} MiB`],
        ['Node', m.node],
        ['libbpf', m.libbpf],
        ['bpftrace', m.bpftrace],
        ['clang', m.clang],
        ['commit', m.commit],
        ['date', m.date],
        ['command', `\`${r.knobsLine}\` (${r.rounds} rounds, ${r.trialSeconds} s per trial, ${r.payload}-byte UDP payload); took ${(r.durationS / 60).toFixed(1)} min`],
        ['other namespaces', m.otherNamespaces.length ? `${m.otherNamespaces.length} (${m.otherNamespaces.slice(0, 4).join(', ')}${m.otherNamespaces.length > 4 ? ', …' : ''}): their traffic was running too, noise that unfiltered tools also see` : 'none'],
      ],
    ),
    '',
    'Exact commands:',
    '',
    '```text',
    ...r.commands,
    '```',
    '',
  ];
}

function targetSection(r: BenchReport): string[] {
  const rows = targets(r);
  if (!rows.length) return [];
  const missed = rows.filter((t) => t.met === false).length;
  return [
    '## Targets',
    '',
    `${rows.length - missed} of ${rows.length} met. Each missed one says by how much and, from the measurements below, why.`,
    '',
    ...table(
      ['target', 'subject', 'measured', 'met', 'by how much', 'why'],
      rows.map((t) => [t.target, t.subject, t.measured, t.met === undefined ? '?' : t.met ? 'met' : '**missed**', t.by, t.why || '—']),
    ),
    '',
  ];
}

function throughputSection(r: BenchReport): string[] {
  const tp = r.throughput;
  if (!tp) return [];
  const { baseline, rows } = throughputRows(tp.trials);
  const label = (id: string) => r.configs.find((c) => c.id === id)?.label ?? id;
  const out = [
    '## Throughput cost',
    '',
    `Sessions alternate: no tool, tool 1, no tool, tool 2, …, no tool, for ${r.rounds} rounds. In each session every workload`,
    `runs for ${r.trialSeconds} s; a tool starts before its session, settles, and is stopped with SIGINT after it (exit 0 and a`,
    '`final` record checked). Each tool run is divided by the mean of the no-tool runs next to it: the ratio is median',
    '(min..max) over the rounds, and the cost is 1 − median ratio. The sender is pinned to CPU 0, the sink to CPU 1;',
    'over veth the sender’s CPU also runs the receive path (softirq), so per-packet kernel work shows up on it.',
    '',
    'Summary tools run unfiltered (the whole host). Details tools run once with `--port 1` (a port no traffic uses:',
    'filters reject every packet) and once with `--ip 10.203.0.2` (every flood packet matches).',
    'system_network_latency_details keeps its default `--latency-threshold-us 1000`: it follows every matching packet',
    'through every stage — the per-packet cost a user pays — while queueing on an idle veth stays far below 1 ms, so',
    'few events are printed; the cost of printing events is what the details pipeline section measures.',
    'packet_drop_details sees events only for dropped packets: with `--ip 10.203.0.2` every packet of the dropped flood',
    'is an event.',
    '',
    'bpftrace equivalents (Debian’s bpftrace, `-B line`):',
    '',
    '```text',
    `drops:         ${BPFTRACE_DROPS}`,
    `dev_queue→xmit: ${BPFTRACE_DEV_QUEUE}`,
    '```',
    '',
    'The second is the send path’s device stage, net:net_dev_queue → net:net_dev_xmit, keyed by skb address: the span',
    'system_network_latency_summary reports as its tx step dev_queue → xmit (with --stages: dev_queue → start_xmit → xmit; a veth has no qdisc),',
    'while it also times both directions end to end: send → device queue → xmit and device → socket queue → read.',
    '',
  ];
  for (const w of WORKLOADS) {
    const mine = rows.filter((x) => x.workload === w);
    if (!mine.length) continue;
    out.push(`### ${WORKLOAD_TEXT[w].name}`, '', `No tool: ${spreadText(baseline[w], si)} ${WORKLOAD_TEXT[w].unit}.`, '');
    out.push(
      ...table(
        ['configuration', 'ratio to no tool', 'cost', WORKLOAD_TEXT[w].unit, 'tool CPU (% of one)'],
        mine.map((x) => [label(x.config), spreadText(x.ratio, f3), pct(x.cost), spreadText(x.rate, si), spreadText(x.toolCpuPct, (v) => v.toFixed(1))]),
      ),
      '',
    );
  }
  const bad = tp.sessions.filter((s) => !s.check.ok);
  const details = tp.sessions.filter((s) => s.check.ok && s.check.note);
  out.push(
    bad.length
      ? `Sessions that did not end cleanly: ${bad.map((s) => `${label(s.config)} round ${s.round}: ${s.check.note}`).join('; ')}.`
      : `Every tool session ended with exit 0 and its final record (${tp.sessions.length} sessions).`,
    '',
  );
  if (details.length) {
    const byConfig = new Map<string, string[]>();
    for (const s of details) byConfig.set(s.config, [...(byConfig.get(s.config) ?? []), s.check.note]);
    out.push('Final records of the details tools, per round: ' + [...byConfig].map(([id, notes]) => `${label(id)}: ${notes.join('; ')}`).join('. ') + '.', '');
  }
  return out;
}

function bpfStatsSection(r: BenchReport): string[] {
  if (!r.bpfStats?.length) return [];
  const label = (id: string) => r.configs.find((c) => c.id === id)?.label ?? id;
  const base = r.throughput ? throughputRows(r.throughput.trials).baseline : undefined;
  return [
    '## Where the cost goes: BPF run time per packet',
    '',
    'A separate session per configuration with `kernel.bpf_stats_enabled=1` (restored afterwards; the counting adds',
    'cost, so these sessions are not among the throughput trials): run_cnt and run_time_ns of every program the',
    'process holds (fdinfo prog_id, through its links too), over one UDP trial and one dropped-flood trial, per packet',
    'the workload moved. “Predicted cost” is what that run time alone takes out of the no-tool time per packet',
    '(1 / no-tool rate, on the sender’s CPU, which runs the whole path).',
    '',
    ...table(
      ['configuration', 'workload', 'programs', 'runs / packet', 'ns / run', 'BPF ns / packet', 'predicted cost', 'most expensive programs (runs/packet, ns/packet)'],
      r.bpfStats.map((s) => {
        const c = bpfCost(s);
        const b = base?.[s.workload as Workload]?.median ?? NaN;
        return [
          label(s.config),
          s.workload,
          String(c.programs),
          f2(c.runsPerUnit),
          c.nsPerRun.toFixed(0),
          c.nsPerUnit.toFixed(0),
          pct(predictedCostPct(c.nsPerUnit, b)),
          c.top.map((t) => `${t.name} (${t.runsPerUnit.toFixed(2)}, ${t.nsPerUnit.toFixed(0)})`).join(', ') || '—',
        ];
      }),
    ),
    '',
  ];
}

function startupSection(r: BenchReport): string[] {
  const s = r.startup;
  if (!s) return [];
  const node = spread(s.nodeMs);
  const ms = (x: number) => x.toFixed(0);
  return [
    '## Start-up',
    '',
    `Launch → ready file (\`--ready-file\`, written once every program is attached), ${s.rows[0]?.readyMs.length ?? 0} launches per tool, ms; for`,
    'bpftrace, launch → the line its BEGIN probe prints (BEGIN runs once every probe is attached). The same number of',
    `\`node -e 0\` (${spreadText(node, ms)} ms) and \`node TOOL --duration -1\` launches (refused before any BPF work) split it:`,
    'Node’s start, loading the bundle and parsing the options, and the rest — reading the kernel’s BTF, probing, opening,',
    'loading and attaching the programs.',
    '',
    ...table(
      ['tool', 'launch → ready', 'node TOOL --duration -1', 'BPF set-up (ready − that)', 'failures'],
      s.rows.map((row) => {
        const ready = spread(row.readyMs);
        const help = row.loadMs ? spread(row.loadMs) : undefined;
        return [row.label, spreadText(ready, ms), help ? spreadText(help, ms) : '—', help ? ms(ready.median - help.median) : '—', row.failures.join('; ') || 'none'];
      }),
    ),
    '',
  ];
}

function pipelineSection(r: BenchReport): string[] {
  const p = r.pipeline;
  if (!p) return [];
  const runs = pipelineRates(p);
  return [
    '## Details pipeline',
    '',
    `packet_drop_details --output json’s user side as the runner drives it — RingReader on the mmapped ring (default`,
    'budget and 5 ms poll), the tool’s run from its descriptor (its JSON made straight from the ring record: headers',
    'decoded, location symbolized, reason named, wall-clock time), the runner’s event lines, and the sink writing',
    'NDJSON in large chunks with write(2), as to stdout (here to /dev/null) — fed by a BPF program that reserves and',
    `submits one ${p.eventBytes}-byte drop event per run (each with its own IP id) into a ring of the tool’s default size`,
    `(${p.ringBytes >> 20} MiB, counting reserve failures as the tool does). agents/ringprod.c runs it through BPF_PROG_TEST_RUN with`,
    '`repeat` every millisecond to keep the target rate, on CPU 0; the reader runs on CPU 1 (all its threads); both at',
    'nice -19 (which does not hold off work in other control groups: the CPU column shows the share the reader got).',
    'Every run checks produced = delivered + lost exactly (the program counts its runs; the reader counts deliveries).',
    'CPU is the reading process’s CPU time (every thread) over the run, in % of one core, and per delivered event.',
    '',
    'Two paths: **tool** is everything packet_drop_details --output json does per event; **decode** is the ring reader',
    'and the struct decoder only (every member of drop_event read). **bursts**: the producer fills part of the ring',
    `while the reader waits, then the reader drains it (${40} times): how fast one core takes events that are waiting,`,
    'which the producer, one CPU of BPF_PROG_TEST_RUN, cannot show by outrunning it.',
    '',
    ...table(
      ['path', 'target rate', 'produced / s', 'delivered / s', 'produced', 'delivered', 'lost', 'loss', 'produced = delivered + lost', 'CPU % of a core', 'CPU ns / event', 'producer ticks late'],
      runs.map((x) => [
        x.path,
        x.target < 0 ? 'bursts' : x.target ? `${si(x.target)}/s` : 'unpaced',
        x.target < 0 ? '—' : si(x.producedRate),
        si(x.decodedRate),
        String(x.produced),
        String(x.delivered),
        String(x.lost),
        pct(x.lossPct),
        x.produced === x.delivered + x.lost ? 'holds' : '**does not hold**',
        (x.cpuPct ?? 0).toFixed(0),
        (x.cpuNsPerEvent ?? 0).toFixed(0),
        String(x.lateTicks),
      ]),
    ),
    '',
    'CPU time of one event through each user-side step in a tight loop (no ring, no kernel):',
    '',
    ...table(['step', 'ns / event'], p.stepsNs.map((s) => [s.step, s.ns.toFixed(0)])),
    '',
  ];
}

function memorySection(r: BenchReport): string[] {
  const m = r.memory;
  if (!m) return [];
  return [
    '## Memory',
    '',
    `Every tool at once (details tools with filters that match the flood) and both bpftrace scripts, under the UDP and the`,
    `dropped flood together for ${m.seconds} s; then VmRSS, VmHWM and RssAnon from /proc/PID/status (MB = 10^6 bytes) and the`,
    'bytes_memlock of every BPF map the process holds (bpftool map show). A BPF ring buffer’s data pages are mapped',
    'twice in a row into the reader, so once touched they count twice in RSS. A bare `node` that only waits is',
    `${mb(m.nodeBaselineKb)} MB.`,
    '',
    ...table(
      ['tool', 'RSS MB', 'peak MB', 'anon MB', 'BPF maps', 'map memory MiB', 'of which ring MiB', 'stopped cleanly'],
      m.rows.map((x) => [x.label, mb(x.rssKb), mb(x.hwmKb), mb(x.anonKb), String(x.maps), mib(x.mapBytes), x.ringBytes ? mib(x.ringBytes) : '—', x.check ? (x.check.ok ? `yes${x.check.note ? ` (${x.check.note})` : ''}` : `no: ${x.check.note}`) : '—']),
    ),
    '',
  ];
}

function accountingSection(r: BenchReport): string[] {
  const a = r.accounting;
  if (!a) return [];
  const p = a.tool.packets;
  return [
    '## Truthful accounting on a shaped TCP stream',
    '',
    `TCP for ${a.seconds} s through a tbf at ${a.rateMbit} Mbit/s on \`${a.device}\`. The router forwards GRO aggregates of up to`,
    '64 KiB and the tbf splits those larger than its bucket into segments, each a new skb. The latency summary',
    `(\`${a.toolCommand}\`) and bpftrace’s one-liner below watched the same stream at once; the qdisc’s own counters`,
    'are the truth. Every packet the tool started and did not finish must carry its reason.',
    '',
    '```text',
    a.bpftraceScript,
    '```',
    '',
    ...table(
      ['', 'figure'],
      [
        ['qdisc: packets sent', String(a.qdisc.sent)],
        ['qdisc: dropped', String(a.qdisc.dropped)],
        ['qdisc: requeues', String(a.qdisc.requeues)],
        ...Object.entries(p).map(([key, v]) => [`latency summary: ${key.replace(/_/g, ' ')}`, String(v)]),
        ['latency summary: end-to-end samples', String(a.tool.endToEnd)],
        ['latency summary: end-to-end p99, slowest bucket', a.tool.tail || '—'],
        ...(p.segments !== undefined && p.completed !== undefined
          ? [['qdisc packets the summary did not follow (sent − completed − segments)', String(a.qdisc.sent - p.completed - p.segments)]]
          : []),
        ['bpftrace: packets timed, of those the qdisc sent', `${a.bpftrace.samples} (${a.qdisc.sent ? ((100 * a.bpftrace.samples) / a.qdisc.sent).toFixed(1) : '0'} %)`],
        [`bpftrace: samples ≥ ${(a.bpftrace.staleUs / 1000).toFixed(1)} ms`, `${a.bpftrace.stale} (${a.bpftrace.samples ? ((100 * a.bpftrace.stale) / a.bpftrace.samples).toFixed(1) : '0'} %)`],
      ],
    ),
    '',
    'bpftrace matches by skb address only. The aggregate the tbf split is freed without reaching net_dev_xmit, so',
    'its start stays in the map until a later packet (a segment, say) reuses the address: that pair is a sample of two',
    'different packets, as long as the time between them, and the segments themselves are never timed from their',
    'queueing. The summary follows each packet by its identity and its segments by theirs, and says what became of',
    'every packet it started.',
    '',
  ];
}

export function renderReport(r: BenchReport): string {
  return [...header(r), ...targetSection(r), ...throughputSection(r), ...bpfStatsSection(r), ...startupSection(r), ...pipelineSection(r), ...memorySection(r), ...accountingSection(r), ...r.notes].join('\n');
}
