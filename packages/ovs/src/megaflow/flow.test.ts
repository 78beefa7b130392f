import { describe, expect, it } from 'vitest';
import { ovsKeyFields, type FlowEvent, type KeyFields, type UpcallEvent } from '../layout.ts';
import { decodeActions, formatMatch, formatUfid, keyMatches, UpcallWindow } from './flow.ts';

const be16 = (v: number) => ((v & 0xff) << 8) | (v >> 8);
const zero = (): KeyFields => ovsKeyFields.decode(new Uint8Array(ovsKeyFields.size));
function key(o: { port?: number; type?: number; proto?: number; src?: number[]; dst?: number[]; sport?: number; dport?: number }): KeyFields {
  const k = zero();
  k.in_port = o.port ?? 0;
  k.eth_type = be16(o.type ?? 0);
  k.ip_proto = o.proto ?? 0;
  k.src.set(o.src ?? []);
  k.dst.set(o.dst ?? []);
  k.tp_src = be16(o.sport ?? 0);
  k.tp_dst = be16(o.dport ?? 0);
  return k;
}
const ALL = 0xffff;
const fullMask = key({ port: ALL, type: ALL, proto: 0xff, src: [255, 255, 255, 255], dst: [255, 255, 255, 255], sport: ALL, dport: ALL });
/** A netlink attribute: length, type, then its payload (4-byte aligned). */
const nla = (type: number, payload: number[] = []) => [4 + payload.length, 0, type, 0, ...payload];

describe('megaflows as ovs-dpctl prints them', () => {
  it('formats a UFID as a UUID of its four 32-bit parts', () => {
    expect(formatUfid([0x12345678, 0x9abcdef0, 0x0fedcba9, 0x87654321])).toBe('12345678-9abc-def0-0fed-cba987654321');
  });

  it('prints the fields the mask covers, in order, partial masks with their mask', () => {
    const k = key({ port: 2, type: 0x0800, proto: 17, src: [10, 230, 0, 1], dst: [10, 230, 0, 2], sport: 40000, dport: 9000 });
    expect(formatMatch(k, fullMask)).toBe('recirc_id(0),in_port(2),eth_type(0x0800),ipv4(src=10.230.0.1,dst=10.230.0.2,proto=17),udp(src=40000,dst=9000)');
    const m = key({ port: ALL, type: ALL, proto: 0xff, dst: [255, 255, 255, 0], dport: 0xff00 });
    expect(formatMatch(k, m)).toBe('recirc_id(0),in_port(2),eth_type(0x0800),ipv4(dst=10.230.0.2/255.255.255.0,proto=17),udp(dst=9000/0xff00)');
    const v6 = key({ port: 1, type: 0x86dd, proto: 6, src: [0xfd, 0, 2, 0x30, ...new Array(11).fill(0), 1], sport: 22, dport: 0 });
    const m6 = key({ port: ALL, type: ALL, proto: 0xff, src: new Array(16).fill(255), sport: ALL });
    expect(formatMatch(v6, m6)).toBe('recirc_id(0),in_port(1),eth_type(0x86dd),ipv6(src=fd00:230::1,proto=6),tcp(src=22)');
  });

  it('decodes the action list: outputs by port, values, names; none is a drop; a cut list ends with ...', () => {
    const acts = Uint8Array.from([...nla(7, [1, 0, 0, 0]), ...nla(1, [3, 0, 0, 0]), ...nla(5)]);
    expect(decodeActions(acts, acts.length, acts.length)).toEqual(['recirc(0x1)', 'output:3', 'pop_vlan']);
    expect(decodeActions(new Uint8Array(0), 0, 0)).toEqual(['drop']);
    expect(decodeActions(acts, 8, 20)).toEqual(['recirc(0x1)', '...']);
  });

  it("matches an upcall to the flow whose key it has under the flow's mask, the newest first, once", () => {
    const pkt = (dport: number) => key({ port: 2, type: 0x0800, proto: 17, src: [10, 0, 0, 1], dst: [10, 0, 0, 2], sport: 5000, dport });
    const portMask = key({ port: ALL, type: ALL, proto: 0xff, dport: ALL });
    const flow = (dport: number, ts: bigint): FlowEvent => ({ ts_ns: ts, key: key({ port: 2, type: 0x0800, proto: 17, dport }), mask: portMask }) as unknown as FlowEvent;
    expect(keyMatches(pkt(9000), flow(9000, 0n).key, portMask)).toBe(true);
    expect(keyMatches(pkt(9001), flow(9000, 0n).key, portMask)).toBe(false);
    const w = new UpcallWindow();
    const up = (dport: number, ts: bigint) => ({ ts_ns: ts, key: pkt(dport) }) as unknown as UpcallEvent;
    w.add(up(9000, 10n));
    w.add(up(9001, 20n));
    w.add(up(9000, 30n));
    expect(w.take(flow(9000, 25n))?.ts_ns).toBe(10n); // not one after the flow
    expect(w.take(flow(9000, 40n))?.ts_ns).toBe(30n);
    expect(w.take(flow(9000, 50n))).toBeUndefined(); // each upcall causes one flow
    expect(w.take(flow(9001, 50n))?.ts_ns).toBe(20n);
  });
});
