export { Sink, toJson, type Envelope, type OutputFormat } from './sink.ts';
export { jsonString, CStringJson } from './json.ts';
export { textTable } from './table.ts';
