export { BpfError, errnoName, type BpfErrorKind } from './errors.ts';
export { Btf, type DatasecVariable } from './btf.ts';
export { BpfObject, BpfProgram, BpfMap, BpfLink, numPossibleCpus } from './object.ts';
export { RingReader, type RingReaderOptions } from './ring.ts';
export { PerfBuffer } from './perf.ts';
export { setLogLevel, type LogLevel } from './log.ts';
export { libbpfVersion, createMap } from './system.ts';
