/**
 * Test helpers every package shares: the root gate of kernel tests, the verifier suite of a
 * package's tools, and the layout suite that checks TypeScript structs against built objects.
 */
import { describe, expect, it } from 'vitest';
import { BpfObject } from '@netstrata/libbpf-ts';
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

export interface VerifierOptions {
  /** Rodata sets each tool is verified with besides its defaults (code the verifier otherwise
   * prunes as dead, such as --stack), by tool name. */
  readonly variants?: Readonly<Record<string, readonly Readonly<Record<string, RodataValue>>[]>>;
  /** An fentry program whose function this kernel lacks is verified against this stand-in (a
   * function with the same first argument), by function; without one it is skipped. */
  readonly fentryStandIn?: Readonly<Record<string, string>>;
}

/** Every flavour of every hook of every tool must load on this kernel, or be refused by it for
 * the reason its feature probe gives (fentry where trampolines are off). */
export function describeVerifier(pkg: string, tools: readonly Tool[], opts: VerifierOptions = {}): void {
  describe.runIf(requireRoot(`${pkg} verifier tests`))(`${pkg} programs pass the verifier`, () => {
    for (const tool of tools) {
      for (const rodata of [{}, ...(opts.variants?.[tool.name] ?? [])]) {
        const label = Object.keys(rodata).length ? ` (${Object.entries(rodata).map(([k, v]) => `${k}=${v}`).join(' ')})` : '';
        for (const hook of tool.hooks) {
          for (const flavour of hook.flavours) {
            it(`${tool.name}${label}: ${hook.name} ${flavour.name}`, () => {
              using obj = BpfObject.open(tool.spec.object, tool.name);
              for (const [k, v] of Object.entries(rodata)) obj.setRodata(k, v);
              const missing = flavour.available?.();
              if (flavour.needs === 'fentry' && missing !== undefined && missing !== true) {
                const fn = flavour.programs[0]!.replace(/_fentry$/, '');
                const standIn = opts.fentryStandIn?.[fn];
                if (!standIn) return void console.warn(`${hook.name} fentry: ${missing}`);
                for (const p of flavour.programs) obj.program(p).setAttachTarget(standIn);
              }
              expect(verifyFlavour(obj, flavour)).not.toHaveProperty('error');
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
