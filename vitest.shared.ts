import { readFileSync } from 'node:fs';
import type { Plugin } from 'vite';
import { defineConfig } from 'vitest/config';

/** Lets tests import compiled BPF objects the way tsup's binary loader does for the bundles. */
export function bpfObjectPlugin(): Plugin {
  return {
    name: 'netstrata-bpf-object',
    enforce: 'pre',
    load(id) {
      if (!id.endsWith('.bpf.o')) return null;
      const b64 = readFileSync(id).toString('base64');
      return `export default new Uint8Array(Buffer.from(${JSON.stringify(b64)}, 'base64'));`;
    },
  };
}

/** Every package's test set-up: tests beside the code, one file at a time (they share the kernel). */
export function packageTestConfig() {
  return defineConfig({
    plugins: [bpfObjectPlugin()],
    test: {
      include: ['src/**/*.test.ts'],
      fileParallelism: false,
      testTimeout: 60_000,
      hookTimeout: 60_000,
    },
  });
}
