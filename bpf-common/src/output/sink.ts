/** Where records go: text for people, NDJSON for programs. Renderers stay pure; sinks write. */
import type { Writable } from 'node:stream';

export type OutputFormat = 'text' | 'json';

export interface Envelope {
  type: 'interval' | 'final' | 'event' | 'info';
  tool: string;
  time: string;
  [field: string]: unknown;
}

/** JSON with bigints as numbers when exact, else as decimal strings. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? (v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString()) : v));
}

export class Sink {
  constructor(
    readonly format: OutputFormat,
    private readonly out: Writable = process.stdout,
  ) {}

  /** Writes a record: its JSON line, or the text its renderer made. */
  record<T extends { type: Envelope['type']; tool: string; time: string }>(rec: T, text: () => string): void {
    if (this.format === 'json') this.out.write(`${toJson(rec)}\n`);
    else this.out.write(`${text()}\n`);
  }

  /** Notes for people (chosen hooks, warnings): stderr in text mode, `info` records in JSON. */
  info(tool: string, message: string): void {
    if (this.format === 'json') this.out.write(`${toJson({ type: 'info', tool, time: new Date().toISOString(), message })}\n`);
    else process.stderr.write(`${tool}: ${message}\n`);
  }
}
