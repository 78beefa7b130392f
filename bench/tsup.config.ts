import { defineConfig } from 'tsup';
import { toolBundle } from '../bpf-common/config/tsup.shared.ts';

export default defineConfig(toolBundle({ bench: 'src/bench.ts', soak: 'src/soak.ts' }));
