/** The structs vxlan_summary declares, member by member against the built object; and the decoding
 * of a drop row. */
import { describe, expect, it } from 'vitest';
import { describeLayouts } from '@netstrata/bpf-common/testing';
import object from '../../build/bpf/vxlan_summary.bpf.o';
import { LAYOUTS, VNI_UNKNOWN, decodeDrop, encodePortKey, vxlanDropKey } from './layout.ts';

describeLayouts('vxlan', { vxlan_summary: object }, LAYOUTS);

describe('vxlan_summary drop rows', () => {
  const count = (n: number) => new Uint8Array(new BigUint64Array([BigInt(n)]).buffer);

  it('a packet received with a VNI no device serves: its VNI, port and sender', () => {
    const peer = new Uint8Array(16);
    peer.set([10, 9, 0, 1]);
    const k = vxlanDropKey.encode({ location: 0xffffffff81000010n, peer, netns: 4026532000, ifindex: 3, vni: 200, reason: 111, port: 4789, dir: 1, where: 2, family: 2 });
    expect(decodeDrop(k, count(7))).toEqual({
      key: { netns: 4026532000, ifindex: 3, onDevice: false, direction: 'rx', vni: 200, port: 4789, peer: '10.9.0.1', reason: 111, location: 0xffffffff81000010n },
      count: 7,
    });
  });

  it('a frame dropped on the device before it had an outer header: no VNI, port or peer of its own', () => {
    const k = vxlanDropKey.encode({ location: 1n, netns: 1, ifindex: 5, vni: VNI_UNKNOWN, reason: 114, port: 0, dir: 2, where: 1, family: 0 });
    expect(decodeDrop(k, count(1)).key).toMatchObject({ onDevice: true, direction: 'tx', vni: undefined, port: undefined, peer: undefined });
  });

  it('an IPv6 peer', () => {
    const peer = new Uint8Array(16);
    peer.set([0xfd, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
    const k = vxlanDropKey.encode({ peer, vni: 100, reason: 2, port: 4789, dir: 2, where: 2, family: 10 });
    expect(decodeDrop(k, count(1)).key.peer).toBe('fd00:9::2');
  });

  it('a ports key is the namespace and the port', () => {
    expect([...encodePortKey(7, 4789)]).toEqual([7, 0, 0, 0, 0xb5, 0x12, 0, 0]);
  });
});
