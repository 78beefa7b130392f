/**
 * Real output of the tools, published into docs/examples/ and the README's example blocks, so the
 * documentation never shows what the code cannot print. A capture made inside a guest of the kernel
 * tier (whose view of the repository is read-only) goes to NETSTRATA_EXAMPLES_OUT, which the tier
 * reads back and publishes here (publishCaptured).
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function write(name: string, block: string): void {
  mkdirSync(`${ROOT}docs/examples`, { recursive: true });
  writeFileSync(`${ROOT}docs/examples/${name}.txt`, block);
  const readme = readFileSync(`${ROOT}README.md`, 'utf8');
  const re = new RegExp(`(<!-- example:${name} -->\\n)[\\s\\S]*?(<!-- /example -->)`);
  if (re.test(readme)) writeFileSync(`${ROOT}README.md`, readme.replace(re, `$1\`\`\`text\n${block}\`\`\`\n$2`));
}

/** One example: the command as a user would type it, and what it printed. */
export function publish(name: string, command: string, output: string): void {
  const block = `$ ${command}\n${output.trimEnd()}\n`;
  const out = process.env.NETSTRATA_EXAMPLES_OUT;
  if (out) {
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, `${name}.txt`), block);
  } else {
    write(name, block);
  }
}

/** The examples a guest captured into `dir`, published into this checkout. */
export function publishCaptured(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const names = readdirSync(dir).filter((f) => f.endsWith('.txt'));
  for (const f of names) write(f.slice(0, -4), readFileSync(join(dir, f), 'utf8'));
  return names;
}
