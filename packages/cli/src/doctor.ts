/** `netstrata doctor`: what this kernel and this process can do, and what each tool would use. */
import { existsSync, readFileSync } from 'node:fs';
import { release } from 'node:os';
import { FEATURES, KallsymsSymbolizer, chooseFlavour, checkPrivileges, libbpfVersion, probe, releaseProbes, UsageError, type Answer, type FeatureName } from '@netstrata/bpf-common';
import { TOOLS } from './registry.ts';

export interface DoctorReport {
  type: 'info';
  tool: 'netstrata';
  time: string;
  kernel: string;
  libbpf: string;
  privileges: { ok: boolean; reason: string };
  kallsyms: { ok: boolean; reason: string };
  features: Record<FeatureName, Answer>;
  tools: {
    name: string;
    runs: boolean;
    hooks: { hook: string; optional: boolean; flavour: string | null; flavours: { flavour: string; status: 'chosen' | 'fallback' | 'unavailable'; reason: string }[] }[];
  }[];
}

export function doctor(): DoctorReport {
  let privileges = { ok: true, reason: 'root or CAP_BPF+CAP_PERFMON' };
  try {
    checkPrivileges();
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    privileges = { ok: false, reason: e.message };
  }
  const sym = existsSync('/proc/kallsyms') ? KallsymsSymbolizer.fromProc() : undefined;
  const kallsyms = sym?.available ? { ok: true, reason: 'kernel symbols readable' } : { ok: false, reason: sym?.reason ?? 'no /proc/kallsyms' };
  // Probes load BPF programs: without privileges every answer would be a misleading "no".
  const ask = (f: FeatureName): Answer => (privileges.ok || f === 'btf' || f === 'tracefs' ? probe(f) : { answer: 'unknown', reason: 'needs root to probe' });
  const features = Object.fromEntries(FEATURES.map((f) => [f, ask(f)])) as Record<FeatureName, Answer>;
  releaseProbes();
  const tools = TOOLS.map((t) => {
    const hooks = t.hooks.map((h) => {
      const c = chooseFlavour(h, ask);
      const flavours = h.flavours.map((f) => {
        const a = ask(f.needs);
        const extra = a.answer === 'yes' ? (f.available?.() ?? true) : true;
        const ok = a.answer === 'yes' && extra === true;
        const status = f === c.chosen ? ('chosen' as const) : ok ? ('fallback' as const) : ('unavailable' as const);
        return { flavour: f.name, status, reason: ok ? a.reason : extra === true ? a.reason : extra };
      });
      return { hook: h.name, optional: h.optional === true, flavour: c.chosen?.name ?? null, flavours };
    });
    // A tool runs when each of its required hooks has a flavour; optional ones are stages it skips.
    return { name: t.name, runs: hooks.every((h) => h.flavour || h.optional), hooks };
  });
  return {
    type: 'info',
    tool: 'netstrata',
    time: new Date().toISOString(),
    kernel: `${release()}${readFileSync('/proc/version', 'utf8').includes('PREEMPT') ? ' (preempt)' : ''}`,
    libbpf: libbpfVersion(),
    privileges,
    kallsyms,
    features,
    tools,
  };
}

export function renderDoctor(r: DoctorReport): string {
  const mark = (a: Answer['answer'] | boolean) => (a === 'yes' || a === true ? 'yes' : a === 'no' || a === false ? 'NO ' : '?  ');
  const lines = [
    `kernel      ${r.kernel}`,
    `libbpf      ${r.libbpf}`,
    `privileges  ${mark(r.privileges.ok)} ${r.privileges.reason}`,
    `kallsyms    ${mark(r.kallsyms.ok)} ${r.kallsyms.reason}`,
    '',
    'kernel features (asked of the running kernel):',
  ];
  for (const [f, a] of Object.entries(r.features)) lines.push(`  ${f.padEnd(13)} ${mark(a.answer)} ${a.reason}`);
  lines.push('', 'tools (the flavour each hook would use; fallbacks in order; reasons for the others):');
  for (const t of r.tools) {
    lines.push(`  ${t.name}: ${t.runs ? 'runs' : 'CANNOT RUN'}`);
    // Optional hooks the kernel cannot use share their reasons: one line per reason.
    const unused = new Map<string, string[]>();
    for (const h of t.hooks) {
      const out = h.flavours.filter((f) => f.status === 'unavailable').map((f) => `${f.flavour}: ${f.reason}`);
      if (!h.flavour) {
        if (h.optional) unused.set(out.join('; '), [...(unused.get(out.join('; ')) ?? []), h.hook]);
        else lines.push(`    ${h.hook}: CANNOT RUN (${out.join('; ')})`);
        continue;
      }
      const fallbacks = h.flavours.filter((f) => f.status === 'fallback').map((f) => f.flavour);
      const parts = [`uses ${h.flavour}`];
      if (fallbacks.length) parts.push(`fallback ${fallbacks.join(', ')}`);
      if (out.length) parts.push(`unavailable ${out.join('; ')}`);
      lines.push(`    ${h.hook}: ${parts.join('; ')}`);
    }
    for (const [why, hooks] of unused) lines.push(`    optional, not used: ${hooks.join(', ')} (${why})`);
  }
  return lines.join('\n');
}
