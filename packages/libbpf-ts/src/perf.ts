/** Perf event array reader: the fallback for kernels without BPF ring buffers (before 5.8). */
import { BpfError, classify } from './errors.ts';
import type { BpfMap } from './map.ts';
import type { Owned } from './object.ts';
import { errno, isNull, n, PerfLostFn, PerfSampleFn, registerCallback, unregister, view, type Ptr } from './native.ts';

export class PerfBuffer implements Owned {
  private pb: Ptr | undefined;
  private readonly callbacks: unknown[];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly map: BpfMap,
    onRecord: (data: DataView, cpu: number) => void,
    onLost: (cpu: number, count: number) => void,
    opts: { pageCount?: number; intervalMs?: number } = {},
  ) {
    const sample = registerCallback((_ctx: Ptr, cpu: number, data: Ptr, size: number) => {
      onRecord(new DataView(view(data, size)), cpu);
    }, PerfSampleFn);
    const lost = registerCallback((_ctx: Ptr, cpu: number, cnt: bigint | number) => onLost(cpu, Number(cnt)), PerfLostFn);
    this.callbacks = [sample, lost];
    errno(0);
    this.pb = n.perf_buffer__new(map.fd, opts.pageCount ?? 64, sample, lost, null, null);
    if (isNull(this.pb)) {
      const e = errno() || 22;
      this.pb = undefined;
      this.callbacks.forEach(unregister);
      throw new BpfError(`open perf buffer ${map.name}`, e, '', classify('map', e, ''));
    }
    map.owner.own(this);
    this.intervalMs = opts.intervalMs ?? 10;
  }

  private readonly intervalMs: number;

  start(): void {
    this.timer ??= setInterval(() => this.drain(), this.intervalMs);
  }

  drain(): number {
    if (!this.pb) return 0;
    const rc = n.perf_buffer__consume(this.pb) as number;
    return rc < 0 ? 0 : rc;
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.pb) n.perf_buffer__free(this.pb);
    this.pb = undefined;
    this.callbacks.forEach(unregister);
    this.callbacks.length = 0;
    this.map.owner.disown(this);
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
