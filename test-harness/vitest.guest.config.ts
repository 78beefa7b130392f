import { defineConfig } from 'vitest/config';
import { bpfObjectPlugin } from '../vitest.shared.ts';

/** The guest tier (npm run test:guest): kernels booted under QEMU, one file at a time. */
export default defineConfig({
  plugins: [bpfObjectPlugin()],
  test: { include: ['src/**/*.guest.test.ts'], fileParallelism: false, testTimeout: 1_800_000, hookTimeout: 600_000 },
});
