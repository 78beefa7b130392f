export { Sink, toJson, type Envelope, type OutputFormat } from './sink.ts';
export { jsonString, CStringJson } from './json.ts';
export { textTable } from './table.ts';
export { dropEventHeadText, locationText, type DropEventHead, type KernelLocation } from './render.ts';
export { DropJsonText } from './drop-json.ts';
