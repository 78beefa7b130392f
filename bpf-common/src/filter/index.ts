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
  networkNamespaces,
  encodeFilter,
  FILTER_SIZE,
  nstFilter,
  type FilterOptions,
  type ResolvedFilter,
  type NetnsRef,
} from './options.ts';
