/** The diagnosis as text for people. Pure. */
import { formatValue, locationText } from '@netstrata/bpf-common';
import type { Diagnosis } from './command.ts';
import type { Finding } from './verdict.ts';

const us = (v: number | null | undefined) => (v === null || v === undefined ? '-' : formatValue(v, 'us'));
const pct = (v: number) => `${(v * 100).toFixed(v < 0.001 ? 3 : 1)}%`;
const where = (f: Finding) =>
  [f.location ? (f.location.offset ? locationText({ symbol: f.location.symbol, offset: f.location.offset }) : f.location.symbol) : '', f.device ? `on ${f.device}${f.netns ? ` (netns ${f.netns})` : ''}` : '']
    .filter(Boolean)
    .join(' ');

function finding(f: Finding, i: number): string[] {
  const lines: string[] = [];
  if (f.kind === 'drops') {
    const share = f.share === null ? '' : `, ${pct(f.share)} of the ${f.share_of}`;
    lines.push(`${i + 1}. drops: ${f.count} × ${f.reason} at ${where(f)}${share}`);
    for (const q of f.queues ?? []) lines.push(`     queue ${q.queue}: ring of ${q.ring_size}, full ${q.full} times in ${q.xmits} transmits`);
  } else {
    const around = (f.around ?? []).map((a) => `${a.stage} p99 ${us(a.p99_us)}`).join(', ');
    lines.push(`${i + 1}. latency: ${f.direction ? `${f.direction} ` : ''}${f.stage}: ${f.slow} of ${f.count} packets took at least the threshold; p99 ${us(f.p99_us)}, p99.9 ${us(f.p999_us)}`);
    if (around) lines.push(`     around it: ${around}`);
  }
  for (const fl of f.flows) lines.push(`     ${String(fl.count).padStart(6)}  ${fl.text}`);
  return lines;
}

export function renderDiagnosis(d: Diagnosis): string {
  const fig = d.figures;
  const out: string[] = [];
  const seen = `${fig.duration_s} s: ${fig.rx_packets ?? '?'} packets received and ${fig.tx_packets ?? '?'} sent by the devices in scope, ${fig.drops ?? '?'} drops (${fig.benign_drops} benign)`;
  if (d.kind === 'healthy') {
    const slow = fig.slowest_stage ? `; slowest stage ${fig.slowest_stage.direction} ${fig.slowest_stage.stage}: p99 ${us(fig.slowest_stage.p99_us)}, p99.9 ${us(fig.slowest_stage.p999_us)}` : '';
    out.push(`HEALTHY: no drops that matter and no tail at the threshold. ${seen}${slow}`);
  } else {
    out.push(`${d.kind.toUpperCase()}: ${d.findings.length} finding${d.findings.length === 1 ? '' : 's'}, most harm first. ${seen}`);
    d.findings.forEach((f, i) => out.push(...finding(f, i)));
  }
  if (d.benign.length) {
    out.push('', 'Drops every host has (never a verdict):');
    for (const b of d.benign) out.push(`  ${String(b.count).padStart(6)}  ${b.reason} at ${b.location.symbol}: ${b.why}`);
  }
  const failed = d.layer1.filter((r) => r.error);
  if (failed.length) {
    out.push('', 'Not measured:');
    for (const r of failed) out.push(`  ${r.step.tool}: ${r.error}`);
  }
  const ran2 = d.layer2.filter((r) => r.caught || r.error);
  if (ran2.length) {
    out.push('', 'Layer 2, the details of each finding:');
    for (const r of ran2) {
      out.push(`  $ ${r.command}`);
      if (r.error) out.push(`    failed: ${r.error}`);
      if (!r.caught) continue;
      out.push(`    caught ${r.caught.events} ${r.step.tool === 'ovs_upcall_latency_summary' ? 'upcalls' : 'packets'}`);
      for (const fl of r.caught.flows) out.push(`    ${String(fl.count).padStart(6)}  ${fl.text}`);
      for (const t of r.caught.threads) out.push(`    ${t.role}: ${t.comm} (pid ${t.pid}), ${t.count} times`);
      for (const n of r.caught.notes) out.push(`    ${n}`);
    }
  }
  if (d.layer3.length) {
    out.push('', 'Layer 3, the threads involved:');
    for (const r of d.layer3) {
      out.push(`  $ ${r.command}`);
      if (r.error) out.push(`    failed: ${r.error}`);
      for (const l of r.lines ?? []) out.push(`    ${l}`);
    }
  }
  if (d.next.length && !ran2.length) {
    out.push('', 'Next (--no-auto):');
    for (const n of d.next) out.push(`  ${n}`);
  }
  return out.join('\n');
}
