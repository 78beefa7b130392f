/**
 * Flavour choice: each hook lists its flavours in order of preference; the first whose feature
 * the kernel has (and whose own check passes) wins; the others are turned off before load.
 */
import { existsSync, readFileSync } from 'node:fs';
import { Btf, type BpfObject } from '@netstrata/libbpf-ts';
import type { Answer, FeatureName } from './probes.ts';

export interface HookFlavour {
  name: string;
  programs: string[];
  needs: FeatureName;
  /** Extra check (e.g. the hooked function exists): true, or why not. */
  available?: () => true | string;
}

export interface Hook {
  name: string;
  flavours: HookFlavour[];
  /** The tool runs without it (a stage it then does not measure): no flavour is not an error. */
  optional?: boolean;
}

export interface FlavourChoice {
  hook: string;
  chosen?: HookFlavour;
  rejected: { flavour: string; reason: string }[];
  all: HookFlavour[];
}

/**
 * The three flavours of a tracepoint hook, in order of preference, for programs named by the
 * convention `<stem>_tp_btf`, `<stem>_raw_tp`, `<stem>_tp` (the stem is the event's name unless
 * given). `event` is `group:name`: each flavour is available only where this kernel defines it
 * (tracepoints come and go between versions; sock:sk_data_ready is not in 6.1).
 */
export function tracepointFlavours(event: string, stem: string = event.split(':')[1]!): HookFlavour[] {
  return [
    { name: 'tp_btf', programs: [`${stem}_tp_btf`], needs: 'tp_btf', available: () => tracepointDefined(event, 'btf') },
    { name: 'raw_tp', programs: [`${stem}_raw_tp`], needs: 'raw_tp', available: () => tracepointDefined(event, 'btf') },
    { name: 'tracepoint', programs: [`${stem}_tp`], needs: 'tracepoint', available: () => tracepointDefined(event, 'tracefs') },
  ];
}

/**
 * The BTF flavours (tp_btf, raw_tp) of a tracepoint a kernel module defines, such as
 * openvswitch:ovs_dp_upcall: available once the module is loaded, where its BTF defines the event.
 * Programs are named `<name>_tp_btf` and `<name>_raw_tp` (NST_BTF_FLAVOURS).
 */
export function moduleTracepointFlavours(module: string, event: string): HookFlavour[] {
  const name = event.split(':')[1]!;
  const available = () => tracepointDefined(event, 'btf', module);
  return [
    { name: 'tp_btf', programs: [`${name}_tp_btf`], needs: 'tp_btf', available },
    { name: 'raw_tp', programs: [`${name}_raw_tp`], needs: 'raw_tp', available },
  ];
}

/** Why a module's types or hooks are not there: not loaded yet (with what loads it), or a kernel
 * that loads no modules at all (CONFIG_MODULES off: no /proc/modules). */
export function moduleMissing(module: string, loadedBy = `modprobe ${module}`): string {
  return existsSync('/proc/modules') ? `the ${module} module is not loaded (${loadedBy})` : `this kernel loads no modules, and ${module} is not built in`;
}

/** Tracepoints found in a loaded module's BTF, by module (what was not found is asked again: the
 * module may be loaded meanwhile). */
const moduleEvents = new Map<string, Set<string>>();

function moduleDefines(module: string, name: string): boolean | undefined {
  if (moduleEvents.get(module)?.has(name)) return true;
  const path = `/sys/kernel/btf/${module}`;
  if (!existsSync(path)) return undefined;
  // A module's BTF is split BTF (its names go on from the kernel's): its own string table holds the
  // typedef's name when the module defines the event.
  if (!readFileSync(path).includes(`\0btf_trace_${name}\0`)) return false;
  moduleEvents.set(module, (moduleEvents.get(module) ?? new Set()).add(name));
  return true;
}

/** Text symbols of /proc/kallsyms, with the module each is in ('' for the kernel itself). */
let kallsyms: Map<string, string> | undefined;

function textSymbols(): Map<string, string> {
  if (!kallsyms) {
    kallsyms = new Map();
    const text = existsSync('/proc/kallsyms') ? readFileSync('/proc/kallsyms', 'utf8') : '';
    for (const line of text.split('\n')) {
      const [, type, name, mod] = line.split(/\s+/);
      if (name && (type === 't' || type === 'T') && !kallsyms.has(name)) kallsyms.set(name, mod ? mod.replace(/^\[|\]$/g, '') : '');
    }
  }
  return kallsyms;
}

