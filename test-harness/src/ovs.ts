/**
 * Open vSwitch on the kernel datapath, inside a lab namespace: its own ovsdb-server and ovs-vswitchd
 * (run directory of their own), so the datapath and its ports live in that namespace and leave
 * with it. Needs the openvswitch module (the guest tier's kernels have it; this host's has not).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Netns } from './lab.ts';

/** Whether Open vSwitch's kernel datapath can run here: true, or why not. */
export function ovsAvailable(): true | string {
  if (spawnSync('sh', ['-c', 'command -v ovs-vswitchd'], { stdio: 'ignore' }).status !== 0) return 'ovs-vswitchd is not installed (bash .ci/setup.sh installs it)';
  // crc32c_generic: openvswitch's conntrack needs libcrc32c's implementation, which Debian builds as a module.
  for (const m of ['crc32c_generic', 'openvswitch']) {
    if (spawnSync('modprobe', [m], { stdio: 'ignore' }).status !== 0 && m === 'openvswitch') return 'this kernel has no openvswitch module';
  }
  return existsSync('/sys/module/openvswitch') ? true : 'the openvswitch module did not load';
}

/** The datapath's own lookup counters: hit its flow table, missed it (sent up to ovs-vswitchd), lost (the upcall failed). */
export interface DatapathLookups {
  hit: number;
  missed: number;
  lost: number;
}

export class OvsSwitch implements Disposable {
  private constructor(
    readonly ns: Netns,
    private readonly dir: string,
  ) {}

  static start(ns: Netns): OvsSwitch {
    const dir = mkdtempSync('/run/nst-ovs-');
    const ovs = new OvsSwitch(ns, dir);
    try {
      ovs.cmd('ovsdb-tool', 'create', join(dir, 'conf.db'), '/usr/share/openvswitch/vswitch.ovsschema');
      ovs.cmd('ovsdb-server', join(dir, 'conf.db'), `--remote=punix:${join(dir, 'db.sock')}`, '--pidfile', '--detach', '--log-file', '-vconsole:off');
      ovs.vsctl('--no-wait', 'init');
      // --detach returns once the daemon is up; it creates its datapath in this namespace.
      ovs.cmd('ip', 'netns', 'exec', ns.name, 'ovs-vswitchd', '--pidfile', '--detach', '--log-file', '-vconsole:off');
    } catch (e) {
      ovs.stop();
      throw e;
    }
    return ovs;
  }

  private cmd(...argv: string[]): string {
    const env = { ...process.env, OVS_RUNDIR: this.dir, OVS_DBDIR: this.dir, OVS_LOGDIR: this.dir, OVS_SYSCONFDIR: this.dir };
    return execFileSync(argv[0]!, argv.slice(1), { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  }

  vsctl(...args: string[]): string {
    return this.cmd('ovs-vsctl', ...args);
  }

  /** A bridge on the kernel datapath with these ports, forwarding only as the flows say (each
   * `in_port=PORT,actions=output:PORT`, by port name). */
  bridge(name: string, ports: string[], flows: [from: string, to: string][]): void {
    this.vsctl('add-br', name, '--', 'set', 'bridge', name, 'datapath_type=system', 'fail-mode=secure');
    for (const p of ports) this.vsctl('add-port', name, p);
    const ofport = (p: string) => this.vsctl('get', 'Interface', p, 'ofport').trim();
    for (const [from, to] of flows) this.cmd('ovs-ofctl', 'add-flow', name, `in_port=${ofport(from)},actions=output:${ofport(to)}`);
  }

  /** One more OpenFlow rule on a bridge (ovs-ofctl add-flow syntax). */
  addFlow(bridge: string, flow: string): void {
    this.cmd('ovs-ofctl', 'add-flow', bridge, flow);
  }

  /** ovs-appctl to ovs-vswitchd (upcall/disable-megaflows, say). */
  appctl(...args: string[]): string {
    return this.cmd('ovs-appctl', ...args);
  }

  /** ovs-dpctl (it asks the kernel datapath itself), one line of output each. */
  dpctl(...args: string[]): string[] {
    return this.cmd('ip', 'netns', 'exec', this.ns.name, 'ovs-dpctl', ...args).split('\n').filter((l) => l.trim());
  }

  /** The flows the kernel datapath holds, one line each. */
  datapathFlows(): string[] {
    return this.dpctl('dump-flows');
  }

  /** The datapath's port numbers, by port name (ovs-dpctl show). */
  datapathPorts(): Map<string, number> {
    const out = new Map<string, number>();
    for (const line of this.dpctl('show')) {
      const m = /^\s*port (\d+): (\S+)/.exec(line);
      if (m) out.set(m[2]!, Number(m[1]));
    }
    return out;
  }

  /** The datapath's counters, from the kernel itself (ovs-dpctl asks the datapath, not the daemon:
   * it answers while ovs-vswitchd is stopped). */
  lookups(): DatapathLookups {
    const out = this.cmd('ip', 'netns', 'exec', this.ns.name, 'ovs-dpctl', 'show');
    const m = /lookups: hit:(\d+) missed:(\d+) lost:(\d+)/.exec(out);
    if (!m) throw new Error(`ovs-dpctl show: no lookups line in\n${out}`);
    return { hit: Number(m[1]), missed: Number(m[2]), lost: Number(m[3]) };
  }

  private pid(daemon: string): number | undefined {
    const f = join(this.dir, `${daemon}.pid`);
    return existsSync(f) ? Number(readFileSync(f, 'utf8').trim()) : undefined;
  }

  /** Stops ovs-vswitchd where it is (SIGSTOP): upcalls wait for it. */
  pause(): void {
    process.kill(this.pid('ovs-vswitchd')!, 'SIGSTOP');
  }

  resume(): void {
    process.kill(this.pid('ovs-vswitchd')!, 'SIGCONT');
  }

  /** Kills ovs-vswitchd (SIGKILL): its datapath stays, with no handler to take an upcall. */
  kill(): void {
    process.kill(this.pid('ovs-vswitchd')!, 'SIGKILL');
  }

  stop(): void {
    for (const d of ['ovs-vswitchd', 'ovsdb-server']) {
      const pid = this.pid(d);
      if (!pid) continue;
      try {
        process.kill(pid, 'SIGCONT');
        process.kill(pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    spawnSync('ip', ['netns', 'exec', this.ns.name, 'ovs-dpctl', 'del-dp', 'ovs-system'], { stdio: 'ignore' });
    rmSync(this.dir, { recursive: true, force: true });
  }

  [Symbol.dispose](): void {
    this.stop();
  }
}
