import { readFileSync } from 'node:fs';
import type { Options } from 'tsup';

type Plugin = NonNullable<Options['esbuildPlugins']>[number];

/**
 * string-width (yargs' help layout) builds an Intl.Segmenter when it is loaded: ~20 ms of ICU set-up
 * at every start, for help text a tool rarely prints. Built at its first use instead.
 */
const lazySegmenter: Plugin = {
  name: 'lazy-segmenter',
  setup(build) {
    build.onLoad({ filter: /[\\/]string-width[\\/]index\.js$/ }, (args) => ({
      contents: readFileSync(args.path, 'utf8').replace(/new Intl\.Segmenter\(\)/g, '{ segment(s) { return (this.real ??= new Intl.Segmenter()).segment(s); } }'),
      loader: 'js',
    }));
  },
};

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
    esbuildPlugins: [lazySegmenter],
    banner: { js: "import { createRequire as __nsCreateRequire } from 'node:module'; const require = __nsCreateRequire(import.meta.url);" },
  };
}

/** One entry per binary the package's package.json declares (`bin`), built from src/bin/<name>.ts:
 * the binaries are listed once, where npm reads them. */
export function binEntries(packageDir = process.cwd()): Record<string, string> {
  const pkg = JSON.parse(readFileSync(`${packageDir}/package.json`, 'utf8')) as { bin?: Record<string, string> };
  return Object.fromEntries(Object.keys(pkg.bin ?? {}).map((name) => [name, `src/bin/${name}.ts`]));
}
