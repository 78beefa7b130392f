/** A BpfProgram is one program of a BpfObject: its autoload flavour switch, attach target and attachments. */
import { callInt, callPtr } from './call.ts';
import { BpfError } from './errors.ts';
import type { BpfLink } from './link.ts';
import { address, n, type Ptr } from './native.ts';
import type { BpfObject } from './object.ts';

const UPROBE_OPTS_SIZE = 40; // struct bpf_uprobe_opts in libbpf 1.1

/** struct bpf_prog_info (include/uapi/linux/bpf.h): run_time_ns and run_cnt (5.1+), then
 * recursion_misses (5.12+); older kernels return a shorter info. */
const PROG_INFO_RUN_TIME = 192;
const PROG_INFO_RUN_CNT = 200;
const PROG_INFO_MISSES = 208;
const PROG_INFO_SIZE = 232;

/** What the kernel counts for a loaded program. `runs` and `runNs` grow only while run-time
 * statistics are on (sysctl kernel.bpf_stats_enabled, or an enableStats() holder). */
export interface ProgramStats {
  runs: number;
  runNs: number;
  misses: number;
}

export class BpfProgram {
  readonly name: string;
  readonly section: string;

  constructor(
    private readonly owner: BpfObject,
    private readonly ptr: Ptr,
  ) {
    this.name = n.bpf_program__name(ptr) as string;
    this.section = n.bpf_program__section_name(ptr) as string;
  }

  get type(): number {
    this.owner.check();
    return n.bpf_program__type(this.ptr) as number;
  }

  get autoload(): boolean {
    this.owner.check();
    return n.bpf_program__autoload(this.ptr) as boolean;
  }

  set autoload(on: boolean) {
    this.owner.check();
    if (this.owner.loaded) throw new BpfError(`autoload ${this.name}`, 22, '', 'invalid', 'cannot change autoload after load');
    callInt(`autoload ${this.name}`, 'other', () => n.bpf_program__set_autoload(this.ptr, on) as number);
  }

  /**
   * How often the kernel skipped this program at its hook because a BPF program was already
   * running on that CPU (struct bpf_prog_info.recursion_misses, UAPI). 0 before load.
   */
  get misses(): number {
    return this.stats().misses;
  }

  /** The kernel's counters of this program, in one call; zeros before load. */
  stats(): ProgramStats {
    this.owner.check();
    const fd = n.bpf_program__fd(this.ptr) as number;
    if (fd < 0) return { runs: 0, runNs: 0, misses: 0 };
    const info = new Uint8Array(PROG_INFO_SIZE);
    const len = [PROG_INFO_SIZE];
    callInt(`info of ${this.name}`, 'other', () => n.bpf_obj_get_info_by_fd(fd, info, len) as number);
    const v = new DataView(info.buffer);
    const at = (off: number) => (len[0]! >= off + 8 ? Number(v.getBigUint64(off, true)) : 0);
    return { runs: at(PROG_INFO_RUN_CNT), runNs: at(PROG_INFO_RUN_TIME), misses: at(PROG_INFO_MISSES) };
  }

  setAttachTarget(funcName: string): void {
    this.owner.check();
    callInt(`set attach target ${funcName} of ${this.name}`, 'other', () => n.bpf_program__set_attach_target(this.ptr, 0, funcName) as number);
  }

  get fd(): number {
    this.owner.check();
    return n.bpf_program__fd(this.ptr) as number;
  }

  private link(op: string, fn: () => Ptr): BpfLink {
    this.owner.check();
    const ptr = callPtr(op, 'attach', fn);
    return this.owner.adopt(ptr);
  }

  attach(): BpfLink {
    return this.link(`attach ${this.name}`, () => n.bpf_program__attach(this.ptr));
  }

  attachTracepoint(category: string, name: string): BpfLink {
    return this.link(`attach ${this.name} to tracepoint ${category}:${name}`, () => n.bpf_program__attach_tracepoint(this.ptr, category, name));
  }

  attachRawTracepoint(name: string): BpfLink {
    return this.link(`attach ${this.name} to raw tracepoint ${name}`, () => n.bpf_program__attach_raw_tracepoint(this.ptr, name));
  }

  attachKprobe(funcName: string, opts: { retprobe?: boolean } = {}): BpfLink {
    return this.link(`attach ${this.name} to ${opts.retprobe ? 'kretprobe' : 'kprobe'} ${funcName}`, () =>
      n.bpf_program__attach_kprobe(this.ptr, !!opts.retprobe, funcName),
    );
  }

  /** kprobe.multi: one link for every kernel function matching a glob pattern. */
  attachKprobeMulti(pattern: string): BpfLink {
    return this.link(`attach ${this.name} to kprobe.multi ${pattern}`, () => n.bpf_program__attach_kprobe_multi_opts(this.ptr, pattern, null));
  }

  attachUprobe(opts: { binaryPath: string; pid?: number; funcName?: string; offset?: number; retprobe?: boolean }): BpfLink {
    const o = Buffer.alloc(UPROBE_OPTS_SIZE);
    o.writeBigUInt64LE(BigInt(UPROBE_OPTS_SIZE), 0);
    o.writeUInt8(opts.retprobe ? 1 : 0, 24);
    // func_name must outlive the call: keep the C string in a buffer referenced until return.
    const fname = opts.funcName ? Buffer.from(`${opts.funcName}\0`) : undefined;
    if (fname) o.writeBigUInt64LE(address(fname), 32);
    const what = opts.funcName ?? `0x${(opts.offset ?? 0).toString(16)}`;
    return this.link(`attach ${this.name} to ${opts.retprobe ? 'uretprobe' : 'uprobe'} ${opts.binaryPath}:${what}`, () =>
      n.bpf_program__attach_uprobe_opts(this.ptr, opts.pid ?? -1, opts.binaryPath, opts.offset ?? 0, o),
    );
  }
}
