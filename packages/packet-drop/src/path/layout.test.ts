/** The path tracers' structs against their objects, and the state rules both sides apply. */
import { describeLayouts } from '@netstrata/bpf-common/testing';
import { describe, expect, it } from 'vitest';
import summary from '../../build/bpf/packet_path_summary.bpf.o';
import details from '../../build/bpf/packet_path_details.bpf.o';
import { LAYOUTS, pathFlowFields, stateOf } from './layout.ts';

describeLayouts('packet-path', { packet_path_summary: summary, packet_path_details: details }, LAYOUTS);

describe('a request by the points it passed', () => {
  it('is classified by the last one', () => {
    expect(stateOf({ ts: [1n, 0n, 0n, 0n] })).toBe('internal_drop_request');
    expect(stateOf({ ts: [1n, 2n, 0n, 0n] })).toBe('external_drop');
    expect(stateOf({ ts: [1n, 2n, 3n, 0n] })).toBe('internal_drop_reply');
    expect(stateOf({ ts: [1n, 2n, 3n, 4n] })).toBe('complete');
  });

  it('names its flow in the request direction; ICMP by its echo identifier', () => {
    const v4 = (a: number[]) => new Uint8Array([...a, ...new Array(12).fill(0)]);
    expect(pathFlowFields({ client: v4([10, 1, 0, 2]), server: v4([10, 2, 0, 2]), cport: 4000, sport: 53, family: 2, protocol: 17, _pad: 0 })).toEqual({
      src: '10.1.0.2',
      dst: '10.2.0.2',
      sport: 4000,
      dport: 53,
      protocol: 'UDP',
    });
    const v6 = (last: number) => new Uint8Array([0xfd, 0, ...new Array(13).fill(0), last]);
    expect(pathFlowFields({ client: v6(1), server: v6(2), cport: 77, sport: 0, family: 10, protocol: 58, _pad: 0 })).toEqual({
      src: 'fd00::1',
      dst: 'fd00::2',
      sport: 0,
      dport: 0,
      protocol: 'ICMPv6',
      icmp_id: 77,
    });
  });
});
