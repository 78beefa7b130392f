import { describe, expect, it } from 'vitest';
import { TOOL_LIST } from '@netstrata/test-harness';
import { CONFIGS, checkFinal } from './configs.ts';
import { memoryConfigs } from './memory.ts';
import { startupConfigs } from './startup.ts';

const stopped = (stdout: string, code: number | null = 0) => ({ code, signal: null, stdout, stderr: 'boom' });

describe('checkFinal', () => {
  it('wants exit 0 and a final record last', () => {
    expect(checkFinal('summary', stopped('{"type":"info"}\n{"type":"final","tool":"x"}\n')).ok).toBe(true);
    expect(checkFinal('summary', stopped('{"type":"interval"}\n'))).toEqual({ ok: false, note: 'last record is interval, not final' });
    expect(checkFinal('summary', stopped('', 1)).note).toBe('exit 1: boom');
    expect(checkFinal('summary', stopped('not json')).note).toBe('last line is not JSON');
  });

  it('reports events and losses of a details tool', () => {
    const c = checkFinal('details', stopped('{"type":"final","events":10,"lost":2}\n'));
    expect([c.ok, c.note, c.events, c.lost]).toEqual([true, '10 events, 2 lost', 10, 2]);
  });

  it('takes bpftrace’s exit as its check', () => {
    expect(checkFinal('bpftrace', stopped('nstbench-ready\n@drops[2, x]: 5\n')).ok).toBe(true);
  });
});

describe('the configurations', () => {
  it("cover every summary tool, the latency summary's other modes, each packet details tool twice, and two bpftrace scripts", () => {
    expect(CONFIGS.filter((c) => c.kind === 'summary').map((c) => c.id)).toEqual([
      ...TOOL_LIST.filter((t) => t.kind === 'summary').map((t) => t.name),
      'system_network_latency_summary_stages',
      'system_network_latency_summary_sample',
    ]);
    expect(CONFIGS.filter((c) => c.kind === 'details').map((c) => c.id)).toEqual([
      'packet_drop_details_nomatch',
      'packet_drop_details_match',
      'packet_path_details_nomatch',
      'packet_path_details_match',
      'system_network_latency_details_nomatch',
      'system_network_latency_details_match',
      'conntrack_details_nomatch',
      'conntrack_details_match',
      'tun_ring_details_nomatch',
      'tun_ring_details_match',
      'icmp_rtt_details',
    ]);
    for (const c of CONFIGS.filter((x) => x.bpftrace)) expect(CONFIGS.some((b) => b.id === c.bpftrace && b.kind === 'bpftrace')).toBe(true);
  });

  it('start each binary once for start-up, and the flood-matching details config for memory', () => {
    // Every tool's binary (the details tools that follow packets: the others have no workload
    // here), and bpftrace for each of its two scripts.
    const measured = TOOL_LIST.filter((t) => t.kind === 'summary' || t.packetFilters || t.name === 'icmp_rtt_details');
    expect(startupConfigs(CONFIGS)).toHaveLength(measured.length + 2);
    const mem = memoryConfigs(CONFIGS).map((c) => c.id);
    expect(mem).toHaveLength(measured.length + 2);
    expect(mem).toContain('packet_drop_details_match');
    expect(mem).not.toContain('packet_drop_details_nomatch');
  });
});
