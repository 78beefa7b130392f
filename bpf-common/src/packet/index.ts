export { decodePacket, flowOf, type Decoded, type DecodeOptions } from './decode.ts';
export { flowFromRaw, flowFromHeaders, formatFlow, protocolName, nstFlow, type Flow, type RawFlow } from './flow.ts';
export { cString, CStringCache } from './c-string.ts';
export { headersJson, flowJson } from './json.ts';
