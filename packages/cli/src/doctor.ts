/** `netstrata doctor`: what this kernel and this process can do, and what each tool would use. */
import { existsSync, readFileSync } from 'node:fs';
import { release } from 'node:os';
import { FEATURES, KallsymsSymbolizer, chooseFlavour, checkPrivileges, probe, UsageError, type Answer, type FeatureName } from '@netstrata/bpf-common';
import { libbpfVersion } from '@netstrata/libbpf-ts';
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
    hooks: { hook: string; flavour: string | null; flavours: { flavour: string; status: 'chosen' | 'fallback' | 'unavailable'; reason: string }[] }[];
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
      return { hook: h.name, flavour: c.chosen?.name ?? null, flavours };
    });
    return { name: t.name, runs: hooks.every((h) => h.flavour), hooks };
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
  lines.push('', 'tools:');
  for (const t of r.tools) {
    for (const h of t.hooks) {
      lines.push(`  ${t.name.padEnd(22)} ${h.hook}: ${h.flavour ? `uses ${h.flavour}` : 'CANNOT RUN'}`);
      for (const f of h.flavours) {
        if (f.status === 'chosen') continue;
        lines.push(`  ${''.padEnd(22)}   ${f.flavour.padEnd(10)} ${f.status === 'fallback' ? 'fallback, available' : `unavailable: ${f.reason}`}`);
      }
    }
  }
  return lines.join('\n');
}
