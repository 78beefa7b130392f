// A compiled BPF object imported as bytes (tsup's binary loader, vitest's bpf-object plugin).
declare module '*.bpf.o' {
  const bytes: Uint8Array;
  export default bytes;
}
