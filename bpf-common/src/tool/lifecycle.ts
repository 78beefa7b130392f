/**
 * The tool lifecycle, written once: open → set rodata → choose flavours → load → attach → ready →
 * loop → final → dispose. A tool supplies its object, its hooks, its rodata and its run loop.
 * Every native handle belongs to the BpfObject, which `using` closes on every way out.
 */
import { writeFileSync } from 'node:fs';
import { BpfError, BpfObject, type BpfLink } from '@netstrata/libbpf-ts';
import { applyFlavour, chooseFlavour, probe, releaseProbes, type Hook, type FlavourChoice } from '../features/index.ts';
import { UsageError } from '../cli/index.ts';
import { settleAfterStart } from './settle.ts';

export type RodataValue = Uint8Array | number | bigint | boolean;

export interface ToolContext {
  readonly obj: BpfObject;
  readonly signal: AbortSignal;
  readonly choices: readonly FlavourChoice[];
  /** Diagnostics for --verbose, on stderr so they never mix with NDJSON. */
  readonly debug: (message: string) => void;
}

export interface ToolDefinition {
  /** Binary name, also the BPF object's name. */
  readonly name: string;
  readonly object: Uint8Array;
  readonly hooks: readonly Hook[];
  /** Programs the tool attaches itself in `attach`, outside any hook's flavours. */
  readonly ownPrograms?: readonly string[];
  readonly rodata: Readonly<Record<string, RodataValue>>;
  /** Before load: map sizes and other object settings that depend on options. */
  readonly beforeLoad?: (obj: BpfObject) => void;
  /** After the hooks attach: links a tool makes itself (uprobes on a library it found). The links
   * belong to the object, which closes them on every way out. */
  readonly attach?: (obj: BpfObject) => void;
  /** After attach and the ready file: runs until the signal fires, then prints the final record. */
  readonly run: (ctx: ToolContext) => Promise<void>;
}

export interface LifecycleOptions {
  readonly signal: AbortSignal;
  readonly verbose?: boolean;
  readonly readyFile?: string;
  /** Where --verbose diagnostics go (the tool's sink: stderr in text, `info` records in JSON). */
  readonly log?: (message: string) => void;
}

/** Chooses a flavour for every hook or explains, in one line, what this kernel lacks. */
export function chooseFlavours(hooks: readonly Hook[]): FlavourChoice[] {
  return hooks.map((hook) => {
    const choice = chooseFlavour(hook, probe);
    if (!choice.chosen && !hook.optional) {
      const why = choice.rejected.map((r) => `${r.flavour}: ${r.reason}`).join('; ');
      throw new UsageError(`cannot hook ${hook.name} on this kernel (${why})`);
    }
    return choice;
  });
}

export async function runLifecycle(def: ToolDefinition, opts: LifecycleOptions): Promise<void> {
  try {
    await lifecycle(def, opts);
  } finally {
    releaseProbes();
  }
}

async function lifecycle(def: ToolDefinition, opts: LifecycleOptions): Promise<void> {
  const debug = (message: string) => {
    if (!opts.verbose) return;
    if (opts.log) opts.log(message);
    else process.stderr.write(`${def.name}: ${message}\n`);
  };
  const choices = chooseFlavours(def.hooks);
  for (const c of choices) {
    debug(c.chosen ? `hook ${c.hook}: using ${c.chosen.name}` : `hook ${c.hook}: not used (${c.rejected.map((r) => `${r.flavour}: ${r.reason}`).join('; ')})`);
  }

  using obj = step('open', () => BpfObject.open(def.object, def.name));
  step('set rodata', () => {
    for (const [name, value] of Object.entries(def.rodata)) obj.setRodata(name, value);
  });
  for (const c of choices) applyFlavour(obj, c);
  // Only what this run attaches is loaded: flavours not chosen, hooks not used, and handlers a
  // shared header brings along cost verifier time and kernel memory for nothing.
  const keep = new Set([...choices.flatMap((c) => c.chosen?.programs ?? []), ...(def.ownPrograms ?? [])]);
  for (const p of obj.programs()) if (!keep.has(p.name)) p.autoload = false;
  def.beforeLoad?.(obj);
  step('load', () => obj.load());
  for (const [i, c] of choices.entries()) {
    if (!c.chosen) continue;
    const links: BpfLink[] = [];
    try {
      for (const prog of c.chosen.programs) links.push(step(`attach ${prog}`, () => obj.program(prog).attach()));
    } catch (err) {
      // An optional hook the kernel will not attach is a stage not measured, said in its choice;
      // none of its programs stay attached (a hook's programs work together).
      if (!def.hooks[i]!.optional) throw err;
      for (const l of links) l.destroy();
      c.rejected.push({ flavour: c.chosen.name, reason: err instanceof Error ? err.message : String(err) });
      c.chosen = undefined;
      debug(`hook ${c.hook}: not used (${c.rejected.at(-1)!.reason})`);
    }
  }
  if (def.attach) step('attach', () => def.attach!(obj));
  if (opts.signal.aborted) return;
  if (opts.readyFile) writeFileSync(opts.readyFile, `${process.pid}\n`);
  debug('attached; ready');
  // What the feature probes attached is let go once the tool is ready: detaching waits for the
  // kernel (an RCU grace period), and nothing waits for this process to be ready any more.
  releaseProbes();
  using _settle = settleAfterStart();
  await def.run({ obj, signal: opts.signal, choices, debug });
}

/** Runs one step of the lifecycle; a failure names the step (BpfErrors already name theirs). */
function step<T>(name: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof BpfError || err instanceof UsageError) throw err;
    const message = err instanceof Error ? err.message : String(err);
    throw new Error(`failed to ${name}: ${message}`, { cause: err });
  }
}
