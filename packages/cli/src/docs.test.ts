/**
 * The README's tool table is generated from the tool descriptors. It is checked here; run
 * `npm run docs` to write it after adding or changing a tool.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { replaceBlock, toolTable } from './docs.ts';
import { TOOLS } from './registry.ts';

const README = fileURLToPath(new URL('../../../README.md', import.meta.url));

describe('generated documentation', () => {
  it('README lists every tool the registry has, with its question', () => {
    const doc = readFileSync(README, 'utf8');
    const want = replaceBlock(doc, 'tools', toolTable(TOOLS));
    if (process.env.NETSTRATA_WRITE_DOCS) writeFileSync(README, want);
    expect(doc, 'README tool table is stale: run npm run docs').toBe(want);
  });

  it('each package ships as binaries exactly the tools it lists', () => {
    const domains = new Set(TOOLS.map((t) => t.domain));
    for (const d of domains) {
      const pkg = JSON.parse(readFileSync(fileURLToPath(new URL(`../../${d}/package.json`, import.meta.url)), 'utf8')) as { bin: Record<string, string> };
      expect(Object.keys(pkg.bin).sort(), d).toEqual(TOOLS.filter((t) => t.domain === d).map((t) => t.name).sort());
      for (const [name, path] of Object.entries(pkg.bin)) expect(path, name).toBe(`dist/${name}.js`);
    }
  });

  it('every tool has a package, a question and at least one example', () => {
    for (const t of TOOLS) {
      expect(t.describe, t.name).toMatch(/\?/);
      expect(t.domain, t.name).toMatch(/^[a-z-]+$/);
      expect(t.examples.length, t.name).toBeGreaterThan(0);
    }
  });
});
