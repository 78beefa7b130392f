import { describe, expect, it } from 'vitest';
import { parseNetCounters } from './counters.ts';

describe('parseNetCounters', () => {
  it('pairs each group line of names with the line of values after it, by Group.Field', () => {
    const snmp = 'Ip: Forwarding DefaultTTL FragFails\nIp: 2 64 3\nUdp: InDatagrams NoPorts\nUdp: 10 7\n';
    const netstat = 'TcpExt: DelayedACKLost\nTcpExt: 4\n';
    const m = parseNetCounters(netstat, parseNetCounters(snmp));
    expect(Object.fromEntries(m)).toEqual({ 'Ip.Forwarding': 2, 'Ip.DefaultTTL': 64, 'Ip.FragFails': 3, 'Udp.InDatagrams': 10, 'Udp.NoPorts': 7, 'TcpExt.DelayedACKLost': 4 });
  });
});
