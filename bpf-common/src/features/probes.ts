/**
 * Kernel feature probes. Each asks the kernel by loading or attaching the smallest program of a
 * kind, never by version number, and answers yes / no / unknown with the reason.
 */
import { existsSync } from 'node:fs';
import { BpfError, BpfObject, Btf, createMap, loadTinyProgram, openRawTracepoint } from '@netstrata/libbpf-ts';
import probes from '../../build/bpf/probes.bpf.o';

export const FEATURES = ['btf', 'tracefs', 'tp_btf', 'raw_tp', 'tracepoint', 'fentry', 'kprobe', 'kprobe_multi', 'ringbuf'] as const;
export type FeatureName = (typeof FEATURES)[number];

export interface Answer {
  answer: 'yes' | 'no' | 'unknown';
  reason: string;
}

/** Functions present in every kernel we support and never inlined away: probe attach targets. */
const TARGETS = ['do_nanosleep', 'vfs_read', 'do_sys_openat2', 'ksys_read'];

const cache = new Map<FeatureName, Answer>();

const PROG_TYPE_RAW_TRACEPOINT = 17;
const PROG_TYPE_TRACING = 26;
const ATTACH_TRACE_RAW_TP = 23;
const ATTACH_TRACE_FENTRY = 24;
/** The tracepoint the probes attach to: in every kernel, and in its BTF as btf_trace_sys_enter. */
const PROBE_TRACEPOINT = 'sys_enter';

/**
 * What an attaching probe leaves attached until the tool is ready: detaching a tracepoint or a
 * kprobe waits for an RCU grace period (tens of ms on a busy host), which is no reason to start
 * later. Closed by releaseProbes.
 */
const held: { close(): void }[] = [];

/** Detaches and closes what the probes attached; the lifecycle calls it once the tool is ready. */
export function releaseProbes(): void {
  for (const h of held.splice(0)) h.close();
}

function disabled(): Set<string> {
  return new Set((process.env.NETSTRATA_DISABLE_FEATURES ?? '').split(',').map((s) => s.trim()).filter(Boolean));
}

export function probe(name: FeatureName): Answer {
  if (disabled().has(name)) return { answer: 'no', reason: 'disabled by NETSTRATA_DISABLE_FEATURES' };
  let a = cache.get(name);
  if (!a) {
    a = run(name);
    cache.set(name, a);
  }
  return a;
}

export function probeAll(): Record<FeatureName, Answer> {
  return Object.fromEntries(FEATURES.map((f) => [f, probe(f)])) as Record<FeatureName, Answer>;
}

/** For tests: forget cached answers. */
export function resetProbes(): void {
  releaseProbes();
  cache.clear();
}

function run(name: FeatureName): Answer {
  switch (name) {
    case 'btf':
      return existsSync('/sys/kernel/btf/vmlinux')
        ? { answer: 'yes', reason: '/sys/kernel/btf/vmlinux present' }
        : { answer: 'no', reason: 'no /sys/kernel/btf/vmlinux: the kernel was built without CONFIG_DEBUG_INFO_BTF' };
    case 'tracefs':
      return existsSync('/sys/kernel/tracing/events') || existsSync('/sys/kernel/debug/tracing/events')
        ? { answer: 'yes', reason: 'tracefs mounted' }
        : { answer: 'no', reason: 'tracefs not mounted (mount -t tracefs nodev /sys/kernel/tracing)' };
    case 'ringbuf':
      try {
        createMap(27 /* BPF_MAP_TYPE_RINGBUF */, 0, 0, 4096).close();
        return { answer: 'yes', reason: 'ring buffer map created' };
      } catch (e) {
        return fromError(e, 'ring buffer maps');
      }
    case 'tp_btf': {
      // The target by its BTF id, from the kernel BTF this process reads anyway: libbpf would
      // parse all of it again for one id.
      const id = kernelTypeId(`btf_trace_${PROBE_TRACEPOINT}`, 'typedef');
      if (id === undefined) return { answer: 'no', reason: `no btf_trace_${PROBE_TRACEPOINT} in the kernel's BTF` };
      return tinyProbe(PROG_TYPE_TRACING, { name: 'probe_tp_btf', expectedAttachType: ATTACH_TRACE_RAW_TP, attachBtfId: id }, null);
    }
    case 'raw_tp':
      return tinyProbe(PROG_TYPE_RAW_TRACEPOINT, { name: 'probe_raw_tp' }, PROBE_TRACEPOINT);
    case 'tracepoint':
      return attachProbe('probe_tracepoint', (o) => o.program('probe_tracepoint').attach());
    case 'fentry': {
      const target = btfTarget();
      const id = target === undefined ? undefined : kernelTypeId(target, 'func');
      if (id === undefined) return { answer: 'unknown', reason: 'no known function in kernel BTF to probe with' };
      return tinyProbe(PROG_TYPE_TRACING, { name: 'probe_fentry', expectedAttachType: ATTACH_TRACE_FENTRY, attachBtfId: id }, null);
    }
    case 'kprobe': {
      const target = btfTarget() ?? TARGETS[0]!;
      return attachProbe('probe_kprobe', (o) => o.program('probe_kprobe').attachKprobe(target));
    }
    case 'kprobe_multi': {
      const target = btfTarget() ?? TARGETS[0]!;
      return attachProbe('probe_kprobe_multi', (o) => o.program('probe_kprobe_multi').attachKprobeMulti(target));
    }
  }
}

