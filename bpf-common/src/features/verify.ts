/**
 * One flavour of a hook against this kernel's verifier, for the packages' program tests: only that
 * flavour's programs load. A flavour this kernel refuses for every program of its type (fentry
 * where trampolines are off) is told apart from a program the verifier rejects.
 */
import { BpfError, type BpfObject } from '@netstrata/libbpf-ts';
import type { HookFlavour } from './flavours.ts';
import { probe } from './probes.ts';

export type Verdict = { loaded: true } | { refusedByKernel: string } | { error: unknown };

export function verifyFlavour(obj: BpfObject, flavour: HookFlavour, keep: (program: string) => boolean = () => true): Verdict {
  for (const p of obj.programs()) p.autoload = flavour.programs.includes(p.name) && keep(p.name);
  try {
    obj.load();
    return { loaded: true };
  } catch (err) {
    const trampolinesOff = flavour.needs === 'fentry' && probe('fentry').answer === 'no';
    if (trampolinesOff && err instanceof BpfError && err.errnoName === 'EPERM') return { refusedByKernel: `fentry: ${probe('fentry').reason}` };
    return { error: err };
  }
}
