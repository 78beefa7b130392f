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

function parseHex(buf: Uint8Array, from: number, to: number): number {
  let v = 0;
  for (let i = from; i < to; i++) {
    const c = buf[i]!;
    v = v * 16 + (c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x57);
  }
  return v;
}

export class KallsymsSymbolizer {
  private readonly addrs: Float64Array;
  // Names live in one byte buffer, sliced into strings only when looked up: 122k strings would
  // cost tens of MB of heap for a tool that resolves a handful of addresses.
  private readonly nameBytes: Buffer;
  private readonly nameStart: Uint32Array;
  private readonly nameEnd: Uint32Array;
  /** Module of each symbol, as an index into moduleNames (0: the kernel itself). */
  private readonly moduleOf: Uint16Array;
  private readonly moduleNames: string[] = [''];
  /** False when addresses read as zero (kptr_restrict without CAP_SYSLOG). */
  readonly available: boolean;
  readonly reason?: string;

  constructor(text: string | Uint8Array) {
    const buf = typeof text === 'string' ? Buffer.from(text, 'latin1') : Buffer.from(text.buffer, text.byteOffset, text.byteLength);
    const addrs: number[] = [];
    const starts: number[] = [];
    const ends: number[] = [];
    const mods: number[] = [];
    const moduleIds = new Map<string, number>();
    let zero = 0;
    let start = 0;
    // Parsed from bytes: no string per line.
    while (start < buf.length) {
      let end = buf.indexOf(0x0a, start);
      if (end < 0) end = buf.length;
      const line = start;
      start = end + 1;
      // "ffffffff81000000 T _stext\t[module]"
      const sp = buf.indexOf(0x20, line);
      if (sp < 0 || sp + 3 > end) continue;
      const type = buf[sp + 1]! | 0x20; // lower-case
      if (type !== 0x74 /* t */ && type !== 0x77 /* w */) continue;
      const hi = parseHex(buf, line, sp - 8);
      const lo = parseHex(buf, sp - 8, sp);
      if (!hi && !lo) {
        zero++;
        continue;
      }
      if (sp - line !== 16 || hi < 0xffff0000) continue;
      // Look for the module's tab inside this line only: indexOf would scan ahead into later lines.
      let nameEnd = sp + 3;
      while (nameEnd < end && buf[nameEnd] !== 0x09) nameEnd++;
      addrs.push((hi - 0xffff0000) * 2 ** 32 + lo);
      starts.push(sp + 3);
      ends.push(nameEnd);
      let mod = 0;
      if (nameEnd < end) {
        const m = buf.toString('latin1', nameEnd + 1, end).replace(/^\[|\]$/g, '');
        mod = moduleIds.get(m) ?? 0;
        if (!mod) {
          mod = this.moduleNames.push(m) - 1;
          moduleIds.set(m, mod);
        }
      }
      mods.push(mod);
    }
    const order = addrs.map((_, i) => i).sort((x, y) => addrs[x]! - addrs[y]!);
    this.addrs = Float64Array.from(order, (i) => addrs[i]!);
    let total = 0;
    for (const i of order) total += ends[i]! - starts[i]!;
    this.nameBytes = Buffer.allocUnsafe(total);
    this.nameStart = new Uint32Array(order.length);
    this.nameEnd = new Uint32Array(order.length);
    this.moduleOf = new Uint16Array(order.length);
    let at = 0;
    order.forEach((i, k) => {
      this.nameStart[k] = at;
      at += buf.copy(this.nameBytes, at, starts[i]!, ends[i]!);
      this.nameEnd[k] = at;
      this.moduleOf[k] = mods[i]!;
    });
    this.available = this.addrs.length > 0;
    if (!this.available) {
      this.reason = zero
        ? 'kernel addresses are hidden (kptr_restrict); run as root or set kernel.kptr_restrict=0'
        : 'no kernel symbols found in /proc/kallsyms';
    }
  }

  static fromProc(path = '/proc/kallsyms'): KallsymsSymbolizer {
    return new KallsymsSymbolizer(readFileSync(path));
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
    const raw = this.name(lo);
    const sym: KernelSymbol = { symbol: stripSuffixes(raw), raw, offset: x - this.addrs[lo]! };
    const m = this.moduleOf[lo]!;
    if (m) sym.module = this.moduleNames[m]!;
    return sym;
  }

  private name(k: number): string {
    return this.nameBytes.toString('latin1', this.nameStart[k], this.nameEnd[k]);
  }

  /** Address of a symbol by exact raw name (tests, probes): a linear scan, not for hot paths. */
  lookup(name: string): bigint | undefined {
    for (let k = 0; k < this.addrs.length; k++) if (this.name(k) === name) return BigInt(this.addrs[k]!) + BASE;
    return undefined;
  }

  has(name: string): boolean {
    return this.lookup(name) !== undefined;
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