/** A kernel function the kernel can hook by kprobe: a text symbol in /proc/kallsyms. */
export function functionInKallsyms(fn: string): true | string {
  return textSymbols().has(fn) ? true : `${fn} is not a function in /proc/kallsyms`;
}

/** A kernel function: a FUNC in the kernel's BTF. */
export function functionInBtf(fn: string): true | string {
  if (Btf.vmlinux().hasType(fn, 'func')) return true;
  // A loaded module's function: the module's own BTF (split from the kernel's) describes it.
  const mod = textSymbols().get(fn);
  if (mod && existsSync(`/sys/kernel/btf/${mod}`)) return true;
  return `${fn} is not a function in this kernel's BTF${mod ? ` (module ${mod} has no BTF)` : ''}`;
}

/** Arguments a BPF trampoline takes on every kernel (x86-64 took more only from Linux 6.5). */
const TRAMPOLINE_ARGS = 6;

/** A kernel function an fentry program can attach to: in BTF, with few enough arguments for the
 * trampoline (a kprobe reads the first arguments of any function). */
export function fentryTarget(fn: string): true | string {
  const inBtf = functionInBtf(fn);
  if (inBtf !== true) return inBtf;
  const n = Btf.vmlinux().funcParamCount(fn) ?? 0;
  return n <= TRAMPOLINE_ARGS ? true : `${fn} has ${n} arguments: BPF trampolines take ${TRAMPOLINE_ARGS} on kernels before 6.5`;
}

/**
 * The two flavours of a function hook, fentry then kprobe, for programs named `<fn>_fentry` and
 * `<fn>_kprobe`, each available only where the function exists. One hook may be several functions
 * (the paths of one event): each flavour then attaches a program to every one, or to none.
 */
export function functionFlavours(...fns: [string, ...string[]]): HookFlavour[] {
  const all = (check: (fn: string) => true | string) => () => fns.map(check).find((r) => r !== true) ?? true;
  return [
    { name: 'fentry', programs: fns.map((fn) => `${fn}_fentry`), needs: 'fentry', available: all(fentryTarget) },
    { name: 'kprobe', programs: fns.map((fn) => `${fn}_kprobe`), needs: 'kprobe', available: all(functionInKallsyms) },
  ];
}

/** A tracepoint this kernel defines (tracepoints come and go between versions): BTF for the BTF
 * flavours, tracefs for the classic one. `event` is group:name (or group/name). With `module`, the
 * BTF flavours also look in that module's BTF, once it is loaded (a module built into the kernel
 * has its events in the kernel's own). */
export function tracepointDefined(event: string, flavour: 'btf' | 'tracefs', module?: string): true | string {
  const [group, name] = event.split(/[:/]/);
  if (flavour === 'btf') {
    if (Btf.vmlinux().hasType(`btf_trace_${name}`, 'typedef')) return true;
    if (!module) return `no ${group}:${name} tracepoint in this kernel`;
    const found = moduleDefines(module, name!);
    if (found === undefined) return moduleMissing(module);
    return found ? true : `the ${module} module has no ${group}:${name} tracepoint`;
  }
  const dirs = ['/sys/kernel/tracing/events', '/sys/kernel/debug/tracing/events'];
  return dirs.some((d) => existsSync(`${d}/${group}/${name}`)) ? true : `no ${group}:${name} in tracefs`;
}

export function chooseFlavour(hook: Hook, ask: (f: FeatureName) => Answer): FlavourChoice {
  const rejected: FlavourChoice['rejected'] = [];
  for (const f of hook.flavours) {
    const a = ask(f.needs);
    if (a.answer !== 'yes') {
      rejected.push({ flavour: f.name, reason: a.reason });
      continue;
    }
    const ok = f.available?.() ?? true;
    if (ok !== true) {
      rejected.push({ flavour: f.name, reason: ok });
      continue;
    }
    return { hook: hook.name, chosen: f, rejected, all: hook.flavours };
  }
  return { hook: hook.name, rejected, all: hook.flavours };
}

/** Turns off, before load, every program of the flavours not chosen. */
export function applyFlavour(obj: BpfObject, choice: FlavourChoice): void {
  const keep = new Set(choice.chosen?.programs ?? []);
  for (const f of choice.all) for (const p of f.programs) if (!keep.has(p)) obj.program(p).autoload = false;
}
