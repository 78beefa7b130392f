import { describe, expect, it } from 'vitest';
import { caught, commandLine, layer2, layer3 } from './follow.ts';
import type { Finding } from './verdict.ts';

const drop = (over: Partial<Finding>): Finding => ({
  kind: 'drops', reason: 'NO_SOCKET', location: { symbol: '__udp4_lib_rcv' }, device: 'eth0', ifindex: 2, netns: 4026532501,
  count: 200, share: 0.4, stage: null, p99_us: null, p999_us: null, flows: [], ...over,
});

describe('layer 2', () => {
  it("takes each finding's reason, device and namespace, and the user's flow filters", () => {
    const steps = layer2(
      [
        drop({}),
        drop({ reason: 'FULL_RING', device: 'tap0', netns: 4026532600 }),
        { ...drop({}), kind: 'latency', reason: null, device: null, netns: null, stage: 'dev_queue -> xmit', direction: 'tx' },
        drop({ reason: 'IP_INHDR' }),
      ],
      { ip: '10.201.0.0/16', netns: 'lab-b' },
      10_000,
      new Map([[4026532501, 'lab-b']]),
    );
    expect(steps.map((s) => commandLine(s, 5))).toEqual([
      'packet_drop_details --reason NO_SOCKET --netns lab-b --interface eth0 --ip 10.201.0.0/16 --duration 5',
      'tun_ring_details --netns 4026532600 --interface tap0 --ip 10.201.0.0/16 --duration 5',
      'system_network_latency_details --direction tx --latency-threshold-us 10000 --ip 10.201.0.0/16 --netns lab-b --duration 5',
    ]);
  });

  it('an OVS tail is followed per handler thread', () => {
    const s = layer2([{ ...drop({}), kind: 'latency', reason: null, device: null, netns: null, stage: 'ovs_upcall' }], {}, 10_000);
    expect(commandLine(s[0]!)).toBe('ovs_upcall_latency_summary --by handler');
  });
});

describe('what layer 2 caught, and layer 3', () => {
  it("a TAP's drops name its reader and the time since its last read; layer 3 looks at that thread", () => {
    const ev = (last: number) => ({
      type: 'event', reason: 'FULL_RING', flow: { src: '10.201.1.1', dst: '10.201.2.1', sport: 1, dport: 2, protocol: 'UDP' },
      reader: { pid: 4242, tid: 4242, comm: 'relay', last_read_us: last },
    });
    const c = caught('tun_ring_details', [ev(900), ev(1500), ev(2000), { type: 'final', events: 3 }]);
    expect(c.events).toBe(3);
    expect(c.flows).toEqual([{ text: '10.201.1.1:1 -> 10.201.2.1:2 (UDP)', count: 3 }]);
    expect(c.threads).toEqual([{ pid: 4242, comm: 'relay', role: 'TAP queue reader', count: 3 }]);
    expect(c.notes[0]).toContain('900–2000 µs');
    // A flood: only the first events kept, the count still every event's.
    const many = caught('tun_ring_details', [ev(900), ev(1000)], 50_000);
    expect(many.events).toBe(50_000);
    expect(many.notes[0]).toBe('flows and threads from the first 2 of 50000 events');
    const steps = layer3([c], [drop({ reason: 'FULL_RING' })]);
    expect(steps.map((s) => commandLine(s))).toEqual(['offcpu_summary --pid 4242', 'sched_latency_summary --pid 4242']);
  });

  it('slow packets: the stage where each spent most, and the reader when it was the read; an in-stack tail adds the softirqs', () => {
    const ev = (slowest: string) => ({
      type: 'event', flow: null,
      stages: [{ from: 'device', to: 'socket_queue', delta_us: slowest === 'queue' ? 900 : 5 }, { from: 'socket_queue', to: 'read', delta_us: slowest === 'read' ? 900 : 5 }],
      last: { stage: 'read', pid: 77, comm: 'server' },
    });
    const c = caught('system_network_latency_details', [ev('read'), ev('read'), ev('queue')]);
    expect(c.notes).toEqual(['2 slowest at socket_queue -> read', '1 slowest at device -> socket_queue']);
    expect(c.threads).toEqual([{ pid: 77, comm: 'server', role: 'reading process', count: 3 }]);
    const tail: Finding = { ...drop({}), kind: 'latency', stage: 'dev_queue -> xmit', direction: 'tx' };
    expect(layer3([c], [tail]).map((s) => s.tool)).toEqual(['offcpu_summary', 'sched_latency_summary', 'softirq_latency_summary']);
  });
});

describe('layer 3 on OVS handlers', () => {
  it("each handler thread's CPU tools, and the lock waits of their process once", () => {
    const c = { tool: 'ovs_upcall_latency_summary', events: 12, flows: [], notes: [], threads: [{ pid: 501, comm: 'handler1', role: 'OVS handler', count: 8 }, { pid: 502, comm: 'handler2', role: 'OVS handler', count: 4 }] };
    const steps = layer3([c], [], (tid) => (tid > 500 ? 500 : undefined));
    expect(steps.map((s) => commandLine(s))).toEqual([
      'offcpu_summary --tid 501',
      'sched_latency_summary --tid 501',
      'lock_wait_summary --pid 500',
      'offcpu_summary --tid 502',
      'sched_latency_summary --tid 502',
    ]);
  });
});
