import { defineConfig } from 'tsup';
import { binEntries, toolBundle } from '../../bpf-common/config/tsup.shared.ts';

export default defineConfig(toolBundle(binEntries()));
