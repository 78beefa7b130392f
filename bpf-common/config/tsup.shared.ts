import type { Options } from 'tsup';

/** One bundle per binary: workspace packages inlined, BPF objects embedded as bytes, koffi left native. */
export function toolBundle(entry: Record<string, string>): Options {
  return {
    entry,
    format: ['esm'],
    platform: 'node',
    target: 'node20',
    outDir: 'dist',
    clean: true,
    splitting: false,
    sourcemap: true,
    noExternal: [/^@netstrata\//],
    external: ['koffi'],
    loader: { '.o': 'binary' },
    banner: { js: "import { createRequire as __nsCreateRequire } from 'node:module'; const require = __nsCreateRequire(import.meta.url);" },
  };
}
