import { defineConfig } from 'tsup';
import { toolBundle } from '../bpf-common/config/tsup.shared.ts';

export default defineConfig({ ...toolBundle({ guest: 'src/guest/cli.ts', lab: 'src/lab-cli.ts' }), external: ['koffi'] });
