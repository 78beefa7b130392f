/** Which stages a run measures, with the flavour of each, and why the others are not measured. */
import { existsSync } from 'node:fs';
import type { FlavourChoice } from '@netstrata/bpf-common';
import { OVS_FUNCTIONS, type Direction } from './hooks.ts';
import { STAGES, type Dir } from './layout.ts';

export interface StageState {
  name: string;
  /** Hooks that stamp it in this run, with their flavour. */
  active: { hook: string; flavour: string }[];
  /** Why each hook of an inactive stage is not used. */
  why: string[];
}

export function stageStates(dir: Dir, choices: readonly FlavourChoice[]): StageState[] {
  const byHook = new Map(choices.map((c) => [c.hook, c]));
  return STAGES[dir].map((s) => {
    const active: StageState['active'] = [];
    const why: string[] = [];
    for (const h of s.hooks) {
      const c = byHook.get(h);
      if (c?.chosen) active.push({ hook: h, flavour: c.chosen.name });
      else if (c) why.push(`${h}: ${c.rejected.map((r) => `${r.flavour}: ${r.reason}`).join('; ')}`);
    }
    return { name: s.name, active, why };
  });
}

export function stagesInfo(direction: Direction, choices: readonly FlavourChoice[]): string[] {
  const out: string[] = [];
  for (const dir of ['rx', 'tx'] as const) {
    if (direction !== 'both' && direction !== dir) {
      out.push(`${dir} stages: off (--direction ${direction})`);
      continue;
    }
    const states = stageStates(dir, choices);
    const on = states.filter((s) => s.active.length);
    out.push(`${dir} stages: ${on.map((s) => `${s.name} [${s.active.map((a) => `${a.hook} ${a.flavour}`).join(', ')}]`).join(' -> ')}`);
    for (const s of states.filter((x) => !x.active.length)) out.push(`${dir} stage ${s.name} not measured: ${s.why[0] ?? 'no hook'}${s.why.length > 1 ? ` (and ${s.why.length - 1} more like it)` : ''}`);
  }
  const ovs = existsSync('/sys/module/openvswitch')
    ? 'the openvswitch module is loaded, but these tools do not follow packets through its datapath'
    : 'the openvswitch module is not loaded';
  out.push(`OVS datapath stages (${OVS_FUNCTIONS.join(', ')}) not measured: ${ovs}`);
  return out;
}
