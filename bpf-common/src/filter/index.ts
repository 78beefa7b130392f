export { parseAddress, parsePrefix, formatAddress, type Prefix } from './address.ts';
export {
  withFilterOptions,
  withDeviceFilterOptions,
  deviceFilterSchema,
  filterSchema,
  checkFilter,
  resolveFilter,
  resolveNetns,
  resolveInterface,
  currentNetns,
  encodeFilter,
  FILTER_SIZE,
  nstFilter,
  type FilterOptions,
  type ResolvedFilter,
} from './options.ts';
