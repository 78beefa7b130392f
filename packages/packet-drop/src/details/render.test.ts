import { describe, expect, it } from 'vitest';
import { timeOfDay } from '@netstrata/bpf-common';
import { renderEventText, type DropEventRecord } from './render.ts';

const time = '2024-05-01T10:20:30.123456789Z';
const record: DropEventRecord = {
  type: 'event',
  tool: 'packet_drop_details',
  time,
  cpu: 1,
  pid: 0,
  tid: 0,
  comm: 'swapper/1',
  netns: 4026532585,
  ifindex: 2,
  device: 'eth0',
  reason: 'NO_SOCKET',
  reason_code: 3,
  location: { symbol: '__udp4_lib_rcv', offset: 0x4bc, address: '0xffffffff8209ec6c' },
  len: 48,
  ethertype: 0x0800,
  flow: { src: '10.200.0.1', dst: '10.200.0.2', sport: 40000, dport: 7000, protocol: 'UDP' },
  headers: { ipv4: { src: '10.200.0.1', dst: '10.200.0.2', ttl: 64, id: 7, protocol: 17 }, udp: { sport: 40000, dport: 7000, length: 28 } } as DropEventRecord['headers'],
};

describe('packet_drop_details text', () => {
  it('the drop line, the headers and the stack', () => {
    expect(renderEventText({ ...record, stack: ['__udp4_lib_rcv+0x4bc', 'ip_local_deliver_finish+0x7a'] }).split('\n')).toEqual([
      `${timeOfDay(time, true)} CPU1 NO_SOCKET at __udp4_lib_rcv+0x4bc dev eth0 netns 4026532585 pid 0 (swapper/1) len 48`,
      '    IPv4 ttl 64 id 7 UDP 10.200.0.1:40000 -> 10.200.0.2:7000 len 28',
      '        __udp4_lib_rcv+0x4bc',
      '        ip_local_deliver_finish+0x7a',
    ]);
  });

  it('a device by its ifindex, or none; an unresolved location', () => {
    const loc = { symbol: '?', offset: 0, address: '0x1234' };
    expect(renderEventText({ ...record, device: '', location: loc }).split('\n')[0]).toBe(`${timeOfDay(time, true)} CPU1 NO_SOCKET at ?+0x0 ifindex 2 netns 4026532585 pid 0 (swapper/1) len 48`);
    expect(renderEventText({ ...record, device: '', ifindex: 0 }).split('\n')[0]).toMatch(/ at __udp4_lib_rcv\+0x4bc no dev netns 4026532585 pid 0 /);
  });
});
