/**
 * netstrata audit against a lab whose settings are broken on purpose, and the same lab set sanely.
 * Truth: what the lab was set to (a TAP ring of 2 packets, strict reverse-path filtering on an
 * interface whose sources are routed back by another, a conntrack table filled to 85 % of its limit)
 * and the kernel's own counters, read beside the audit. Host rules get their truth from this host:
 * a CPU hog pinned where this machine's own NIC interrupts land (found here from sysfs and
 * /proc/interrupts, none changed), and threads named as QEMU names vCPU and vhost threads.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, realpathSync } from 'node:fs';
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AuditReport, Finding } from '@netstrata/cli';
import { publish } from './examples.ts';
import { Lab, requireRoot, routed, runToolOnce, sendUdp, toolPath, until, type Netns } from './index.ts';

const run = requireRoot('netstrata audit end-to-end tests');

/** A source on a's side that r also routes towards b: 10.201.9.0/24 goes via b, and via a as a
 * backup (metric 200), so packets from it may arrive on ra while the route back leaves by rb. */
const BACKUP_NET = '10.201.9.0/24';
const BACKUP_SRC = '10.201.9.5';
/** Packets a sends from BACKUP_SRC to r. */
const SPOOFED = 25;
/** How full the broken lab's conntrack table is made, as a share of nf_conntrack_max. */
const FILL = 0.85;

interface AuditLab {
  a: { ns: Netns; v4: string };
  r: Netns;
  /** r's address towards a. */
  rA: string;
  /** b's address. */
  b: string;
}

/** a — r — b (routed), with a TAP in r, the asymmetric route, and conntrack tracking r's own sends. */
function auditLab(lab: Lab, broken: boolean): AuditLab {
  const { a, r, b, rA } = routed(lab);
  lab.tap(r, 'tap0', { txqueuelen: broken ? 2 : 1000 });
  r.route(BACKUP_NET, 'via', b.v4, 'dev', 'rb');
  r.route(BACKUP_NET, 'via', a.v4, 'dev', 'ra', 'metric', '200');
  for (const dev of ['all', 'default', 'rb', 'tap0', 'lo']) r.sysctl(`net.ipv4.conf.${dev}.rp_filter`, 0);
  // Strict on ra in the broken lab; loose, as ip-sysctl.rst recommends for asymmetric routes, in the clean one.
  r.sysctl('net.ipv4.conf.ra.rp_filter', broken ? 1 : 2);
  a.ns.addr(a.dev, `${BACKUP_SRC}/32`);
  // r tracks what it sends (IPv4), for long enough to be audited; b drops it without a word back.
  r.nft('table ip track {\n chain out {\n  type filter hook output priority 0\n  ct state new counter\n }\n}\n');
  r.sysctl('net.netfilter.nf_conntrack_udp_timeout', 600);
  b.ns.nft('table ip sink {\n chain in {\n  type filter hook input priority 0\n  udp dport 1024-65535 drop\n }\n}\n');
  return { a: { ns: a.ns, v4: a.v4 }, r, rA: rA.v4, b: b.v4 };
}

/** `n` UDP flows from r to `dst`, one datagram each (distinct source and destination ports). */
function flows(r: Netns, dst: string, n: number): number {
  const script = [
    'import socket, sys',
    'n, dst, sent = int(sys.argv[1]), sys.argv[2], 0',
    'while sent < n:',
    '    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)',
    '    for port in range(1024, 65536):',
    '        if sent == n: break',
    "        s.sendto(b'x', (dst, port))",
    '        sent += 1',
    '    s.close()',
    'print(sent)',
  ].join('\n');
  return Number(r.exec('python3', ['-c', script, String(n), dst]).trim());
}

const read = (ns: Netns, path: string) => ns.exec('cat', [path]).trim();
const netstat = (ns: Netns, field: string) => {
  const lines = read(ns, '/proc/net/netstat').split('\n').filter((l) => l.startsWith('TcpExt:'));
  return Number(lines[1]!.split(/\s+/)[lines[0]!.split(/\s+/).indexOf(field)]);
};

function auditJson(args: string[]): { report: AuditReport; exitCode: number | null } {
  const res = runToolOnce(toolPath('netstrata'), ['audit', '--output', 'json', ...args]);
  if (res.exitCode !== 0 && res.exitCode !== 3) throw new Error(`netstrata audit exited ${res.exitCode}: ${res.stderr}`);
  return { report: JSON.parse(res.stdout) as AuditReport, exitCode: res.exitCode };
}

const ev = (f: Finding, name: string) => f.evidence.find((e) => e.name === name)?.value;
const consistentExit = (r: AuditReport, code: number | null) => expect(code).toBe(r.counts.critical + r.counts.warning > 0 ? 3 : 0);

