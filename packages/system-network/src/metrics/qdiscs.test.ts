import { describe, expect, it } from 'vitest';
import { parseQdiscs } from './qdiscs.ts';

describe('qdisc statistics', () => {
  it('reads tc qdisc statistics, numbering devices from their links and leaving noqueue out', () => {
    const json = JSON.stringify([
      { kind: 'noqueue', handle: '0:', dev: 'lo', root: true, bytes: 0, packets: 0, drops: 0, overlimits: 0, requeues: 0, backlog: 0, qlen: 0 },
      { kind: 'tbf', handle: '8001:', dev: 'eth0', root: true, bytes: 1000, packets: 10, drops: 2, overlimits: 5, requeues: 1, backlog: 300, qlen: 3 },
      { kind: 'fq_codel', handle: '0:', dev: 'eth1', parent: '8002:1', bytes: 7, packets: 1, drops: 0, overlimits: 0, requeues: 0, backlog: 0, qlen: 0 },
    ]);
    const rows = parseQdiscs(json, 9, (d) => ({ eth0: 2, eth1: 3, lo: 1 })[d]);
    expect(rows).toEqual([
      { device: 'eth0', ifindex: 2, netns: 9, kind: 'tbf', handle: '8001:', parent: 'root', packets: 10, bytes: 1000, drops: 2, requeues: 1, overlimits: 5, backlog_bytes: 300, backlog_packets: 3 },
      { device: 'eth1', ifindex: 3, netns: 9, kind: 'fq_codel', handle: '0:', parent: '8002:1', packets: 1, bytes: 7, drops: 0, requeues: 0, overlimits: 0, backlog_bytes: 0, backlog_packets: 0 },
    ]);
  });
});
