export { KallsymsSymbolizer, stripSuffixes, type KernelSymbol } from './kallsyms.ts';
