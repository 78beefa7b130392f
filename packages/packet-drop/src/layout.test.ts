import { describe, expect, it } from 'vitest';
import { DROP_EVENT_SIZE, DROP_KEY_SIZE, decodeDropEvent, decodeDropKey } from './layout.ts';

describe('layout decoders', () => {
  it('decode struct drop_key', () => {
    const b = new Uint8Array(DROP_KEY_SIZE);
    const v = new DataView(b.buffer);
    v.setBigUint64(0, 0xffffffff82046740n, true);
    v.setUint32(8, 3, true);
    v.setInt32(12, -1, true);
    v.setUint32(16, 7, true);
    v.setUint32(20, 4026532246, true);
    b.set(new TextEncoder().encode('veth0'), 24);
    b.set([10, 0, 0, 1], 40);
    b.set([10, 0, 0, 2], 56);
    v.setUint16(72, 40000, true);
    v.setUint16(74, 53, true);
    b[76] = 2;
    b[77] = 17;
    v.setUint16(78, 0x0800, true);
    const k = decodeDropKey(b);
    expect(k).toMatchObject({ location: 0xffffffff82046740n, reason: 3, stackId: -1, ifindex: 7, netns: 4026532246, dev: 'veth0' });
    expect(k.flow).toMatchObject({ family: 2, protocol: 17, ethertype: 0x0800, sport: 40000, dport: 53 });
    expect([...k.flow.saddr.slice(0, 4)]).toEqual([10, 0, 0, 1]);
  });

  it('decode struct drop_event and refuse a record of another size', () => {
    const b = new Uint8Array(DROP_EVENT_SIZE);
    const v = new DataView(b.buffer);
    v.setBigUint64(0, 123n, true);
    v.setUint32(24, 3, true);
    b.set(new TextEncoder().encode('ksoftirqd/1'), 40);
    v.setUint16(84, 0x0800, true);
    v.setUint16(86, 3, true);
    b[88] = 1;
    b.set([0x45, 0, 0], 96);
    v.setInt32(92, 16, true);
    v.setBigUint64(224, 0xffffffff81000000n, true);
    v.setBigUint64(232, 0xffffffff81000100n, true);
    const e = decodeDropEvent(v);
    expect(e).toMatchObject({ tsNs: 123n, reason: 3, comm: 'ksoftirqd/1', protocol: 0x0800, hdrStart: 'network' });
    expect([...e.hdr]).toEqual([0x45, 0, 0]);
    expect(e.stack).toEqual([0xffffffff81000000n, 0xffffffff81000100n]);
    expect(() => decodeDropEvent(new DataView(new ArrayBuffer(100)))).toThrow(/expected 480/);
  });
});
