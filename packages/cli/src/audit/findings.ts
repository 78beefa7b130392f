/** What a rule says: findings with their evidence and fix, what it could not read, what it checked. */
import type { Facts, Reading } from './facts.ts';

/** critical: drops are happening or imminent; warning: drops or delay likely under load; info: a
 * setting that costs latency or CPU, to know about. */
export type Severity = 'critical' | 'warning' | 'info';
export const SEVERITIES: readonly Severity[] = ['critical', 'warning', 'info'];

/** Namespace rules judge the audited namespace's devices and sysctls; host rules judge what the
 * whole host shares (CPUs, interrupts, threads, global sysctls). */
export type Scope = 'netns' | 'host';

export interface Evidence {
  /** Where the value was read: a sysctl, a file, a command. */
  name: string;
  value: string | number;
}

export interface Finding {
  rule: string;
  scope: Scope;
  severity: Severity;
  /** What the finding is about: a device, a CPU, a thread, the namespace. */
  subject: string;
  /** What is off, in one line. */
  summary: string;
  /** Why it matters for drops and latency. */
  why: string;
  /** The setting to change. */
  fix: string;
  evidence: Evidence[];
  /** The documentation the advice comes from. */
  source: string;
  /** What the finding names, for programs: devices, CPUs, interrupts, processes and threads. */
  about: About;
}

export interface About {
  devices?: string[];
  cpus?: number[];
  irqs?: number[];
  pids?: number[];
  tids?: number[];
}

export interface Unread {
  rule: string;
  scope: Scope;
  /** The file, sysctl or command that could not be read. */
  what: string;
  reason: string;
}

export interface RuleResult {
  findings: Finding[];
  unread: Unread[];
  /** The subjects the rule looked at (devices, CPUs, threads), found wrong or not. */
  checked: string[];
}

export interface Rule {
  name: string;
  scope: Scope;
  /** What it checks, in one line. */
  title: string;
  source: string;
  check(facts: Facts): RuleResult;
}

type FindingBody = Omit<Finding, 'rule' | 'scope' | 'source'>;

/** The subject and `about` of a finding about one device and nothing else. */
export const aboutDevice = (name: string): Pick<Finding, 'subject' | 'about'> => ({ subject: name, about: { devices: [name] } });

/** Collects a rule's results; `need` unwraps a reading, recording it as unread when it is not. */
export class Collector {
  readonly findings: Finding[] = [];
  readonly unread: Unread[] = [];
  readonly checked: string[] = [];

  constructor(private readonly rule: Pick<Rule, 'name' | 'scope' | 'source'>) {}

  find(f: FindingBody): void {
    this.findings.push({ rule: this.rule.name, scope: this.rule.scope, source: this.rule.source, ...f });
  }

  need<T>(r: Reading<T>): T | undefined {
    if (r.ok) return r.value;
    if (!this.unread.some((u) => u.what === r.from && u.reason === r.reason)) {
      this.unread.push({ rule: this.rule.name, scope: this.rule.scope, what: r.from, reason: r.reason });
    }
    return undefined;
  }

  check(subject: string): void {
    if (!this.checked.includes(subject)) this.checked.push(subject);
  }

  result(): RuleResult {
    return { findings: this.findings, unread: this.unread, checked: this.checked };
  }
}

/** Defines a rule whose check gets a collector to fill. */
export function rule(meta: Omit<Rule, 'check'>, check: (facts: Facts, c: Collector) => void): Rule {
  return {
    ...meta,
    check(facts) {
      const c = new Collector(meta);
      check(facts, c);
      return c.result();
    },
  };
}
