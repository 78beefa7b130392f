import { defineConfig } from 'tsup';
import { toolBundle } from '../../tsup.shared.ts';

export default defineConfig(toolBundle({ netstrata: 'src/bin/netstrata.ts' }));
