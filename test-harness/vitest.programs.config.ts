import { defineConfig } from 'vitest/config';
import { bpfObjectPlugin } from '../vitest.shared.ts';

/** Every package's program suite in one run (the guest tier's: one vitest start per kernel, not one
 * per package, which under TCG costs half a minute each). */
export default defineConfig({
  root: '..',
  plugins: [bpfObjectPlugin()],
  test: { include: ['packages/*/src/programs.test.ts'], fileParallelism: false, testTimeout: 60_000, hookTimeout: 60_000 },
});
