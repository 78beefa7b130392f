/**
 * Turns raw kernel values (reason codes, addresses, stack ids, flows) into the names of the
 * output contract. The tools build one from the running kernel; tests build one from fixtures.
 */
import type { RawFlow } from './layout.ts';

export interface Location {
  symbol: string;
  offset: number;
}

export interface Flow {
  src: string;
  dst: string;
  sport: number;
  dport: number;
  protocol: string;
  /** ICMP/ICMPv6 only: echo identifier and type/code (ports are 0). */
  icmp_id?: number;
  icmp_type?: number;
  icmp_code?: number;
  /** ARP only: the opcode (1 request, 2 reply); src and dst are sender and target IPs. */
  arp_op?: number;
}

export interface DropResolver {
  reasonName(code: number): string;
  location(addr: bigint): Location | undefined;
  stack(stackId: number): string[] | undefined;
  frames(addrs: readonly bigint[]): string[];
  flow(raw: RawFlow): Flow | undefined;
  formatFlow(flow: Flow): string;
  formatLocation(loc: Location | undefined, addr: bigint): string;
}

const PROTOCOLS: Record<number, string> = { 1: 'ICMP', 6: 'TCP', 17: 'UDP', 58: 'ICMPv6' };

export function protocolName(p: number): string {
  return PROTOCOLS[p] ?? String(p);
}

/** The flow part of the output contract from a raw BPF flow, with an address formatter. */
export function toFlow(raw: RawFlow, formatAddress: (bytes: Uint8Array, family: 4 | 6) => string): Flow | undefined {
  if (raw.family !== 2 && raw.family !== 10) return undefined;
  const fam = raw.family === 2 ? 4 : 6;
  if (raw.ethertype === 0x0806) {
    return { src: formatAddress(raw.saddr, 4), dst: formatAddress(raw.daddr, 4), sport: 0, dport: 0, protocol: 'ARP', arp_op: raw.sport };
  }
  const flow: Flow = {
    src: formatAddress(raw.saddr, fam),
    dst: formatAddress(raw.daddr, fam),
    sport: raw.sport,
    dport: raw.dport,
    protocol: protocolName(raw.protocol),
  };
  if (raw.protocol === 1 || raw.protocol === 58) {
    // The BPF side keeps the echo id in sport and type<<8|code in dport.
    flow.icmp_id = raw.sport;
    flow.icmp_type = raw.dport >> 8;
    flow.icmp_code = raw.dport & 0xff;
    flow.sport = 0;
    flow.dport = 0;
  }
  return flow;
}

/** A resolver backed by the running kernel: BTF drop reasons, kallsyms, the tool's stack map. */
export function kernelResolver(deps: {
  reasons: { name(code: number): string };
  symbols: { resolve(addr: bigint): { symbol: string; offset: number } | undefined; kernelStack(addrs: readonly bigint[]): string[] };
  stackAddrs?: (stackId: number) => bigint[] | undefined;
  formatAddress: (bytes: Uint8Array, family: 4 | 6) => string;
  formatFlow: (f: Flow) => string;
}): DropResolver {
  const stackCache = new Map<number, string[]>();
  return {
    reasonName: (code) => deps.reasons.name(code),
    location: (addr) => {
      const s = deps.symbols.resolve(addr);
      return s ? { symbol: s.symbol, offset: s.offset } : undefined;
    },
    stack: (id) => {
      let frames = stackCache.get(id);
      if (!frames) {
        const addrs = deps.stackAddrs?.(id);
        if (!addrs) return undefined;
        frames = deps.symbols.kernelStack(addrs);
        stackCache.set(id, frames);
      }
      return frames;
    },
    frames: (addrs) => deps.symbols.kernelStack(addrs),
    flow: (raw) => toFlow(raw, deps.formatAddress),
    formatFlow: deps.formatFlow,
    formatLocation: (loc, addr) => (loc ? `${loc.symbol}+0x${loc.offset.toString(16)}` : `0x${addr.toString(16)}`),
  };
}
