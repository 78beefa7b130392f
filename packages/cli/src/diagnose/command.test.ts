import { describe, expect, it } from 'vitest';
import { layer1Plan, type DiagnoseOptions } from './command.ts';

const opts = (filters: DiagnoseOptions['filters']): DiagnoseOptions => ({
  duration: 10, auto: true, detailsDuration: 5, latencyMs: 10, minDrops: 1, output: 'json', verbose: false, filters,
});

describe('layer 1', () => {
  it('each tool gets each filter it takes, once', () => {
    const plan = layer1Plan(opts({ ip: '10.0.0.0/8', protocol: 'udp', port: 53, interface: 'lo' }));
    expect(plan.slice(0, 3).map((s) => s.tool)).toEqual(['packet_drop_summary', 'system_network_metrics_summary', 'system_network_latency_summary']);
    for (const s of plan) {
      const flags = s.args.filter((a) => a.startsWith('--'));
      expect(new Set(flags).size, `${s.tool} ${s.args.join(' ')}`).toBe(flags.length);
    }
    const args = (tool: string) => plan.find((s) => s.tool === tool)!.args.join(' ');
    expect(args('packet_drop_summary')).toContain('--ip 10.0.0.0/8 --port 53 --protocol udp --interface lo');
    // The metrics tool counts devices: only --interface/--netns apply.
    expect(args('system_network_metrics_summary')).toBe('--top 100000 --interval 86400 --interface lo');
    expect(args('system_network_latency_summary')).toBe('--interval 86400 --ip 10.0.0.0/8 --port 53 --protocol udp --interface lo');
  });
});