describe.runIf(run)('netstrata audit: a lab broken on purpose, and the same lab set sanely', () => {
  it('the broken lab gives exactly its three findings, each with the values the kernel holds', async () => {
    using lab = Lab.create();
    const { a, r, rA, b } = auditLab(lab, true);
    const ctCount = () => Number(read(r, '/proc/sys/net/netfilter/nf_conntrack_count'));
    // Sources of the backup path arriving on ra: strict mode drops each one (and the conntrack entry
    // each had begun, unconfirmed, with it: wait until all are gone).
    expect(sendUdp(a.ns, { src: BACKUP_SRC, dst: rA, dport: 9, count: SPOOFED }).sent).toBe(SPOOFED);
    await until(() => netstat(r, 'IPReversePathFilter') === SPOOFED && ctCount() === 0, 'the reverse-path drops to be counted');
    // The limit is the host's: a namespace cannot set its own here. Filled to FILL of it.
    const max = Number(read(r, '/proc/sys/net/netfilter/nf_conntrack_max'));
    const want = Math.ceil(max * FILL);
    expect(flows(r, b, want)).toBe(want);
    const count = ctCount();
    expect(count).toBe(want);

    const { report, exitCode } = auditJson(['--netns', r.name, '--sample', '0.2']);
    expect(report.netns).toEqual({ inode: r.inode, name: r.name });
    const mine = report.findings.filter((f) => f.scope === 'netns');
    expect(mine.map((f) => [f.severity, f.rule, f.subject])).toEqual([
      ['critical', 'rp-filter', 'ra'],
      ['warning', 'tap-ring', 'tap0'],
      ['warning', 'conntrack-table', 'conntrack'],
    ]);
    // Nothing the namespace rules needed went unread.
    expect(report.unread.filter((u) => u.scope === 'netns')).toEqual([]);
    consistentExit(report, exitCode);
    expect(exitCode).toBe(3);

    const [rp, tap, ct] = mine as [Finding, Finding, Finding];
    expect(rp.about.devices).toEqual(['ra', 'rb']);
    expect(ev(rp, 'net.ipv4.conf.all.rp_filter')).toBe(0);
    expect(ev(rp, 'net.ipv4.conf.ra.rp_filter')).toBe(1);
    expect(ev(rp, 'route via ra')).toBe(`${BACKUP_NET} via ${a.v4} dev ra metric 200`);
    expect(ev(rp, 'route back to 10.201.9.0')).toBe(`${BACKUP_NET} via ${b} dev rb`);
    expect(ev(rp, '/proc/net/netstat: TcpExt IPReversePathFilter')).toBe(SPOOFED);
    expect(rp.fix).toMatch(/^sysctl -w net\.ipv4\.conf\.ra\.rp_filter=2 /);

    expect(ev(tap, '/sys/class/net/tap0/tx_queue_len')).toBe(2);
    expect(ev(tap, 'net.core.netdev_budget')).toBe(Number(readFileSync('/proc/sys/net/core/netdev_budget', 'utf8')));
    expect(tap.fix).toBe('ip link set dev tap0 txqueuelen 1000');

    // The entries the kernel counts, unchanged while the audit ran; so the host's limit, which another
    // test running at the same time could have changed.
    expect(ctCount()).toBe(count);
    expect(Number(read(r, '/proc/sys/net/netfilter/nf_conntrack_max')), "the host's nf_conntrack_max changed during the test").toBe(max);
    expect(ev(ct, 'net.netfilter.nf_conntrack_count')).toBe(count);
    expect(ev(ct, 'net.netfilter.nf_conntrack_max')).toBe(max);
    expect(ct.summary).toBe(`conntrack table ${Math.round((count / max) * 1000) / 10} % full (${count} of ${max} entries)`);

    // Every namespace rule looked at what it should have.
    const checked = Object.fromEntries(report.rules.map((x) => [x.rule, x.checked]));
    expect(checked['tap-ring']).toEqual(['tap0']);
    expect(checked['rp-filter']!.sort()).toEqual(['ra', 'rb', 'tap0']);
    expect(checked['conntrack-table']).toEqual(['conntrack']);
    expect(checked['offloads']!.sort()).toEqual(['ra', 'rb', 'tap0']);

    // The same audit as text, as the docs show it.
    const text = runToolOnce(toolPath('netstrata'), ['audit', '--netns', r.name]);
    expect(text.exitCode).toBe(3);
    expect(text.stdout).toContain('\nCRITICAL\n  [rp-filter] ra: strict reverse-path filter on ra, but 10.201.9.0/24 is routed back via rb;');
    expect(text.stdout).toContain('\n  [tap-ring] tap0: TAP ring holds 2 packets (txqueuelen 2)');
    expect(text.stdout.replace(/\n +/g, ' ')).toContain(`conntrack table ${Math.round((count / max) * 1000) / 10} % full (${count} of ${max} entries)`);
    publish('netstrata_audit', 'netstrata audit --netns lab-r', text.stdout.replaceAll(r.name, 'lab-r'));
    // Filling a quarter of a million conntrack entries takes a few seconds, more on a loaded machine.
  }, 180_000);

  it('the same lab set sanely gives no namespace finding', () => {
    using lab = Lab.create();
    const { a, r, rA, b } = auditLab(lab, false);
    expect(flows(r, b, 20)).toBe(20);
    // Loose mode: the backup path's packets are let in.
    expect(sendUdp(a.ns, { src: BACKUP_SRC, dst: rA, dport: 9, count: SPOOFED }).sent).toBe(SPOOFED);
    expect(netstat(r, 'IPReversePathFilter')).toBe(0);

    const { report, exitCode } = auditJson(['--netns', r.name, '--sample', '0.2']);
    expect(report.findings.filter((f) => f.scope === 'netns')).toEqual([]);
    expect(report.unread.filter((u) => u.scope === 'netns')).toEqual([]);
    consistentExit(report, exitCode);
    // It looked: the TAP, the interfaces, the table.
    const checked = Object.fromEntries(report.rules.map((x) => [x.rule, x.checked]));
    expect(checked['tap-ring']).toEqual(['tap0']);
    expect(checked['rp-filter']!.sort()).toEqual(['ra', 'rb', 'tap0']);
    expect(checked['conntrack-table']).toEqual(['conntrack']);
  });

  it('bad input is one line naming the option, exit 2', () => {
    using lab = Lab.create();
    const other = lab.netns('x');
    for (const [args, re, opts] of [
      [['--netns', 'nstlab-no-such-namespace'], /^netstrata: --netns: no network namespace 'nstlab-no-such-namespace'/, {}],
      [['--sample', '0'], /^netstrata: --sample: '0' must be at least 0\.1$/, {}],
      [['--sample', 'soon'], /^netstrata: --sample: 'soon' is not a number$/, {}],
      [['--output', 'yaml'], /^netstrata: --output: /, {}],
      [['--netns', other.name], /^netstrata: --netns: entering another network namespace needs root \(CAP_SYS_ADMIN\)/, { unprivileged: true }],
    ] as const) {
      const r = runToolOnce(toolPath('netstrata'), ['audit', ...args], opts);
      expect(r.exitCode, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stderr.trim()).toMatch(re);
    }
  });
});

