/** The audit's rules, run over the facts, and the report: JSON data first, text rendered from it. */
import { busyPoll, napiDefer } from './busy-poll.ts';
import { conntrackTable } from './conntrack.ts';
import { irqCpuBusyThread, ksoftirqd, netRxSpread, vhostVcpu } from './cpu-sharing.ts';
import type { Facts } from './facts.ts';
import { SEVERITIES, type Finding, type Rule, type Scope, type Severity, type Unread } from './findings.ts';
import { irqNuma, irqSpread, rps, xps } from './interrupts.ts';
import { offloads } from './offloads.ts';
import { rpFilter } from './rp-filter.ts';
import { nicRing, tapRing } from './rings.ts';

/** Every rule, namespace rules first, in the order the docs describe them. */
export const RULES: readonly Rule[] = [tapRing, nicRing, offloads, rpFilter, conntrackTable, napiDefer, irqNuma, irqSpread, rps, xps, busyPoll, irqCpuBusyThread, vhostVcpu, ksoftirqd, netRxSpread];

export interface RuleSummary {
  rule: string;
  scope: Scope;
  title: string;
  /** What the rule looked at: devices, CPUs, threads. */
  checked: string[];
  findings: number;
  unread: number;
}

export interface AuditReport {
  type: 'info';
  tool: 'netstrata';
  command: 'audit';
  time: string;
  /** The audited network namespace: its inode, and the name or path it was given by. */
  netns: { inode: number; name: string | null };
  /** Seconds over which thread CPU time, interrupts and softirqs were sampled. */
  sample_s: number;
  counts: Record<Severity, number>;
  findings: Finding[];
  unread: Unread[];
  rules: RuleSummary[];
}

/** Exit status when a finding of severity warning or critical is reported (0 otherwise); 1 and 2
 * keep their meaning (failure, bad input). */
export const EXIT_FINDINGS = 3;

export function audit(facts: Facts, netns: { inode: number; name: string | null }, time = new Date()): AuditReport {
  const findings: Finding[] = [];
  const unread: Unread[] = [];
  const rules: RuleSummary[] = [];
  for (const r of RULES) {
    const res = r.check(facts);
    findings.push(...res.findings);
    unread.push(...res.unread);
    rules.push({ rule: r.name, scope: r.scope, title: r.title, checked: res.checked, findings: res.findings.length, unread: res.unread.length });
  }
  // Most severe first; within a severity, in rule order.
  findings.sort((a, b) => SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity));
  const counts = Object.fromEntries(SEVERITIES.map((s) => [s, findings.filter((f) => f.severity === s).length])) as Record<Severity, number>;
  return { type: 'info', tool: 'netstrata', command: 'audit', time: time.toISOString(), netns, sample_s: facts.host.sampleS, counts, findings, unread, rules };
}

export function exitStatus(r: AuditReport): number {
  return r.counts.critical + r.counts.warning > 0 ? EXIT_FINDINGS : 0;
}

const indent = (text: string, by: string, width: number): string[] => {
  const out: string[] = [];
  for (const para of text.split('\n')) {
    let line = '';
    for (const word of para.split(' ')) {
      if (line && by.length + line.length + 1 + word.length > width) {
        out.push(by + line);
        line = word;
      } else line = line ? `${line} ${word}` : word;
    }
    out.push(by + line);
  }
  return out;
};

export function renderAudit(r: AuditReport, width = 100): string {
  const where = r.netns.name ? `network namespace ${r.netns.name} (inode ${r.netns.inode})` : `this network namespace (inode ${r.netns.inode})`;
  const lines = [
    `audit of ${where} and the host, threads and interrupts sampled over ${r.sample_s} s`,
    r.findings.length
      ? `${r.findings.length} finding${r.findings.length === 1 ? '' : 's'}: ${SEVERITIES.map((s) => `${r.counts[s]} ${s}`).join(', ')}`
      : 'nothing off: no finding',
  ];
  for (const sev of SEVERITIES) {
    const fs = r.findings.filter((f) => f.severity === sev);
    if (!fs.length) continue;
    lines.push('', `${sev.toUpperCase()}`);
    for (const f of fs) {
      lines.push(...indent(`[${f.rule}] ${f.subject}${f.scope === 'host' ? ' (host)' : ''}: ${f.summary}`, '  ', width));
      lines.push(...indent(`why: ${f.why}`, '      ', width));
      lines.push(...indent(`fix: ${f.fix}`, '      ', width));
      lines.push('      evidence:');
      for (const e of f.evidence) lines.push(...indent(`${e.name} = ${e.value}`, '        ', width));
      lines.push(...indent(`see: ${f.source}`, '      ', width));
    }
  }
  if (r.unread.length) {
    lines.push('', 'could not read (the rules named did not check what depends on it):');
    // One line per thing not read, with the rules that needed it.
    const byWhat = new Map<string, { reason: string; rules: string[] }>();
    for (const u of r.unread) {
      const k = `${u.what}\u0000${u.reason}`;
      const e = byWhat.get(k) ?? { reason: u.reason, rules: [] };
      if (!e.rules.includes(u.rule)) e.rules.push(u.rule);
      byWhat.set(k, e);
    }
    for (const [k, e] of byWhat) lines.push(...indent(`${k.split('\u0000')[0]}: ${e.reason} (${e.rules.join(', ')})`, '  ', width));
  }
  lines.push('', 'rules (what each checked):');
  const w = Math.max(...r.rules.map((x) => x.rule.length));
  for (const x of r.rules) {
    const checked = x.checked.length ? x.checked.join(', ') : 'nothing to check';
    lines.push(...indent(`${x.rule.padEnd(w)}  ${x.scope === 'host' ? 'host ' : 'netns'}  ${x.findings ? `${x.findings} finding${x.findings === 1 ? '' : 's'}` : 'ok'}; ${checked}`, '  ', width));
  }
  return lines.join('\n');
}
