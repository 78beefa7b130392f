export { decodePacket, flowOf, formatFlow, type Decoded, type FlowText } from './decode.ts';
export { cString } from './c-string.ts';