/** This host's NIC interrupts that have fired, with the CPU each is delivered to, busiest first:
 * from sysfs (the devices' MSI vectors, a virtio NIC's on its PCI function) and /proc/interrupts. */
function hostNicIrqs(): { device: string; irq: number; name: string; cpu: number; total: number }[] {
  const [header, ...rows] = readFileSync('/proc/interrupts', 'utf8').split('\n');
  const ncpu = header!.trim().split(/\s+/).length;
  const byIrq = new Map<number, { name: string; total: number }>();
  for (const row of rows) {
    const m = /^\s*(\d+):(.*)$/.exec(row);
    if (!m) continue;
    const fields = m[2]!.trim().split(/\s+/);
    byIrq.set(Number(m[1]), { name: m[2]!.trim().split(/\s{2,}/).pop()!, total: fields.slice(0, ncpu).reduce((s, v) => s + Number(v), 0) });
  }
  const out: { device: string; irq: number; name: string; cpu: number; total: number }[] = [];
  for (const device of readdirSync('/sys/class/net')) {
    if (!existsSync(`/sys/class/net/${device}/device`)) continue;
    const dev = realpathSync(`/sys/class/net/${device}/device`);
    const dir = [dev, dirname(dev)].map((d) => `${d}/msi_irqs`).find((d) => existsSync(d));
    for (const irq of dir ? readdirSync(dir).map(Number) : []) {
      const i = byIrq.get(irq);
      if (!i?.total) continue;
      const cpu = Number(readFileSync(`/proc/irq/${irq}/effective_affinity_list`, 'utf8').trim().split(/[-,]/)[0]);
      out.push({ device, irq, name: i.name, cpu, total: i.total });
    }
  }
  return out.sort((x, y) => y.total - x.total);
}

const spawnHeld = (args: string[]): ChildProcess => spawn(args[0]!, args.slice(1), { stdio: ['pipe', 'pipe', 'inherit'] });

