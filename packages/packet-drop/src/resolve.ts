/**
 * Turns raw kernel values (reason codes, addresses, stack ids) into the names of the output
 * contract. The tools build one from the running kernel; tests build one from fixtures.
 */
import { DropReasons, UsageError, locationText, readStack, type BpfMap, type KallsymsSymbolizer } from '@netstrata/bpf-common';

export interface Location {
  symbol: string;
  offset: number;
}

export interface DropResolver {
  reasonName(code: number): string;
  location(addr: bigint): Location | undefined;
  stack(stackId: number): string[] | undefined;
  frames(addrs: readonly bigint[]): string[];
}

let reasons: DropReasons | undefined;

/** The running kernel's drop reasons, read once (both checking --reason and naming rows need them). */
export const kernelReasons = (): DropReasons => (reasons ??= DropReasons.fromKernel());

/** `--reason NAME` as this kernel's code (0: off), or a usage error naming a few real ones. */
export function reasonCode(reasons: DropReasons, name: string | undefined): number {
  if (name === undefined) return 0;
  const code = reasons.code(name);
  if (code === undefined || code === 0 || code === 1) {
    throw new UsageError(`--reason: '${name}' is not a drop reason of this kernel (e.g. ${reasons.names().slice(2, 6).join(', ')})`);
  }
  return code;
}

/** A resolver backed by the running kernel: BTF drop reasons, kallsyms, the tool's stack map. */
export function kernelResolver(reasons: DropReasons, symbols: Pick<KallsymsSymbolizer, 'resolve' | 'kernelStack'>, stacks?: BpfMap): DropResolver {
  const stackCache = new Map<number, string[]>();
  return {
    reasonName: (code) => reasons.name(code),
    location: (addr) => {
      const s = symbols.resolve(addr);
      return s ? { symbol: s.symbol, offset: s.offset } : undefined;
    },
    stack: (id) => {
      let frames = stackCache.get(id);
      if (!frames && stacks) {
        frames = symbols.kernelStack(readStack(stacks, id));
        stackCache.set(id, frames);
      }
      return frames;
    },
    frames: (addrs) => symbols.kernelStack(addrs),
  };
}

/** `symbol+0xoff`, or the address when it has no symbol. */
export function formatLocation(loc: Location | undefined, addr: bigint): string {
  return loc ? locationText(loc) : `0x${addr.toString(16)}`;
}
