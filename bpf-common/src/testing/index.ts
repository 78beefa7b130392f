/**
 * Test helpers every package shares: the root gate of kernel tests, the verifier suite of a
 * package's tools, and the layout suite that checks TypeScript structs against built objects.
 */
import { appendFileSync } from 'node:fs';
import { release } from 'node:os';
import { describe, expect, it } from 'vitest';
import { BpfObject } from '@netstrata/libbpf-ts';
import { chooseFlavour } from '../features/flavours.ts';
import { probe } from '../features/probes.ts';
import { verifyFlavour } from '../features/verify.ts';
import { layoutMismatches } from '../layout/check.ts';
import type { StructLayout, Fields } from '../layout/struct.ts';
import { LOSS_ENUMERATORS, LOSS_INDEX } from '../tool/losses.ts';
import { ROWS_CREATED_ENUMERATOR, ROWS_CREATED_INDEX } from '../tool/rows.ts';
import { nstFilter } from '../filter/options.ts';
import { nstFlow } from '../packet/flow.ts';
import type { RodataValue } from '../tool/lifecycle.ts';
import type { Tool } from '../tool/tool.ts';
import { requireRoot } from './root.ts';

export { isRoot, requireRoot } from './root.ts';
export { loadModules } from './modules.ts';

export interface VerifierOptions {
  /** Rodata sets each tool is verified with besides its defaults (code the verifier otherwise
   * prunes as dead, such as --stack), by tool name. */
  readonly variants?: Readonly<Record<string, readonly Readonly<Record<string, RodataValue>>[]>>;
  /** An fentry program whose function this kernel lacks is verified against this stand-in (a
   * function with the same first argument), by function; without one it is skipped. */
  readonly fentryStandIn?: Readonly<Record<string, string>>;
  /** Hooks whose programs the tool attaches itself (uprobes on a library it finds): loaded only. */
  readonly attachedByTool?: readonly string[];
}

/** One flavour's outcome on this kernel, for the kernel support matrix (NETSTRATA_SUPPORT_REPORT). */
export interface FlavourOutcome {
  kernel: string;
  pkg: string;
  tool: string;
  variant: string;
  hook: string;
  flavour: string;
  result: 'attached' | 'loaded' | 'refused' | 'not available';
  reason: string;
}

/** The reason of a 'loaded' outcome for programs the tool attaches itself. */
export const ATTACHED_BY_TOOL = 'attached by the tool itself at run time';

function report(o: Omit<FlavourOutcome, 'kernel'>): void {
  const file = process.env.NETSTRATA_SUPPORT_REPORT;
  if (file) appendFileSync(file, `${JSON.stringify({ kernel: release(), ...o })}\n`);
}

/**
 * Every flavour of every hook of every tool against this kernel: it loads and, where the kernel
 * offers the flavour, attaches (then detaches at once); or the kernel refuses its whole program
 * type (fentry where trampolines are off); or the kernel lacks its tracepoint, and the tools never
 * choose it. With NETSTRATA_SUPPORT_REPORT set, each outcome is appended there as a JSON line.
 */
