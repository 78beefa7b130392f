import { configDefaults, mergeConfig } from 'vitest/config';
import { packageTestConfig } from '../vitest.shared.ts';

// The guest tier has its own configuration (vitest.guest.config.ts).
export default mergeConfig(packageTestConfig(), { test: { exclude: [...configDefaults.exclude, 'src/**/*.guest.test.ts'] } });
