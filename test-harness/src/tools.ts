/**
 * Paths of the built binaries the scenarios run, from the tool registry: a tool is reachable here
 * as soon as its package lists it. Keys are the binaries' names in camel case
 * (foo_bar_summary → fooBarSummary), and `netstrata` for the cli.
 */
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chooseFlavours } from '@netstrata/bpf-common';
import { TOOLS } from '@netstrata/cli';
import { z } from 'zod';

function bin(pkg: string, name: string): string {
  const p = fileURLToPath(new URL(`../../packages/${pkg}/dist/${name}.js`, import.meta.url));
  if (!existsSync(p)) throw new Error(`${name} is not built (${p}); run npm run build`);
  return p;
}

export const camelName = (name: string): string => name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/** Every tool the registry lists, with where it lives. */
export interface ListedTool {
  /** The name in camel case, as toolPath takes it. */
  key: string;
  name: string;
  domain: string;
  kind: 'summary' | 'details';
  /** The question, as --help and the docs state it. */
  describe: string;
  /** Whether every hook it must have has a classic tracepoint flavour (the last fallback). */
  classic: boolean;
  /** Whether it takes the packet filters (--ip, --port, --protocol, ...). */
  packetFilters: boolean;
}

export const TOOL_LIST: readonly ListedTool[] = TOOLS.map((t) => ({
  key: camelName(t.name),
  name: t.name,
  domain: t.domain,
  kind: t.kind,
  describe: t.describe,
  classic: t.hooks.every((h) => h.optional || h.flavours.some((f) => f.name === 'tracepoint')),
  packetFilters: t.uses.filter === 'packet' || t.uses.filter === 'flow',
}));

/** Whether a tool can run on this kernel: true, or the one line it says when it cannot (a hook it
 * must have that no flavour of this kernel's offers, such as the vhost tools' module functions on a
 * kernel without vhost or function hooks). Probes the kernel: root only. */
export function runsHere(name: string): true | string {
  const t = TOOLS.find((x) => x.name === name);
  if (!t) throw new Error(`no tool '${name}' in the registry`);
  try {
    chooseFlavours(t.hooks);
    return true;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/** Options a tool needs to run at all in a test, beyond none (a process to watch). */
export function requiredArgs(name: string, targetPid: () => number): string[] {
  if (name === 'lock_wait_summary') return ['--pid', String(targetPid())];
  // Loopback is in every namespace: a valid interface to follow, if an idle one.
  if (name.startsWith('vm_network_latency_')) return ['--vm-interface', 'lo'];
  // A path enters by one device and leaves by another: loopback and any other of this namespace.
  if (name.startsWith('packet_path_')) return ['--rx-interface', 'lo', '--tx-interface', otherInterface()];
  if (name === 'icmp_rtt_details') return ['--tx-interface', 'lo'];
  return [];
}

/** A details tool's own on/off options, all on: its most expensive mode (kernel stacks, every stage,
 * every packet). */
export function everyDetailArgs(name: string): string[] {
  const t = TOOLS.find((x) => x.name === name);
  if (!t) throw new Error(`no tool '${name}' in the registry`);
  if (t.kind !== 'details') return [];
  return Object.entries(t.spec.schema ?? {})
    .filter(([, v]) => v instanceof z.ZodBoolean)
    .map(([k]) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
}

/** A device of this namespace other than loopback (a host that fetched its packages has one). */
function otherInterface(): string {
  const dev = readdirSync('/sys/class/net').sort().find((d) => d !== 'lo');
  if (!dev) throw new Error('no network device but loopback in this namespace');
  return dev;
}

/** --interval for tools that have intervals (details tools refuse it): one report at most. */
export const longInterval = (t: Pick<ListedTool, 'kind'>): string[] => (t.kind === 'summary' ? ['--interval', '3600'] : []);

const PATHS: Record<string, [string, string]> = Object.fromEntries([...TOOL_LIST.map((t) => [t.key, [t.domain, t.name]]), ['netstrata', ['cli', 'netstrata']]]);

/** A binary's path by key, resolved when used (a scenario that runs one tool needs only that one
 * built); an unknown key is a mistake in the test, not a tool that silently does not run. */
export function toolPath(key: string): string {
  const p = PATHS[key];
  if (!p) throw new Error(`no tool '${key}' in the registry (keys: ${Object.keys(PATHS).join(', ')})`);
  return bin(p[0], p[1]);
}
