export { KallsymsSymbolizer, stripSuffixes, type KernelSymbol } from './kallsyms.ts';
export { ElfSymbols, type ElfSymbol } from './elf.ts';
export { UserSymbolizer, parseMaps, type Mapping } from './user.ts';
export { decodeStack, readStack } from './stacks.ts';
