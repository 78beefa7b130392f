import { defineConfig } from 'tsup';
import { toolBundle } from '../bpf-common/config/tsup.shared.ts';

export default defineConfig({ ...toolBundle({ demo: 'src/demo.ts', guest: 'src/guest/cli.ts' }), external: ['koffi'] });
