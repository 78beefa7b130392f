import { describe, expect, it } from 'vitest';
import { busyPoll, napiDefer } from './busy-poll.ts';
import { got } from './facts.ts';
import { device, facts } from './fixture.ts';

describe('busy-poll', () => {
  it('off is fine; on is info; above 100 µs is a warning', () => {
    expect(busyPoll.check(facts()).findings).toEqual([]);
    const r = busyPoll.check(facts({ host: { sysctls: { 'net.core.busy_read': got('net.core.busy_read', 50), 'net.core.busy_poll': got('net.core.busy_poll', 200) } } }));
    expect(r.findings.map((f) => [f.subject, f.severity, f.fix])).toEqual([
      ['net.core.busy_read', 'info', 'sysctl -w net.core.busy_read=0 (or keep it, if the latency gain is wanted)'],
      ['net.core.busy_poll', 'warning', 'sysctl -w net.core.busy_poll=50'],
    ]);
    expect(r.checked).toEqual(['net.core.busy_read', 'net.core.busy_poll']);
  });

  it('a kernel without busy polling has nothing to judge', () => {
    expect(busyPoll.check(facts({ host: { sysctls: {} } }))).toEqual({ findings: [], unread: [], checked: [] });
  });
});

describe('napi-defer', () => {
  it('deferral without a timeout does nothing: a warning', () => {
    const d = device('eth0', { napiDeferHardIrqs: got('/sys/class/net/eth0/napi_defer_hard_irqs', 2) });
    const r = napiDefer.check(facts({ ns: { devices: got('d', [d]) } }));
    expect(r.findings.map((f) => [f.severity, f.summary])).toEqual([['warning', 'napi_defer_hard_irqs is 2 but gro_flush_timeout is 0: interrupts are never deferred']]);
  });

  it('a flush timeout states the latency it may add', () => {
    const d = device('eth0', { napiDeferHardIrqs: got('a', 2), groFlushTimeout: got('b', 200000) });
    const r = napiDefer.check(facts({ ns: { devices: got('d', [d]) } }));
    expect(r.findings.map((f) => [f.severity, f.summary])).toEqual([['info', 'gro_flush_timeout is 200 µs with napi_defer_hard_irqs 2: received packets can wait that long']]);
  });

  it('both zero is fine', () => {
    const r = napiDefer.check(facts({ ns: { devices: got('d', [device('eth0'), device('tap0', { tun: 'tap' })]) } }));
    expect(r.findings).toEqual([]);
    expect(r.checked).toEqual(['eth0', 'tap0']);
  });
});
