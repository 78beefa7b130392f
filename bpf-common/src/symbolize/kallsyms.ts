/**
 * Kernel addresses → `symbol+0xoff` from /proc/kallsyms. Addresses exceed 2^53, so they are kept
 * as offsets from BASE (exact in a double) in one sorted Float64Array searched by bisection.
 */
import { readFileSync } from 'node:fs';

const BASE = 0xffff000000000000n;
const MAX_FUNCTION_SIZE = 0x100000;

export interface KernelSymbol {
  /** Display name: compiler suffixes (.constprop.0, .isra.N, .part.N, .cold) removed. */
  symbol: string;
  raw: string;
  offset: number;
  module?: string;
}

/** `ip_rcv_finish_core.constprop.0` → `ip_rcv_finish_core`. */
export function stripSuffixes(name: string): string {
  return name.replace(/(\.(constprop|isra|part|cold|llvm|lto_priv)(\.\d+)?)+$/, '').replace(/\.(cold|\d+)$/, '');
}

export class KallsymsSymbolizer {
  private readonly addrs: Float64Array;
  private readonly names: string[];
  private readonly modules: (string | undefined)[];
  /** False when addresses read as zero (kptr_restrict without CAP_SYSLOG). */
  readonly available: boolean;
  readonly reason?: string;

  constructor(text: string) {
    const rows: [number, string, string | undefined][] = [];
    let zero = 0;
    let start = 0;
    while (start < text.length) {
      let end = text.indexOf('\n', start);
      if (end < 0) end = text.length;
      const line = text.slice(start, end);
      start = end + 1;
      // "ffffffff81000000 T _stext [module]"
      const s1 = line.indexOf(' ');
      const type = line.charCodeAt(s1 + 1) | 0x20; // lower-case
      if (s1 < 0 || (type !== 0x74 /* t */ && type !== 0x77 /* w */)) continue;
      const rest = line.slice(s1 + 3);
      const tab = rest.indexOf('\t');
      const name = tab < 0 ? rest : rest.slice(0, tab);
      const module = tab < 0 ? undefined : rest.slice(tab + 1).replace(/^\[|\]$/g, '');
      // Two 32-bit halves as numbers: no BigInt per line (122k lines), exact below 2^53 offsets.
      const hi = parseInt(line.slice(0, s1 - 8), 16);
      const lo = parseInt(line.slice(s1 - 8, s1), 16);
      if (!hi && !lo) {
        zero++;
        continue;
      }
      if (s1 !== 16 || hi < 0xffff0000) continue;
      rows.push([(hi - 0xffff0000) * 2 ** 32 + lo, name, module]);
    }
    rows.sort((a, b) => a[0] - b[0]);
    this.addrs = Float64Array.from(rows, (r) => r[0]);
    this.names = rows.map((r) => r[1]);
    this.modules = rows.map((r) => r[2]);
    this.available = rows.length > 0;
    if (!this.available) {
      this.reason = zero
        ? 'kernel addresses are hidden (kptr_restrict); run as root or set kernel.kptr_restrict=0'
        : 'no kernel symbols found in /proc/kallsyms';
    }
  }

  static fromProc(path = '/proc/kallsyms'): KallsymsSymbolizer {
    return new KallsymsSymbolizer(readFileSync(path, 'utf8'));
  }

  resolve(addr: bigint): KernelSymbol | undefined {
    if (addr < BASE || !this.addrs.length) return undefined;
    const x = Number(addr - BASE);
    let lo = 0;
    let hi = this.addrs.length - 1;
    if (x < this.addrs[0]!) return undefined;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.addrs[mid]! <= x) lo = mid;
      else hi = mid - 1;
    }
    // No function is a megabyte long: the address is in a region without symbols here (BPF
    // programs and trampolines loaded after kallsyms was read, the gap after init text).
    if (x - this.addrs[lo]! > MAX_FUNCTION_SIZE) return undefined;
    const raw = this.names[lo]!;
    const sym: KernelSymbol = { symbol: stripSuffixes(raw), raw, offset: x - this.addrs[lo]! };
    const m = this.modules[lo];
    if (m) sym.module = m;
    return sym;
  }

  /** Address of a symbol by exact raw name (tests, probes). */
  lookup(name: string): bigint | undefined {
    const i = this.names.indexOf(name);
    return i < 0 ? undefined : BigInt(this.addrs[i]!) + BASE;
  }

  has(name: string): boolean {
    return this.names.includes(name);
  }

  /**
   * A kernel stack as people want it: the tracing machinery that captured it (the BPF program,
   * bpf_trace_run*, the tracepoint's own function) removed from the top.
   */
  kernelStack(addrs: readonly bigint[]): string[] {
    let i = 0;
    while (i < addrs.length) {
      const s = this.resolve(addrs[i]!);
      if (s && !/^(bpf_trace_run\d+|__bpf_trace_|__traceiter_|bpf_prog_|trace_call_bpf|perf_trace_)/.test(s.symbol)) break;
      i++;
    }
    return addrs.slice(i).map((a) => this.format(a));
  }

  format(addr: bigint): string {
    const s = this.resolve(addr);
    if (!s) return `0x${addr.toString(16)}`;
    return `${s.symbol}+0x${s.offset.toString(16)}${s.module ? ` [${s.module}]` : ''}`;
  }
}
