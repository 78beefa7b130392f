import { describe, expect, it } from 'vitest';
import type { Diagnosis } from './command.ts';
import { renderDiagnosis } from './report.ts';

const figures = { duration_s: 10, rx_packets: 1200, tx_packets: 900, drops: 512, benign_drops: 12, slowest_stage: null };
const step = (tool: string, args: string[]) => ({ tool, args, why: '', finding: 0 });

describe('renderDiagnosis', () => {
  it('drops: the verdict, each finding with its share, queues and flows, benign apart, then layers 2 and 3', () => {
    const d: Diagnosis = {
      type: 'verdict',
      kind: 'drops',
      findings: [
        {
          kind: 'drops', reason: 'FULL_RING', location: { symbol: 'tun_net_xmit', offset: 0x1a0 }, device: 'tap0', netns: 4026532600, count: 240, share: 0.4,
          share_of: 'packets tap0 sent or dropped', stage: null, p99_us: null, p999_us: null, queues: [{ queue: 0, ring_size: 64, full: 240, xmits: 400 }],
          flows: [{ flow: { src: '10.1.0.1', dst: '10.1.0.2', sport: 5000, dport: 6000, protocol: 'UDP' }, text: '10.1.0.1:5000 -> 10.1.0.2:6000 (UDP)', count: 240 }],
        },
      ],
      benign: [{ reason: 'OTHERHOST', location: { symbol: 'ip_rcv_core' }, count: 12, why: 'a frame addressed to another host' }],
      figures,
      layer1: [{ step: step('tun_ring_summary', []), command: 'tun_ring_summary', error: 'tun_ring_summary did not start: no TUN' }],
      layer2: [{ step: step('tun_ring_details', ['--interface', 'tap0']), command: 'tun_ring_details --interface tap0 --duration 5', caught: { tool: 'tun_ring_details', events: 30, flows: [], threads: [{ pid: 42, comm: 'relay', role: 'TAP queue reader', count: 30 }], notes: ['the reader stalled'] } }],
      layer3: [{ step: step('offcpu_summary', ['--pid', '42']), command: 'offcpu_summary --pid 42 --duration 5', lines: ['relay (tid 42) off CPU 4900.0 ms in state T, 1 times'] }],
      next: ['tun_ring_details --interface tap0 --duration 5'],
    };
    expect(renderDiagnosis(d)).toBe(
      [
        'DROPS: 1 finding, most harm first. 10 s: 1200 packets received and 900 sent by the devices in scope, 512 drops (12 benign)',
        '1. drops: 240 × FULL_RING at tun_net_xmit+0x1a0 on tap0 (netns 4026532600), 40.0% of the packets tap0 sent or dropped',
        '     queue 0: ring of 64, full 240 times in 400 transmits',
        '        240  10.1.0.1:5000 -> 10.1.0.2:6000 (UDP)',
        '',
        'Drops every host has (never a verdict):',
        '      12  OTHERHOST at ip_rcv_core: a frame addressed to another host',
        '',
        'Not measured:',
        '  tun_ring_summary: tun_ring_summary did not start: no TUN',
        '',
        'Layer 2, the details of each finding:',
        '  $ tun_ring_details --interface tap0 --duration 5',
        '    caught 30 packets',
        '    TAP queue reader: relay (pid 42), 30 times',
        '    the reader stalled',
        '',
        'Layer 3, the threads involved:',
        '  $ offcpu_summary --pid 42 --duration 5',
        '    relay (tid 42) off CPU 4900.0 ms in state T, 1 times',
      ].join('\n'),
    );
  });

  it('healthy names the figures; --no-auto lists the next commands', () => {
    const d: Diagnosis = {
      type: 'verdict', kind: 'healthy', findings: [], benign: [],
      figures: { ...figures, drops: 0, benign_drops: 0, slowest_stage: { stage: 'device -> socket_queue', direction: 'rx', p99_us: 16, p999_us: 48 } },
      layer1: [], layer2: [], layer3: [], next: [],
    };
    expect(renderDiagnosis(d)).toBe('HEALTHY: no drops that matter and no tail at the threshold. 10 s: 1200 packets received and 900 sent by the devices in scope, 0 drops (0 benign); slowest stage rx device -> socket_queue: p99 16 us, p99.9 48 us');
    const latency: Diagnosis = {
      type: 'verdict', kind: 'latency', figures, benign: [], layer1: [], layer3: [],
      findings: [{ kind: 'latency', reason: null, location: null, device: null, count: 600, share: null, stage: 'dev_queue -> xmit', direction: 'tx', p99_us: 12, p999_us: 327680, slow: 6, around: [{ stage: 'socket_send -> dev_queue', p99_us: 4 }], flows: [] }],
      layer2: [{ step: step('system_network_latency_details', []), command: 'system_network_latency_details --direction tx --duration 5' }],
      next: ['system_network_latency_details --direction tx --duration 5'],
    };
    expect(renderDiagnosis(latency).split('\n')).toEqual([
      'LATENCY: 1 finding, most harm first. 10 s: 1200 packets received and 900 sent by the devices in scope, 512 drops (12 benign)',
      '1. latency: tx dev_queue -> xmit: 6 of 600 packets took at least the threshold; p99 12 us, p99.9 327.7 ms',
      '     around it: socket_send -> dev_queue p99 4 us',
      '',
      'Next (--no-auto):',
      '  system_network_latency_details --direction tx --duration 5',
    ]);
  });
});
