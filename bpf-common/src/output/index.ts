export { Sink, toJson, type Envelope, type OutputFormat } from './sink.ts';
