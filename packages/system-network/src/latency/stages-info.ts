/** Which stages a run measures, and why the others are not measured: for --verbose and info lines. */
import type { FlavourChoice } from '@netstrata/bpf-common';
import { FUNCTION_STAGES, type Direction } from './hooks.ts';
import { STAGES } from './layout.ts';

export function stagesInfo(direction: Direction, choices: readonly FlavourChoice[], fentry: { answer: string; reason: string }): string[] {
  const flavour = new Map(choices.map((c) => [c.hook, c.chosen?.name ?? 'none']));
  const out: string[] = [];
  for (const dir of ['rx', 'tx'] as const) {
    if (direction !== 'both' && direction !== dir) {
      out.push(`${dir} stages: off (--direction ${direction})`);
      continue;
    }
    const list = STAGES[dir].map((s) => {
      const fl = s.hook
        .split(', ')
        .map((h) => flavour.get(h.split(' ')[0]!))
        .filter(Boolean);
      return `${s.name} [${s.hook}${fl.length ? `: ${[...new Set(fl)].join('/')}` : ''}]`;
    });
    out.push(`${dir} stages: ${list.join(' -> ')}`);
  }
  const why = fentry.answer === 'yes' ? 'no function-hook programs in this version' : `fentry unavailable: ${fentry.reason}; no function-hook programs in this version`;
  out.push(`not measured: function stages ${FUNCTION_STAGES.join(', ')} (${why}); OVS datapath stages (no programs; openvswitch needs its kernel module)`);
  out.push('tx starts at net:net_dev_queue: at the socket send tracepoints the skb (or, for TCP, its transmitted clone) is not yet known');
  return out;
}
