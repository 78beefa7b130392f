import { configDefaults, mergeConfig } from 'vitest/config';
import { packageTestConfig } from '../vitest.shared.ts';

// The guest tier has its own configuration (vitest.guest.config.ts). Tests that need what only the
// guest tier's kernels have (*.in-guest.test.ts) run there, where NETSTRATA_GUEST is set.
const inGuest = process.env.NETSTRATA_GUEST ? [] : ['src/**/*.in-guest.test.ts'];
export default mergeConfig(packageTestConfig(), { test: { exclude: [...configDefaults.exclude, 'src/**/*.guest.test.ts', ...inGuest] } });
