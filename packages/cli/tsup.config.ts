import { defineConfig } from 'tsup';
import { toolBundle } from '../../bpf-common/config/tsup.shared.ts';

export default defineConfig(toolBundle({ netstrata: 'src/bin/netstrata.ts' }));
