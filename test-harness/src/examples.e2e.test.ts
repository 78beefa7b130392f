/**
 * Captures the real output of each tool into docs/examples/ and the README, so the documentation
 * never shows what the code cannot print. Each capture also checks what it shows.
 */
import { execFileSync, spawn } from 'node:child_process';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { publish } from './examples.ts';
import { Lab, TapRelay, bridgedVm, release, requireRoot, routed, runToolOnce, sendPaced, sendUdp, startSlowReader, startTool, tapVm, tcpSynToClosedPort, toolPath, twoHosts } from './index.ts';

const run = requireRoot('example capture');
const SLEEPER = fileURLToPath(new URL('../agents/sleeper.py', import.meta.url));
const LOCKSTRESS = fileURLToPath(new URL('../agents/lockstress.c', import.meta.url));
/** The CPU the cpu-tool examples pin their work to (the second one where there is one). */
const CPU = 1 % cpus().length;

describe.runIf(run)('examples for the documentation', () => {
  it('packet_drop_summary by reason, location and device', async () => {
    using lab = Lab.create();
    const { a, r, b } = routed(lab);
    r.nft('table inet demo {\n  chain c {\n    type filter hook forward priority 0; policy accept;\n    udp dport 5353 drop\n  }\n}\n');
    const args = ['--ip', '10.201.0.0/16', '--group-by', 'reason,location,device', '--interval', '60'];
    await using tool = await startTool(toolPath('packetDropSummary'), args, { json: false });
    sendUdp(a.ns, { dst: b.v4, dport: 7000, count: 200 });
    sendUdp(a.ns, { dst: b.v4, dport: 5353, count: 150 });
    sendUdp(a.ns, { dst: b.v4, dport: 8080, count: 100, ttl: 1 });
    const res = await tool.stop();
    expect(res.stdout).toMatch(/200\s+44\.4%\s+NO_SOCKET\s+__udp4_lib_rcv/);
    publish('packet_drop_summary', `packet_drop_summary ${args.join(' ')}`, res.stdout);
  });

  it('packet_drop_summary by flow, IPv6', async () => {
    using lab = Lab.create();
    const { a, b } = twoHosts(lab);
    const args = ['--netns', b.ns.name, '--protocol', 'udp', '--group-by', 'reason,flow', '--interval', '60'];
    await using tool = await startTool(toolPath('packetDropSummary'), args, { json: false });
    sendUdp(a.ns, { dst: b.v6, dport: 53, count: 30 });
    sendUdp(a.ns, { dst: b.v6, dport: 123, count: 12 });
    const res = await tool.stop();
    expect(res.stdout).toMatch(/30\s+71\.4%\s+NO_SOCKET\s+\[fd00:200::1\]:\d+ -> \[fd00:200::2\]:53 \(UDP\)/);
    publish('packet_drop_summary_flows', `packet_drop_summary ${args.join(' ').replace(b.ns.name, 'lab-b')}`, res.stdout);
  });

  it('packet_drop_details with a stack', async () => {
    using lab = Lab.create();
    const { a, b } = twoHosts(lab);
    const args = ['--netns', b.ns.name, '--stack'];
    await using tool = await startTool(toolPath('packetDropDetails'), args, { json: false });
    sendUdp(a.ns, { dst: b.v4, dport: 7000, count: 1 });
    tcpSynToClosedPort(a.ns, { dst: b.v6, dport: 443 });
    const res = await tool.stop();
    expect(res.stdout).toMatch(/NO_SOCKET at __udp4_lib_rcv\+0x[0-9a-f]+ dev eth0/);
    expect(res.stdout).toMatch(/TCP \[fd00:200::1\]:\d+ -> \[fd00:200::2\]:443 \[SYN\]/);
    publish('packet_drop_details', `packet_drop_details ${args.join(' ').replace(b.ns.name, 'lab-b')}`, res.stdout);
  });

  it('packet_drop_details as NDJSON', async () => {
    using lab = Lab.create();
    const { a, b } = twoHosts(lab);
    const args = ['--netns', b.ns.name, '--dst-port', '7000'];
    await using tool = await startTool(toolPath('packetDropDetails'), args);
    sendUdp(a.ns, { dst: b.v4, dport: 7000, count: 1 });
    const res = await tool.stop();
    expect(res.records.map((r) => r.type)).toEqual(['event', 'final']);
    publish('packet_drop_details_json', `packet_drop_details ${args.join(' ').replace(b.ns.name, 'lab-b')} --output json`, res.stdout);
  });

  it('system_network_metrics_summary', async () => {
    using lab = Lab.create();
    const { a, b, r } = routed(lab);
    // A rate-limited uplink on the router, so the example shows the qdisc's statistics and, with
    // --qdisc-sojourn, a sojourn histogram; the router tracks what it forwards (conntrack rows).
    r.tc('qdisc', 'add', 'dev', 'rb', 'root', 'tbf', 'rate', '10mbit', 'burst', '2000', 'limit', '1000000');
    r.nft('table inet track {\n chain forwarded {\n  type filter hook forward priority 0\n  ct state new counter\n }\n}\n');
    const run = ['--netns', lab.id + '-r', '--interval', '60', '--qdisc-sojourn'];
    await using tool = await startTool(toolPath('systemNetworkMetricsSummary'), run, { json: false });
    sendUdp(a.ns, { dst: b.v4, dport: 7000, count: 300, size: 200 });
    sendUdp(a.ns, { dst: b.v6, dport: 7000, count: 100, size: 1000 });
    await new Promise((resolve) => setTimeout(resolve, 500)); // the tbf queue drains in ~150 ms
    const res = await tool.stop();
    expect(res.stdout).toMatch(/ra\s+\d+\s+400\s+178800\s/);
    publish('system_network_metrics_summary', `system_network_metrics_summary ${run.join(' ').replace(lab.id + '-r', 'lab-r')}`, res.stdout);
  });

  it('system_network_latency_summary on the receive path, a slow reader', async () => {
    using lab = Lab.create();
    const { a, b } = twoHosts(lab);
    const reader = await startSlowReader(b.ns, { protocol: 'udp', bind: b.v4, port: 5300, count: 30, delayMs: 20 });
    const args = ['--direction', 'rx', '--netns', b.ns.name, '--protocol', 'udp', '--interval', '60'];
    await using tool = await startTool(toolPath('systemNetworkLatencySummary'), args, { json: false });
    sendPaced(a.ns, { protocol: 'udp', dst: b.v4, dport: 5300, count: 30, gapMs: 30 });
    await reader.done;
    const res = await tool.stop();
    expect(res.stdout).toMatch(/RX: started 30, completed 30, segmented 0, dropped 0, timed out 0/);
    expect(res.stdout).toMatch(/rx socket_queue -> read[\s\S]*16\.38 ms -> 32\.77 ms :\s+30 /);
    // The stage list goes to stderr in text mode: shown first, as a terminal shows it.
    publish('system_network_latency_summary', `system_network_latency_summary ${args.join(' ').replace(b.ns.name, 'lab-b')}`, `${res.stderr}${res.stdout}`);
  });

  it('system_network_latency_summary on the send path, behind a tbf', async () => {
    using lab = Lab.create();
    const { a, b } = twoHosts(lab);
    a.ns.tc('qdisc', 'add', 'dev', a.dev, 'root', 'tbf', 'rate', '5mbit', 'burst', '3000', 'limit', '1000000');
    const sink = await startSlowReader(b.ns, { protocol: 'udp', bind: '::', port: 5301, count: 60, delayMs: 0 });
    const args = ['--direction', 'tx', '--netns', a.ns.name, '--interval', '60', '--stages'];
    await using tool = await startTool(toolPath('systemNetworkLatencySummary'), args, { json: false });
    sendPaced(a.ns, { protocol: 'udp', dst: b.v4, dport: 5301, count: 30, size: 1200, gapMs: 0 });
    sendPaced(a.ns, { protocol: 'udp', dst: b.v6, dport: 5301, count: 30, size: 1200, gapMs: 0 });
    await sink.done;
    const res = await tool.stop();
    expect(res.stdout).toMatch(/tx qdisc_enqueue -> qdisc_dequeue/);
    expect(res.stdout).toMatch(/tx socket_send -> dev_queue/);
    publish('system_network_latency_summary_tx', `system_network_latency_summary ${args.join(' ').replace(a.ns.name, 'lab-a')}`, res.stdout);
  });

  it('system_network_latency_details over a threshold', async () => {
    using lab = Lab.create();
    const { a, b } = twoHosts(lab);
    // Three of twenty TCP segments wait 15 ms in the socket before the application reads them.
    const reader = await startSlowReader(b.ns, { protocol: 'tcp', bind: b.v6, port: 5302, count: 20, delayMs: 15, slow: 3, size: 500 });
    const args = ['--netns', b.ns.name, '--port', '5302', '--latency-threshold-us', '5000'];
    await using tool = await startTool(toolPath('systemNetworkLatencyDetails'), args, { json: false });
    sendPaced(a.ns, { protocol: 'tcp', dst: b.v6, dport: 5302, count: 20, size: 500, gapMs: 20 });
    await reader.done;
    const res = await tool.stop();
    expect(res.stdout).toMatch(/^3 packets at or over 5000 us\n  losses: lost 0 /m);
    publish('system_network_latency_details', `system_network_latency_details ${args.join(' ').replace(b.ns.name, 'lab-b')}`, res.stdout);
  });

  it('system_network_latency_details as NDJSON', async () => {
    using lab = Lab.create();
    const { a, b } = twoHosts(lab);
    const reader = await startSlowReader(b.ns, { protocol: 'udp', bind: b.v4, port: 5303, count: 5, delayMs: 12, slow: 1 });
    const args = ['--direction', 'rx', '--netns', b.ns.name, '--dst-port', '5303', '--latency-threshold-us', '10000'];
    await using tool = await startTool(toolPath('systemNetworkLatencyDetails'), args);
    sendPaced(a.ns, { protocol: 'udp', dst: b.v4, dport: 5303, count: 5, gapMs: 20 });
    await reader.done;
    const res = await tool.stop();
    expect(res.records.map((r) => r.type).filter((t) => t !== 'info')).toEqual(['event', 'final']);
    const out = res.stdout.split('\n').filter((l) => !l.includes('"type":"info"')).join('\n');
    publish('system_network_latency_details_json', `system_network_latency_details ${args.join(' ').replace(b.ns.name, 'lab-b')} --output json`, out);
  });

  it('softirq_latency_summary on the CPU that sends', async () => {
    using lab = Lab.create();
    const { a, b } = twoHosts(lab);
    const args = ['--vector', 'net_rx,net_tx,timer', '--cpu', String(CPU), '--top', '2', '--interval', '60'];
    await using tool = await startTool(toolPath('softirqLatencySummary'), args, { json: false });
    sendUdp(a.ns, { dst: b.v4, dport: 7000, count: 300, cpu: CPU });
    const res = await tool.stop();
    expect(res.stdout).toMatch(/NET_RX\s+all\s+\d+/);
    publish('softirq_latency_summary', `softirq_latency_summary ${args.join(' ')}`, res.stdout);
  });

  it('sched_latency_summary for one thread beside a CPU hog', async () => {
    const hog = spawn('taskset', ['-c', String(CPU), 'nice', '-n', '-10', 'sh', '-c', 'while :; do :; done'], { stdio: 'ignore' });
    const sleeper = spawn('taskset', ['-c', String(CPU), 'python3', SLEEPER, 'nst-sleeper', '100', '5', '1'], { stdio: ['pipe', 'ignore', 'ignore'] });
    try {
      const args = ['--comm', 'nst-sleeper', '--interval', '60'];
      await using tool = await startTool(toolPath('schedLatencySummary'), args, { json: false });
      release(sleeper);
      await new Promise((r) => sleeper.once('exit', r));
      const res = await tool.stop();
      expect(res.stdout).toMatch(/nst-sleeper\s+\d+\s+\d+/);
      publish('sched_latency_summary', `sched_latency_summary ${args.join(' ')}`, res.stdout);
    } finally {
      hog.kill('SIGKILL');
      sleeper.kill('SIGKILL');
    }
  });

  it('offcpu_summary of a sleeping thread, as a report and folded', async () => {
    const sleeper = spawn('python3', [SLEEPER, 'nst-offcpu', '60', '20', '0'], { stdio: ['pipe', 'ignore', 'ignore'] });
    try {
      const args = ['--comm', 'nst-offcpu', '--min-block-us', '1000', '--top', '2', '--interval', '60'];
      await using tool = await startTool(toolPath('offcpuSummary'), args, { json: false });
      release(sleeper);
      await new Promise((r) => sleeper.once('exit', r));
      const res = await tool.stop();
      expect(res.stdout).toMatch(/do_nanosleep/);
      expect(res.stdout).toMatch(/clock_nanosleep\+0x/);
      publish('offcpu_summary', `offcpu_summary ${args.join(' ')}`, res.stdout);
    } finally {
      sleeper.kill('SIGKILL');
    }
  });

  it('lock_wait_summary on two threads contending a mutex and a rwlock', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nst-lock-'));
    const exe = join(dir, 'lockstress');
    execFileSync('clang', ['-O2', '-fno-omit-frame-pointer', '-pthread', '-o', exe, LOCKSTRESS]);
    const proc = spawn(exe, ['30', '20'], { stdio: ['pipe', 'pipe', 'ignore'] });
    try {
      await new Promise((r) => proc.stdout!.once('data', r));
      await using tool = await startTool(toolPath('lockWaitSummary'), ['--pid', String(proc.pid), '--top', '6', '--interval', '60'], { json: false });
      release(proc);
      await new Promise((r) => proc.once('exit', r));
      const res = await tool.stop();
      expect(res.stdout).toMatch(/mutex\s+30\s/);
      publish('lock_wait_summary', 'lock_wait_summary --pid $(pidof lockstress) --top 6 --interval 60', res.stdout);
    } finally {
      proc.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('tun_ring_summary on a VM whose reader is slow, then stops', async () => {
    using lab = Lab.create();
    const { host, guest, addrs } = tapVm(lab, 32);
    await using relay = await TapRelay.start(host, guest, { sleepMs: 3 });
    const args = ['--netns', host.name, '--dwell', '--interval', '60'];
    await using tool = await startTool(toolPath('tunRingSummary'), args, { json: false });
    // 20 packets the reader takes 3 ms each to read, then 80 more while it reads nothing.
    sendPaced(host, { protocol: 'udp', dst: addrs.guest.v4, dport: 9, count: 20, gapMs: 10 });
    for (let i = 0; i < 100 && (await relay.command('stats')).to_guest < 20; i++) await new Promise((r) => setTimeout(r, 20));
    await relay.command('pause');
    sendUdp(host, { dst: addrs.guest.v4, dport: 9, count: 80 });
    const res = await tool.stop();
    expect({ exitCode: res.exitCode, signal: res.signal }, res.stderr).toEqual({ exitCode: 0, signal: null });
    // Every transmit that found the ring full was dropped FULL_RING.
    expect(res.stdout).toMatch(/tap0\s+0\s+32\s+100\s+(\d+)\s.*FULL_RING \1\n/);
    publish('tun_ring_summary', `tun_ring_summary ${args.join(' ').replace(host.name, 'vm1-host')}`, res.stdout);
  });

  it('tun_ring_details on a VM whose reader read 5 packets and stopped', async () => {
    using lab = Lab.create();
    const { host, guest, addrs } = tapVm(lab, 8);
    await using relay = await TapRelay.start(host, guest);
    const args = ['--netns', host.name, '--interface', 'tap0'];
    await using tool = await startTool(toolPath('tunRingDetails'), args, { json: false });
    sendUdp(host, { dst: addrs.guest.v4, dport: 9, count: 5 });
    for (let i = 0; i < 100 && (await relay.command('stats')).to_guest < 5; i++) await new Promise((r) => setTimeout(r, 20));
    await relay.command('pause');
    sendPaced(host, { protocol: 'udp', dst: addrs.guest.v4, dport: 9, count: 12, gapMs: 2 });
    const res = await tool.stop();
    expect(res.stdout).toMatch(/tap0 q0 FULL_RING drop at tun_net_xmit\+0x[0-9a-f]+: ring 8\/8 full/);
    publish('tun_ring_details', `tun_ring_details ${args.join(' ').replace(host.name, 'vm1-host')}`, res.stdout);
  });

  it('vm_network_latency_summary on a VM that reads 5 ms late, behind a shaped uplink', async () => {
    using lab = Lab.create();
    const { host, guest, peer, addrs } = bridgedVm(lab, 256);
    host.exec('tc', ['qdisc', 'replace', 'dev', 'phy0', 'root', 'tbf', 'rate', '800kbit', 'burst', '1600', 'latency', '2s']);
    await using relay = await TapRelay.start(host, guest, { sleepMs: 5 });
    const args = ['--netns', host.name, '--vm-interface', 'tap0', '--phy-interface', 'phy0', '--interval', '60'];
    await using tool = await startTool(toolPath('vmNetworkLatencySummary'), args, { json: false });
    // 10 datagrams of 1000 bytes from the VM at once through the 800 kbit/s uplink, then 10 to it.
    sendUdp(guest, { dst: addrs.peer.v4, dport: 9, count: 10, size: 1000 });
    sendPaced(peer, { protocol: 'udp', dst: addrs.guest.v4, dport: 9, count: 10, gapMs: 20 });
    for (let i = 0; i < 100 && (await relay.command('stats')).to_guest < 10; i++) await new Promise((r) => setTimeout(r, 20));
    const res = await tool.stop();
    expect(res.stdout).toMatch(/tap0\s+rx\s+10\s+10\s+0\s+0\s/);
    publish('vm_network_latency_summary', `vm_network_latency_summary ${args.join(' ').replace(host.name, 'host1')}`, res.stdout);
  });

  it('vm_network_latency_details on a VM that reads 5 ms late', async () => {
    using lab = Lab.create();
    const { host, guest, peer, addrs } = bridgedVm(lab, 256);
    await using relay = await TapRelay.start(host, guest, { sleepMs: 5 });
    const args = ['--netns', host.name, '--vm-interface', 'tap0', '--phy-interface', 'phy0', '--latency-threshold-us', '3000'];
    await using tool = await startTool(toolPath('vmNetworkLatencyDetails'), args, { json: false });
    sendPaced(peer, { protocol: 'udp', dst: addrs.guest.v4, dport: 9, count: 3, gapMs: 20 });
    for (let i = 0; i < 100 && (await relay.command('stats')).to_guest < 3; i++) await new Promise((r) => setTimeout(r, 20));
    const res = await tool.stop();
    expect(res.stdout).toMatch(/tap0 rx .*most in TAP ring -> read by the VM/);
    publish('vm_network_latency_details', `vm_network_latency_details ${args.join(' ').replace(host.name, 'host1')}`, res.stdout);
  });

  it('netstrata doctor and list', () => {
    const doctor = runToolOnce(toolPath('netstrata'), ['doctor']);
    expect(doctor.exitCode).toBe(0);
    publish('netstrata_doctor', 'netstrata doctor', doctor.stdout);
    const list = runToolOnce(toolPath('netstrata'), ['list']);
    expect(list.exitCode).toBe(0);
    publish('netstrata_list', 'netstrata list', list.stdout);
  });
});
