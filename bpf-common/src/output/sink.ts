/** Where records go: text for people, NDJSON for programs. Renderers stay pure; sinks write. */
import type { Writable } from 'node:stream';

export type OutputFormat = 'text' | 'json';

export interface Envelope {
  type: 'interval' | 'final' | 'event' | 'info';
  tool: string;
  time: string;
  [field: string]: unknown;
}

const bigintSafe = (_k: string, v: unknown) =>
  typeof v === 'bigint' ? (v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString()) : v;

/** JSON with bigints as numbers when exact, else as decimal strings. */
export function toJson(value: unknown): string {
  try {
    // Records rarely hold bigints: the plain path is several times faster than a replacer.
    return JSON.stringify(value);
  } catch {
    return JSON.stringify(value, bigintSafe);
  }
}

/** Lines kept before a write is forced, when a burst of events arrives in one turn. */
const MAX_PENDING = 4096;

export class Sink {
  constructor(
    readonly format: OutputFormat,
    private readonly out: Writable = process.stdout,
  ) {
    // The reader went away (`tool | head`): exit quietly, as a pipeline expects. Nothing is pinned,
    // so the kernel detaches every program when the process's descriptors close.
    out.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(0);
      throw err;
    });
  }

  private pending: string[] = [];
  private scheduled = false;

  /**
   * Writes a record: its JSON line, or the text its renderer made. Events are gathered and written
   * once per event-loop turn (one syscall for a burst, not one per event); any other record
   * flushes at once, so reports and the final record are never held back.
   */
  record<T extends { type: Envelope['type']; tool: string; time: string }>(rec: T, text: () => string): void {
    this.pending.push(this.format === 'json' ? `${toJson(rec)}\n` : `${text()}\n`);
    if (rec.type !== 'event' || this.pending.length >= MAX_PENDING) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  flush(): void {
    this.scheduled = false;
    if (!this.pending.length) return;
    const chunk = this.pending.join('');
    this.pending = [];
    this.out.write(chunk);
  }

  /** Notes for people (chosen hooks, warnings): stderr in text mode, `info` records in JSON. */
  info(tool: string, message: string): void {
    this.flush();
    if (this.format === 'json') this.out.write(`${toJson({ type: 'info', tool, time: new Date().toISOString(), message })}\n`);
    else process.stderr.write(`${tool}: ${message}\n`);
  }
}
