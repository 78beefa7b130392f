import { describe, expect, it } from 'vitest';
import { addReasm, parseReasm, ReasmTracker, zeroReasm, type ReasmCounters } from './counters.ts';

const SNMP = `Ip: Forwarding DefaultTTL InReceives InHdrErrors InAddrErrors ForwDatagrams InUnknownProtos InDiscards InDelivers OutRequests OutDiscards OutNoRoutes ReasmTimeout ReasmReqds ReasmOKs ReasmFails FragOKs FragFails FragCreates OutTransmits
Ip: 1 64 100 0 0 0 0 0 90 80 0 0 2 30 7 4 0 0 0 80
Icmp: InMsgs InErrors
Icmp: 3 0
`;
const NETSTAT = `TcpExt: SyncookiesSent
TcpExt: 0
IpExt: InNoRoutes InTruncatedPkts ReasmOverlaps
IpExt: 0 0 2
`;
const SNMP6 = `Ip6InReceives                   	50
Ip6ReasmTimeout                 	1
Ip6ReasmReqds                   	12
Ip6ReasmOKs                     	3
Ip6ReasmFails                   	2
Ip6FragOKs                      	0
`;

describe('parseReasm', () => {
  it('reads the reassembly counters of both families by name, wherever their columns are', () => {
    expect(parseReasm(SNMP, NETSTAT, SNMP6)).toEqual({
      ipv4: { fragments: 30, reassembled: 7, failed: 4, timeouts: 2, overlaps: 2 },
      ipv6: { fragments: 12, reassembled: 3, failed: 2, timeouts: 1, overlaps: null },
    });
  });

  it('IPv4 overlaps are null where netstat lacks them; IPv6 counts 0 where the kernel has no IPv6', () => {
    const c = parseReasm(SNMP, 'IpExt: InNoRoutes\nIpExt: 0\n', '');
    expect(c.ipv4.overlaps).toBeNull();
    expect(c.ipv6).toEqual({ fragments: 0, reassembled: 0, failed: 0, timeouts: 0, overlaps: null });
  });
});

const counters = (v4: number, v6: number): ReasmCounters => ({
  ipv4: { fragments: v4, reassembled: v4, failed: v4, timeouts: v4, overlaps: v4 },
  ipv6: { fragments: v6, reassembled: v6, failed: v6, timeouts: v6, overlaps: null },
});

describe('ReasmTracker', () => {
  it('each namespace moves from its reading at start; intervals add up to the total', () => {
    const t = new ReasmTracker(new Map([[1, counters(10, 5)], [2, counters(100, 0)]]));
    const a = t.update(new Map([[1, counters(12, 5)], [2, counters(101, 1)]]));
    expect(a.interval).toEqual(counters(3, 1));
    const b = t.update(new Map([[1, counters(13, 7)], [2, counters(101, 1)]]));
    expect(b.interval).toEqual(counters(1, 2));
    expect(b.total).toEqual(counters(4, 3));
  });

  it('a namespace that appeared after start counts from zero; one gone keeps what it counted', () => {
    const t = new ReasmTracker(new Map([[1, counters(10, 0)]]));
    t.update(new Map([[1, counters(11, 0)], [3, counters(4, 2)]]));
    const r = t.update(new Map([[3, counters(5, 2)]]));
    expect(r.interval).toEqual(counters(1, 0));
    expect(r.total).toEqual(counters(6, 2));
  });

  it('sums and differences keep overlaps null only where no side has them', () => {
    expect(addReasm(zeroReasm(false), counters(2, 1)).ipv4.overlaps).toBe(2);
    expect(addReasm(zeroReasm(false), zeroReasm(false)).ipv4.overlaps).toBeNull();
    expect(addReasm(counters(5, 1), counters(2, 1), -1)).toEqual(counters(3, 0));
  });
});
