import { defineConfig } from 'tsup';
import { toolBundle } from '../../bpf-common/config/tsup.shared.ts';

export default defineConfig(
  toolBundle({
    packet_drop_summary: 'src/bin/packet_drop_summary.ts',
    packet_drop_details: 'src/bin/packet_drop_details.ts',
  }),
);