describe.runIf(run)('netstrata audit: host rules on this host', () => {
  it("a CPU hog pinned where this host's NIC interrupts land: the finding names the CPU, the hog and the interrupt", async (ctx) => {
    const nics = hostNicIrqs();
    if (!nics.length || Number(readFileSync('/sys/devices/system/cpu/online', 'utf8').trim().split('-').pop()) < 1) {
      const why = 'this host has no NIC interrupt that has fired, or a single CPU: nowhere to pin a hog beside one';
      if (process.env.CI) throw new Error(why);
      ctx.skip(why);
    }
    const nic = nics[0]!;
    // Always runnable: on its CPU or waiting for it the whole sample, whatever else runs there (the
    // rule counts both, so other work on the machine does not make it look idle).
    const hog = spawn('taskset', ['-c', String(nic.cpu), 'sh', '-c', 'while :; do :; done'], { stdio: 'ignore' });
    try {
      await until(() => existsSync(`/proc/${hog.pid}/comm`) && readFileSync(`/proc/${hog.pid}/comm`, 'utf8').trim() === 'sh', 'the hog to start');
      const { report, exitCode } = auditJson(['--sample', '1']);
      const found = report.findings.filter((f) => f.rule === 'irq-cpu-busy-thread' && f.about.pids?.includes(hog.pid!));
      expect(found).toHaveLength(1);
      const f = found[0]!;
      expect(f).toMatchObject({ scope: 'host', severity: 'warning', subject: `CPU ${nic.cpu}` });
      expect(f.about.cpus).toEqual([nic.cpu]);
      expect(f.about.tids).toEqual([hog.pid]);
      expect(f.about.irqs).toContain(nic.irq);
      expect(f.about.devices).toContain(nic.device);
      expect(f.summary).toContain(`IRQ ${nic.irq} (${nic.name}, ${nic.device})`);
      expect(ev(f, `/proc/${hog.pid}/task/${hog.pid}/status: Cpus_allowed_list`)).toBe(String(nic.cpu));
      consistentExit(report, exitCode);
      console.log(`hog on CPU ${nic.cpu} beside IRQ ${nic.irq} (${nic.name}, ${nic.device}): ${f.summary}`);
    } finally {
      hog.kill('SIGKILL');
    }
  });

  it('a vhost worker that can only run on the CPU its VM pins a vCPU to is a finding naming both threads', async () => {
    // Threads named as QEMU and the kernel name them: "CPU 0/KVM" and "vhost-<owner pid>", both
    // pinned to one CPU. No hypervisor: the rule judges names and affinities.
    const cpu = 1;
    const script = [
      'import ctypes, os, sys, threading',
      'libc = ctypes.CDLL(None)',
      'stop, tids, ready = threading.Event(), {}, []',
      'def named(name):',
      '    libc.prctl(15, name.encode(), 0, 0, 0)',
      `    os.sched_setaffinity(0, {${cpu}})`,
      '    tids[name] = threading.get_native_id()',
      '    ready.append(name)',
      '    stop.wait()',
      "for name in ('CPU 0/KVM', 'vhost-%d' % os.getpid()):",
      '    threading.Thread(target=named, args=(name,), daemon=True).start()',
      'while len(ready) < 2: pass',
      "print(tids['CPU 0/KVM'], tids['vhost-%d' % os.getpid()], flush=True)",
      'sys.stdin.read()',
    ].join('\n');
    const vm = spawnHeld(['python3', '-c', script]);
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let out = '';
        vm.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('\n')) resolve(out.trim());
        });
        vm.once('exit', (code) => reject(new Error(`the threads exited (${code})`)));
      });
      const [vcpu, vhost] = line.split(' ').map(Number) as [number, number];
      const { report } = auditJson(['--sample', '0.2']);
      const found = report.findings.filter((f) => f.rule === 'vhost-vcpu' && f.about.tids?.includes(vhost));
      expect(found).toHaveLength(1);
      const f = found[0]!;
      expect(f).toMatchObject({ scope: 'host', severity: 'warning', subject: `vhost-${vm.pid} (tid ${vhost})` });
      expect(f.about).toEqual({ cpus: [cpu], pids: [vm.pid], tids: [vhost, vcpu] });
      expect(f.summary).toBe(`vhost worker of process ${vm.pid} can only run on CPU ${cpu}, which is pinned to vCPU thread CPU 0/KVM (pid ${vm.pid}, tid ${vcpu}, CPU ${cpu})`);
      expect(f.fix).toBe(`taskset -pc 0 ${vhost} (libvirt: <emulatorpin cpuset='0'/>)`);
    } finally {
      vm.stdin!.end();
      vm.kill('SIGKILL');
    }
  });
});
