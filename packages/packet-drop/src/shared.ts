/** Pieces both packet-drop tools use: reason filter resolution, loss counters, the resolver. */
import { DropReasons, KallsymsSymbolizer, UsageError, formatAddress, formatFlow } from '@netstrata/bpf-common';
import type { BpfMap } from '@netstrata/libbpf-ts';
import { kernelResolver, type DropResolver } from './resolve.ts';

export function reasonCode(reasons: DropReasons, name: string | undefined): number {
  if (name === undefined) return 0;
  const code = reasons.code(name);
  if (code === undefined || code === 0 || code === 1) {
    throw new UsageError(`--reason: '${name}' is not a drop reason of this kernel (e.g. ${reasons.names().slice(2, 6).join(', ')})`);
  }
  return code;
}

export function makeResolver(reasons: DropReasons, symbols: KallsymsSymbolizer, stacks?: BpfMap): DropResolver {
  return kernelResolver({
    reasons,
    symbols,
    stackAddrs: stacks
      ? (id) => {
          const v = stacks.lookup(new Uint8Array(new Int32Array([id]).buffer));
          if (!v) return undefined;
          const dv = new DataView(v.buffer, v.byteOffset, v.byteLength);
          const out: bigint[] = [];
          for (let i = 0; i + 8 <= v.byteLength; i += 8) {
            const ip = dv.getBigUint64(i, true);
            if (ip === 0n) break;
            out.push(ip);
          }
          return out;
        }
      : undefined,
    formatAddress,
    formatFlow,
  });
}