function kernelTypeId(name: string, kind: 'typedef' | 'func'): number | undefined {
  try {
    return Btf.vmlinux().typeId(name, kind);
  } catch {
    return undefined;
  }
}

/** Loads the smallest program of a type and attaches it by raw tracepoint open (a tracing program
 * by its BTF target when `tracepoint` is null). */
function tinyProbe(type: number, opts: Parameters<typeof loadTinyProgram>[1], tracepoint: string | null): Answer {
  let prog: { close(): void } | undefined;
  let step = 'load';
  try {
    const p = loadTinyProgram(type, opts);
    prog = p;
    step = 'attach';
    held.push(openRawTracepoint(p.fd, tracepoint), p);
    prog = undefined;
    return { answer: 'yes', reason: 'loaded and attached' };
  } catch (e) {
    return fromError(e, step);
  } finally {
    prog?.close();
  }
}

function btfTarget(): string | undefined {
  try {
    const btf = Btf.vmlinux();
    return TARGETS.find((t) => btf.hasType(t, 'func'));
  } catch {
    return undefined;
  }
}

function attachProbe(program: string, attach: (o: BpfObject) => unknown, before?: (o: BpfObject) => void): Answer {
  let obj: BpfObject | undefined;
  let step = 'open';
  try {
    obj = BpfObject.open(probes, 'nst_probe');
    for (const p of obj.programs()) p.autoload = p.name === program;
    before?.(obj);
    step = 'load';
    obj.load();
    step = 'attach';
    attach(obj);
    held.push(obj);
    obj = undefined;
    return { answer: 'yes', reason: 'loaded and attached' };
  } catch (e) {
    return fromError(e, step === 'load' ? 'load' : 'attach');
  } finally {
    obj?.close();
  }
}

function fromError(e: unknown, what: string): Answer {
  if (e instanceof BpfError) {
    if (e.kind === 'unsupported' || e.kind === 'permission' || e.kind === 'not-found' || e.kind === 'verifier') {
      return { answer: 'no', reason: `${what} refused: ${e.errnoName}${hint(e)}` };
    }
    return { answer: 'unknown', reason: `${what} failed: ${e.message}` };
  }
  return { answer: 'unknown', reason: `${what} failed: ${e instanceof Error ? e.message : String(e)}` };
}

function hint(e: BpfError): string {
  if (e.errno === 1 && /load/.test(e.op)) return ' (the kernel refuses this program type here, e.g. BPF trampolines are disabled)';
  if (e.errno === 2 && /kprobe/.test(e.op) && !existsSync('/sys/bus/event_source/devices/kprobe') && !existsSync('/sys/kernel/tracing/kprobe_events')) {
    return ' (no kprobe PMU and no kprobe_events: the kernel is built without CONFIG_KPROBES)';
  }
  if (e.errno === 95 || e.errno === 524) return ' (not supported by this kernel)';
  return '';
}
