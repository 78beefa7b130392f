/** Where records go: text for people, NDJSON for programs. Renderers stay pure; sinks write. */
import { writeSync } from 'node:fs';
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

/** Bytes of output kept before a write is forced, when a burst of events arrives in one turn:
 * large enough that a write costs little per event, small enough to stay in the cache. */
const CHUNK_BYTES = 256 * 1024;

/** How long a write to a full non-blocking descriptor waits before it tries again: short at first
 * (a reader that keeps up has room again within microseconds), longer while it stays full. */
const RETRY_MIN_MS = 0.05;
const RETRY_MAX_MS = 2;
const pauseCell = new Int32Array(new SharedArrayBuffer(4));
/** Blocks the thread (not only this task) for `ms`, as a blocking write(2) would wait. */
const pause = (ms: number) => Atomics.wait(pauseCell, 0, 0, ms);

export class Sink {
  /** stdout is written with write(2) on its descriptor: synchronous, so a reader that cannot keep up
   * holds the tool back (and the kernel counts what the ring cannot take) instead of output piling
   * up in memory. Any other stream (tests) is written through the stream. */
  private readonly fd: number | undefined;
  /** The stream to write to when there is no descriptor. */
  private readonly out: Writable | undefined;

  /** `out`: a stream, or a descriptor to write to as stdout is (the bench's /dev/null). */
  constructor(
    readonly format: OutputFormat,
    out: Writable | number = process.stdout,
  ) {
    this.out = typeof out === 'number' ? undefined : out;
    this.fd = typeof out === 'number' ? out : out === process.stdout ? 1 : undefined;
    // The reader went away (`tool | head`): exit quietly, as a pipeline expects. Nothing is pinned,
    // so the kernel detaches every program when the process's descriptors close.
    if (typeof out !== 'number') {
      out.on('error', (err: NodeJS.ErrnoException) => {
        if (err.code === 'EPIPE') process.exit(0);
        throw err;
      });
    }
  }

  /** Lines not written yet, as UTF-8 bytes: each line is copied in as it is made (a line is
   * flattened and encoded once, in native code; one long string of lines would be flattened again). */
  private buf = Buffer.allocUnsafe(2 * CHUNK_BYTES);
  private pos = 0;
  private scheduled = false;

  /**
   * Writes a record: its JSON line, or the text its renderer made. Events are gathered and written
   * once per event-loop turn (one syscall for a burst, not one per event); any other record
   * flushes at once, so reports and the final record are never held back.
   */
  record<T extends { type: Envelope['type']; tool: string; time: string }>(rec: T, text: () => string): void {
    if (rec.type === 'event') return this.event(`${this.format === 'json' ? toJson(rec) : text()}\n`);
    this.append(`${this.format === 'json' ? toJson(rec) : text()}\n`);
    this.flush();
  }

  /** One event's line, already made, its newline included: gathered with the other events of this
   * turn. */
  event(line: string): void {
    this.append(line);
    if (this.pos >= CHUNK_BYTES) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private append(text: string): void {
    if (this.pos + text.length * 3 > this.buf.length) {
      // Only a line longer than the chunk gets here: room for it.
      this.flush();
      if (text.length * 3 > this.buf.length) this.buf = Buffer.allocUnsafe(text.length * 3);
    }
    this.pos += this.buf.write(text, this.pos);
  }

  flush(): void {
    this.scheduled = false;
    const n = this.pos;
    if (!n) return;
    this.pos = 0;
    this.write(this.buf.subarray(0, n));
  }

  private write(bytes: Buffer): void {
    if (this.fd === undefined) {
      // A stream may keep what it is given: a copy, as the buffer is written again.
      this.out!.write(Buffer.from(bytes));
      return;
    }
    let done = 0;
    let wait = RETRY_MIN_MS;
    while (done < bytes.length) {
      try {
        // A signal can interrupt a write to a pipe part-way: write the rest.
        done += writeSync(this.fd, bytes, done);
        wait = RETRY_MIN_MS;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EPIPE') process.exit(0);
        if (code !== 'EAGAIN') throw e;
        // Node makes a pipe's descriptor non-blocking once process.stdout is touched: wait for the
        // reader here as a blocking write would. Handing the rest to the stream would queue every
        // line the reader has not taken yet, in memory, without bound.
        pause(wait);
        wait = Math.min(wait * 2, RETRY_MAX_MS);
      }
    }
  }

  /** Notes for people (chosen hooks, warnings): stderr in text mode, `info` records in JSON. */
  info(tool: string, message: string): void {
    this.flush();
    if (this.format === 'json') {
      this.append(`${toJson({ type: 'info', tool, time: new Date().toISOString(), message })}\n`);
      this.flush();
    }
    else process.stderr.write(`${tool}: ${message}\n`);
  }
}
