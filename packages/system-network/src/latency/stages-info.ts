/** Which stages a run measures, with the flavour of each, and why the others are not measured. */
import { existsSync } from 'node:fs';
import { moduleMissing, type FlavourChoice } from '@netstrata/bpf-common';
import { OVS_FUNCTIONS, type Direction } from './hooks.ts';
import type { Dir } from '../layout.ts';
import { DEFAULT_STAGES, STAGES } from './stages.ts';

export interface StageState {
  name: string;
  /** Hooks that stamp it in this run, with their flavour. */
  active: { hook: string; flavour: string }[];
  /** Why the hooks of an inactive stage are not used: the flavours' reasons, once each. */
  why: string;
}

export function stageStates(dir: Dir, choices: readonly FlavourChoice[], stages = true): StageState[] {
  const byHook = new Map(choices.map((c) => [c.hook, c]));
  return STAGES[dir].filter((s) => stages || DEFAULT_STAGES[dir].includes(s.name)).map((s) => {
    if (!stages && dir === 'rx' && s.name === 'device') return { name: s.name, active: [{ hook: 'kernel RX timestamp', flavour: 'skb->tstamp' }], why: '' };
    const active: StageState['active'] = [];
    const why = new Set<string>();
    for (const h of s.hooks) {
      const c = byHook.get(h);
      if (c?.chosen) active.push({ hook: h, flavour: c.chosen.name });
      // Reasons name the function only when it is missing; the rest are the kernel's, shared.
      else if (c) why.add(c.rejected.map((r) => `${r.flavour}: ${r.reason}`).join('; '));
    }
    return { name: s.name, active, why: [...why].join(' | ') || 'no hook' };
  });
}

export function stagesInfo(direction: Direction, choices: readonly FlavourChoice[], o: { stages: boolean; sample: number } = { stages: true, sample: 1 }): string[] {
  const out: string[] = [];
  if (!o.stages) out.push('default stages (--stages times every stage); kernel RX software timestamps are on while the tool runs');
  if (o.sample > 1) out.push(`following one packet in ${o.sample} of those that pass the filters (--sample)`);
  for (const dir of ['rx', 'tx'] as const) {
    if (direction !== 'both' && direction !== dir) {
      out.push(`${dir} stages: off (--direction ${direction})`);
      continue;
    }
    const states = stageStates(dir, choices, o.stages);
    const on = states.filter((s) => s.active.length);
    out.push(`${dir} stages: ${on.map((s) => `${s.name} [${s.active.map((a) => `${a.hook} ${a.flavour}`).join(', ')}]`).join(' -> ')}`);
    // Stages off for the same reason (no function hooks on this kernel, say) share one line.
    const off = new Map<string, string[]>();
    for (const s of states.filter((x) => !x.active.length)) off.set(s.why, [...(off.get(s.why) ?? []), s.name]);
    for (const [why, names] of off) out.push(`${dir} ${names.length > 1 ? 'stages' : 'stage'} ${names.join(', ')} not measured: ${why}`);
  }
  const ovs = existsSync('/sys/module/openvswitch')
    ? 'the openvswitch module is loaded, but these tools do not follow packets through its datapath'
    : moduleMissing('openvswitch');
  out.push(`OVS datapath stages (${OVS_FUNCTIONS.join(', ')}) not measured: ${ovs}`);
  return out;
}