export function describeVerifier(pkg: string, tools: readonly Tool[], opts: VerifierOptions = {}): void {
  describe.runIf(requireRoot(`${pkg} verifier tests`))(`${pkg} programs pass the verifier`, () => {
    for (const tool of tools) {
      // NETSTRATA_VERIFY_BASE_ONLY: the tools' own rodata only (the guest tier's quick pass under TCG).
      const variants = process.env.NETSTRATA_VERIFY_BASE_ONLY ? [] : (opts.variants?.[tool.name] ?? []);
      for (const rodata of [{}, ...variants]) {
        const label = Object.keys(rodata).length ? ` (${Object.entries(rodata).map(([k, v]) => `${k}=${v}`).join(' ')})` : '';
        for (const hook of tool.hooks) {
          for (const flavour of hook.flavours) {
            it(`${tool.name}${label}: ${hook.name} ${flavour.name}`, () => {
              const outcome = (result: FlavourOutcome['result'], reason: string) =>
                report({ pkg, tool: tool.name, variant: label.trim(), hook: hook.name, flavour: flavour.name, result, reason });
              using obj = BpfObject.open(tool.spec.object, tool.name);
              for (const [k, v] of Object.entries({ ...tool.spec.kernelRodata?.(), ...rodata })) obj.setRodata(k, v);
              const available = flavour.available?.() ?? true;
              const missing = available === true ? undefined : available;
              const isFunction = flavour.needs === 'fentry' || flavour.needs === 'kprobe' || flavour.needs === 'kprobe_multi';
              if (missing && !isFunction) {
                // A tracepoint this kernel does not define: no program of it can load, and the
                // flavour choice (and doctor) must never pick it.
                expect(chooseFlavour({ name: hook.name, flavours: [flavour] }, probe).chosen).toBeUndefined();
                return outcome('not available', missing);
              }
              let standIn: string | undefined;
              if (flavour.needs === 'fentry' && missing) {
                const fn = flavour.programs[0]!.replace(/_fentry$/, '');
                standIn = opts.fentryStandIn?.[fn];
                if (!standIn) return outcome('not available', missing);
                for (const p of flavour.programs) obj.program(p).setAttachTarget(standIn);
              }
              const verdict = verifyFlavour(obj, flavour);
              expect(verdict).not.toHaveProperty('error');
              if ('refusedByKernel' in verdict) return outcome('refused', verdict.refusedByKernel);
              const feature = probe(flavour.needs);
              if (missing) return outcome('loaded', `verified against ${standIn ?? 'nothing'}; not attached: ${missing}`);
              if (feature.answer !== 'yes') return outcome('loaded', `not attached: ${flavour.needs}: ${feature.reason}`);
              if (opts.attachedByTool?.includes(hook.name)) return outcome('loaded', ATTACHED_BY_TOOL);
              for (const p of flavour.programs) obj.program(p).attach().destroy();
              outcome('attached', 'loaded and attached');
            });
          }
        }
      }
    }
  });
}

/** Every declared struct, member by member, against the BTF of every object that has it; and the
 * loss counters' indices against `enum nst_loss`. Opening an object needs no privilege. */
export function describeLayouts(pkg: string, objects: Readonly<Record<string, Uint8Array>>, layouts: readonly StructLayout<Fields>[]): void {
  describe(`${pkg} structs agree with the built objects`, () => {
    for (const layout of layouts) {
      it(`struct ${layout.cName}`, () => {
        let seen = 0;
        for (const [name, bytes] of Object.entries(objects)) {
          using obj = BpfObject.open(bytes, name);
          const btf = obj.btf();
          if (!btf.structMembers(layout.cName)) continue;
          seen++;
          expect(layoutMismatches(layout, btf), `${name}.bpf.o`).toEqual([]);
        }
        expect(seen, `no object has struct ${layout.cName} in its BTF`).toBeGreaterThan(0);
      });
    }
    it('shared structs (struct nst_filter, struct nst_flow) in every object that has them', () => {
      for (const [name, bytes] of Object.entries(objects)) {
        using obj = BpfObject.open(bytes, name);
        const btf = obj.btf();
        for (const layout of [nstFilter, nstFlow]) if (btf.structMembers(layout.cName)) expect(layoutMismatches(layout, btf), `${name}.bpf.o`).toEqual([]);
      }
    });
    it('loss counters: enum nst_loss', () => {
      for (const [name, bytes] of Object.entries(objects)) {
        using obj = BpfObject.open(bytes, name);
        // Every object counts its losses in the `lost` map by these indices.
        if (!obj.maps().some((m) => m.name === 'lost')) continue;
        for (const [key, enumerator] of Object.entries(LOSS_ENUMERATORS)) {
          expect(obj.btf().enumerator(enumerator), `${name}: ${enumerator}`).toBe(LOSS_INDEX[key as keyof typeof LOSS_INDEX]);
        }
        expect(obj.btf().enumerator(ROWS_CREATED_ENUMERATOR), `${name}: ${ROWS_CREATED_ENUMERATOR}`).toBe(ROWS_CREATED_INDEX);
      }
    });
  });
}
