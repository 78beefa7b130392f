import { defineConfig } from 'vitest/config';
import { bpfObjectPlugin } from '../../vitest.shared.ts';

export default defineConfig({
  plugins: [bpfObjectPlugin()],
  test: {
    include: ['src/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
