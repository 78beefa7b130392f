import { describe, expect, it } from 'vitest';
import { got, unread } from './facts.ts';
import { device, facts, interrupt, thread } from './fixture.ts';
import { audit, EXIT_FINDINGS, exitStatus, renderAudit, RULES } from './report.ts';

const NETNS = { inode: 4026532301, name: 'lab-r' };

describe('audit report', () => {
  it('a healthy host and namespace: no finding, every rule listed with what it checked, exit 0', () => {
    const r = audit(facts({ ns: { devices: got('d', [device('veth0'), device('tap0', { tun: 'tap' })]) } }), NETNS, new Date('2025-01-01T00:00:00Z'));
    expect(r).toMatchObject({ type: 'info', tool: 'netstrata', command: 'audit', time: '2025-01-01T00:00:00.000Z', netns: NETNS, sample_s: 1, counts: { critical: 0, warning: 0, info: 0 }, findings: [], unread: [] });
    expect(r.rules.map((x) => x.rule)).toEqual(RULES.map((x) => x.name));
    expect(r.rules.find((x) => x.rule === 'tap-ring')!.checked).toEqual(['tap0']);
    expect(exitStatus(r)).toBe(0);
    const text = renderAudit(r);
    expect(text).toMatch(/^audit of network namespace lab-r \(inode 4026532301\) and the host, threads and interrupts sampled over 1 s\nnothing off: no finding\n/);
    expect(text).toMatch(/\n  tap-ring +netns {2}ok; tap0\n/);
    expect(text).toMatch(/\n  vhost-vcpu +host {3}ok; nothing to check/);
  });

  it('findings most severe first, grouped in text; unread listed once per thing with its rules; exit 3 with a warning', () => {
    const f = facts({
      ns: {
        devices: got('d', [device('tap0', { tun: 'tap', txqueuelen: got('/sys/class/net/tap0/tx_queue_len', 2), features: unread('ethtool', 'ethtool is not installed') })]),
        conntrack: got('/proc/net/stat/nf_conntrack', { count: 990, max: 1000, drop: 0, earlyDrop: 0, insertFailed: 0 }),
      },
      host: { sysctls: { 'net.core.busy_read': got('net.core.busy_read', 50), 'net.core.netdev_budget': got('net.core.netdev_budget', 300) } },
    });
    const r = audit(f, { inode: 1, name: null });
    expect(r.findings.map((x) => [x.severity, x.rule])).toEqual([
      ['critical', 'conntrack-table'],
      ['warning', 'tap-ring'],
      ['info', 'busy-poll'],
    ]);
    expect(r.counts).toEqual({ critical: 1, warning: 1, info: 1 });
    expect(r.unread).toEqual([{ rule: 'offloads', scope: 'netns', what: 'ethtool', reason: 'ethtool is not installed' }]);
    expect(exitStatus(r)).toBe(EXIT_FINDINGS);
    const text = renderAudit(r);
    expect(text).toContain('3 findings: 1 critical, 1 warning, 1 info');
    expect(text.indexOf('\nCRITICAL\n')).toBeLessThan(text.indexOf('\nWARNING\n'));
    expect(text.indexOf('\nWARNING\n')).toBeLessThan(text.indexOf('\nINFO\n'));
    expect(text).toContain('  [tap-ring] tap0: TAP ring holds 2 packets (txqueuelen 2)');
    expect(text).toContain('  [busy-poll] net.core.busy_read (host): busy polling is on: up to 50 µs');
    expect(text).toContain('        /sys/class/net/tap0/tx_queue_len = 2\n');
    expect(text).toContain('      fix: ip link set dev tap0 txqueuelen 1000\n');
    expect(text).toContain('could not read (the rules named did not check what depends on it):\n  ethtool: ethtool is not installed (offloads)');
    for (const line of text.split('\n')) expect(line.length, line).toBeLessThanOrEqual(100);
  });

  it('only info findings: exit 0', () => {
    const r = audit(facts({ host: { sysctls: { 'net.core.busy_read': got('net.core.busy_read', 50) } } }), NETNS);
    expect(r.counts.info).toBe(1);
    expect(exitStatus(r)).toBe(0);
  });

  it('every rule has a title, a source and a scope, and names are unique', () => {
    expect(new Set(RULES.map((r) => r.name)).size).toBe(RULES.length);
    for (const r of RULES) {
      expect(r.title.length, r.name).toBeGreaterThan(10);
      expect(r.source, r.name).toMatch(/Documentation\/|\(\d\)|Guide|libvirt|drivers\//);
    }
    // Namespace rules first, so the two scopes read apart.
    const scopes = RULES.map((r) => r.scope);
    expect(scopes.lastIndexOf('netns')).toBeLessThan(scopes.indexOf('host'));
  });

  it('the CPU-sharing finding reads in text as it does in JSON', () => {
    const f = facts({
      host: {
        interrupts: got('/proc/interrupts', [interrupt(38, 'virtio2-input.0', [0], { sample: [5] })]),
        netIrqs: [{ irq: 38, device: 'eth0' }],
        threads: got('t', [thread('sh', { pid: 777, allowed: [0], cpuMs: 990 })]),
      },
    });
    const r = audit(f, NETNS);
    expect(r.findings.map((x) => x.rule)).toEqual(['irq-cpu-busy-thread']);
    expect(renderAudit(r).replace(/\n +/g, ' ')).toContain('[irq-cpu-busy-thread] CPU 0 (host): busy thread sh (pid 777), running or waiting to run 99 % of the sample, is pinned to CPU 0, where IRQ 38 (virtio2-input.0, eth0) lands');
  });
});
