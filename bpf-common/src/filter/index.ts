export { parseAddress, parsePrefix, formatAddress, type Prefix } from './address.ts';
export {
  withFilterOptions,
  filterSchema,
  checkFilter,
  resolveFilter,
  resolveNetns,
  resolveInterface,
  currentNetns,
  encodeFilter,
  FILTER_SIZE,
  type FilterOptions,
  type ResolvedFilter,
} from './options.ts';
