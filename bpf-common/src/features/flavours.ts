/**
 * Flavour choice: each hook lists its flavours in order of preference; the first whose feature
 * the kernel has (and whose own check passes) wins; the others are turned off before load.
 */
import type { BpfObject } from '@netstrata/libbpf-ts';
import type { Answer, FeatureName } from './probes.ts';

export interface HookFlavour {
  name: string;
  programs: string[];
  needs: FeatureName;
  /** Extra check (e.g. the hooked function exists): true, or why not. */
  available?: () => true | string;
}

export interface Hook {
  name: string;
  flavours: HookFlavour[];
}

export interface FlavourChoice {
  hook: string;
  chosen?: HookFlavour;
  rejected: { flavour: string; reason: string }[];
  all: HookFlavour[];
}

/**
 * The three flavours of a tracepoint hook, in order of preference, for programs named by the
 * convention `<stem>_tp_btf`, `<stem>_raw_tp`, `<stem>_tp`.
 */
export function tracepointFlavours(stem: string): HookFlavour[] {
  return [
    { name: 'tp_btf', programs: [`${stem}_tp_btf`], needs: 'tp_btf' },
    { name: 'raw_tp', programs: [`${stem}_raw_tp`], needs: 'raw_tp' },
    { name: 'tracepoint', programs: [`${stem}_tp`], needs: 'tracepoint' },
  ];
}

export function chooseFlavour(hook: Hook, ask: (f: FeatureName) => Answer): FlavourChoice {
  const rejected: FlavourChoice['rejected'] = [];
  for (const f of hook.flavours) {
    const a = ask(f.needs);
    if (a.answer !== 'yes') {
      rejected.push({ flavour: f.name, reason: a.reason });
      continue;
    }
    const ok = f.available?.() ?? true;
    if (ok !== true) {
      rejected.push({ flavour: f.name, reason: ok });
      continue;
    }
    return { hook: hook.name, chosen: f, rejected, all: hook.flavours };
  }
  return { hook: hook.name, rejected, all: hook.flavours };
}

/** Turns off, before load, every program of the flavours not chosen. */
export function applyFlavour(obj: BpfObject, choice: FlavourChoice): void {
  const keep = new Set(choice.chosen?.programs ?? []);
  for (const f of choice.all) for (const p of f.programs) if (!keep.has(p)) obj.program(p).autoload = false;
}
