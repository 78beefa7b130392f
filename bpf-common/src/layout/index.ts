export { struct, bytes, chars, array, StructLayout, type Decoded as StructValue, type Fields, type FieldType, type Member, type Scalar } from './struct.ts';
export { layoutMismatches } from './check.ts';
