/**
 * A test guest: a prepared kernel booted under QEMU (TCG: this machine has no hardware
 * virtualization) with the host's root shared read-only, a virtio-net NIC on a TAP in a lab
 * namespace, and an agent that runs the host's commands inside it over a virtio-serial port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { Lab, sweepStaleLabs, type Netns } from '../lab.ts';
import { agentPath, guestFile } from '../agents.ts';
import type { KernelImage } from './image.ts';

export interface BootOptions {
  cpus?: number;
  memoryMb?: number;
  /** Seconds to wait for the agent's first answer (boot under TCG takes 4–10 s, more on a busy host). */
  bootTimeoutS?: number;
  /** A script (host path) the guest runs in the background as soon as it is up, before the agent;
   * its output goes to early.log in the results share. */
  early?: string;
}

export interface ExecOptions {
  env?: Record<string, string>;
  cwd?: string;
  /** Output as it comes (the result then carries none). */
  onOutput?: (stream: 'stdout' | 'stderr', data: string) => void;
}

export interface ExecResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  onOutput?: ExecOptions['onOutput'];
}

/** The lab addresses of the guest's NIC and of its TAP on the host side. */
export const GUEST_NET = { host: '10.250.0.1', guest: '10.250.0.2', prefix: 24, hostIp6: 'fd00:250::1', guestIp6: 'fd00:250::2', mac: '52:54:00:4e:53:00' };

/**
 * Two more virtio-net NICs, each on a TAP of one host bridge: a test in the guest sends from one to
 * the other through the host, and the receiving NIC's RX queues, NAPI polls and interrupts are the
 * guest's own (packages/virtio). The second has two queue pairs, one MSI-X vector per queue. The
 * host side carries no traffic of its own (no IPv6 on the TAPs or the bridge).
 */
export const PROBE_NICS = [
  { mac: '52:54:00:4e:53:01', tap: 'gtap1', queues: 1 },
  { mac: '52:54:00:4e:53:02', tap: 'gtap2', queues: 2 },
] as const;
const PROBE_BRIDGE = 'gbr0';

const live = new Set<Guest>();
process.on('exit', () => {
  for (const g of live) g.kill();
});

/** Namespaces of the labs guests are booted in start with this. */
export const GUEST_LAB_PREFIX = 'nstgst';

export class Guest {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private buffered = '';
  private exited: Promise<number | null>;
  private console = '';
  bootSeconds = 0;
  /** The guest's kernel release, as it reports it. */
  release = '';

  private constructor(
    readonly image: KernelImage,
    private readonly qemu: ChildProcess,
    private readonly socket: Socket,
    readonly lab: Lab,
    /** The namespace holding the guest's TAP (its peer on the wire). */
    readonly hostNs: Netns,
    readonly tap: string,
    /** The writable share, /mnt/out in the guest. */
    readonly outDir: string,
  ) {
    this.exited = new Promise((resolve) => qemu.once('exit', (code) => resolve(code)));
  }

  static async boot(image: KernelImage, opts: BootOptions = {}): Promise<Guest> {
    const started = performance.now();
    // A run killed before its shutdown (SIGKILL, a lost terminal) leaves its lab: remove those whose
    // process is gone; a guest another process still runs keeps its own.
    sweepStaleLabs(GUEST_LAB_PREFIX);
    const lab = Lab.create(GUEST_LAB_PREFIX);
    const hostNs = lab.netns('host');
    const tap = 'gtap0';
    hostNs.ip('tuntap', 'add', 'dev', tap, 'mode', 'tap');
    hostNs.addr(tap, `${GUEST_NET.host}/${GUEST_NET.prefix}`);
    hostNs.addr(tap, `${GUEST_NET.hostIp6}/64`);
    hostNs.up(tap);
    hostNs.exec('sysctl', ['-qw', 'net.ipv6.conf.default.disable_ipv6=1']);
    hostNs.ip('link', 'add', PROBE_BRIDGE, 'type', 'bridge');
    for (const nic of PROBE_NICS) {
      hostNs.ip('tuntap', 'add', 'dev', nic.tap, 'mode', 'tap', ...(nic.queues > 1 ? ['multi_queue'] : []));
      hostNs.ip('link', 'set', nic.tap, 'master', PROBE_BRIDGE);
      hostNs.up(nic.tap);
    }
    hostNs.up(PROBE_BRIDGE);
    const outDir = mkdtempSync('/tmp/nst-guest-');
    const sock = join(outDir, 'agent.sock');
    const append = [
      'console=ttyS0',
      'panic=-1',
      'oops=panic',
      'loglevel=5',
      'edd=off',
      `nst.init=${guestFile('guest-init.sh')}`,
      `nst.modules=${image.modules}`,
      `nst.agent=${agentPath('guest-agent.mjs')}`,
      `nst.addr=${GUEST_NET.guest}/${GUEST_NET.prefix}`,
      `nst.mac=${GUEST_NET.mac}`,
      ...(opts.early ? [`nst.early=${opts.early}`] : []),
    ].join(' ');
    // One TCG thread for all vCPUs: with a thread per vCPU (thread=multi), QEMU 7.2 livelocks on the
    // guest kernel's live code patching (text_poke_bp) when another vCPU runs the patched code,
    // e.g. a syscall tracepoint switched on while both CPUs make system calls; the guest shows soft
    // lockups in smp_call_function_many_cond and exc_int3. The guest keeps its CPUs.
    const args = [
      'netns', 'exec', hostNs.name,
      'qemu-system-x86_64',
      '-accel', 'tcg,thread=single',
      '-cpu', 'max',
      '-smp', String(opts.cpus ?? 2),
      '-m', String(opts.memoryMb ?? 2048),
      '-nographic', '-no-reboot', '-nodefaults',
      '-serial', 'stdio',
      ...(existsSync('/usr/share/qemu/qboot.rom') ? ['-bios', '/usr/share/qemu/qboot.rom'] : []),
      '-kernel', image.vmlinux,
      '-initrd', image.initrd,
      '-append', append,
      '-virtfs', 'local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap',
      '-virtfs', `local,path=${outDir},mount_tag=out,security_model=none,multidevs=remap`,
      '-chardev', `socket,id=agent,path=${sock},server=on,wait=off`,
      '-device', 'virtio-serial-pci',
      '-device', 'virtserialport,chardev=agent,name=nst.agent',
      '-netdev', `tap,id=n0,ifname=${tap},script=no,downscript=no,vhost=off`,
      '-device', `virtio-net-pci,netdev=n0,mac=${GUEST_NET.mac},romfile=`,
      ...PROBE_NICS.flatMap((nic, i) => [
        '-netdev', `tap,id=p${i},ifname=${nic.tap},script=no,downscript=no,vhost=off${nic.queues > 1 ? `,queues=${nic.queues}` : ''}`,
        '-device', `virtio-net-pci,netdev=p${i},mac=${nic.mac},romfile=${nic.queues > 1 ? `,mq=on,vectors=${2 * nic.queues + 2}` : ''}`,
      ]),
    ];
    const qemu = spawn('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let consoleText = '';
    const logPath = join(outDir, 'console.log');
    const onConsole = (d: Buffer) => {
      consoleText = (consoleText + d.toString('utf8')).slice(-20000);
      appendFileSync(logPath, d);
    };
    qemu.stdout!.on('data', onConsole);
    qemu.stderr!.on('data', onConsole);
    const fail = (why: string) => {
      qemu.kill('SIGKILL');
      lab.destroy();
      rmSync(outDir, { recursive: true, force: true });
      return new Error(`guest ${image.release}: ${why}\n--- console (last lines) ---\n${consoleText.split('\n').slice(-25).join('\n')}`);
    };
    const exitedEarly = new Promise<never>((_, reject) => qemu.once('exit', (code) => reject(fail(`QEMU exited (${code}) before the agent answered`))));
    exitedEarly.catch(() => {});
    const deadline = started + (opts.bootTimeoutS ?? 180) * 1000;
    // QEMU creates the agent's socket as it starts; connect once it is there.
    while (!existsSync(sock)) {
      if (qemu.exitCode !== null) throw fail(`QEMU exited (${qemu.exitCode}) at start`);
      if (performance.now() > deadline) throw fail('QEMU never created the agent socket');
      await new Promise((r) => setTimeout(r, 50));
    }
    // QEMU binds the socket before it listens: in between, connecting is refused. Try again then.
    let socket: Socket | undefined;
    while (!socket) {
      socket = await new Promise<Socket | undefined>((resolve, reject) => {
        const s = connect(sock, () => resolve(s));
        s.once('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNREFUSED' ? resolve(undefined) : reject(e)));
      });
      if (socket) break;
      if (qemu.exitCode !== null) throw fail(`QEMU exited (${qemu.exitCode}) at start`);
      if (performance.now() > deadline) throw fail('QEMU never listened on the agent socket');
      await new Promise((r) => setTimeout(r, 50));
    }
    const guest = new Guest(image, qemu, socket, lab, hostNs, tap, outDir);
    guest.console = consoleText;
    qemu.stdout!.on('data', (d: Buffer) => (guest.console = (guest.console + d.toString('utf8')).slice(-20000)));
    live.add(guest);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => guest.onData(chunk));
    // The agent answers once the guest is up; until then the port drops what it is sent.
    let hello: { kernel: string; uptime: number } | undefined;
    while (!hello) {
      if (performance.now() > deadline) throw fail(`no answer from the agent within ${opts.bootTimeoutS ?? 180} s`);
      hello = await Promise.race([
        guest.request<{ hello: { kernel: string; uptime: number } }>({ op: 'hello' }).then((r) => r.hello),
        new Promise<undefined>((r) => setTimeout(() => r(undefined), 1000)),
        exitedEarly,
      ]);
    }
    guest.release = hello.kernel;
    guest.bootSeconds = (performance.now() - started) / 1000;
    return guest;
  }

  private onData(chunk: string): void {
    this.buffered += chunk;
    let nl: number;
    while ((nl = this.buffered.indexOf('\n')) >= 0) {
      const line = this.buffered.slice(0, nl);
      this.buffered = this.buffered.slice(nl + 1);
      let msg: { id?: number; stream?: 'stdout' | 'stderr'; data?: string; error?: string };
      try {
        msg = JSON.parse(line);
      } catch {
        continue;
      }
      const p = msg.id === undefined ? undefined : this.pending.get(msg.id);
      if (!p) continue;
      if (msg.stream) {
        p.onOutput?.(msg.stream, msg.data ?? '');
        continue;
      }
      this.pending.delete(msg.id!);
      if (msg.error) p.reject(new Error(`guest ${this.image.release}: ${msg.error}`));
      else p.resolve(msg);
    }
  }

  private request<T>(req: Record<string, unknown>, onOutput?: ExecOptions['onOutput']): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, onOutput });
      this.socket.write(`${JSON.stringify({ id, ...req })}\n`);
    });
  }

  /** Runs a command in the guest (no shell) and gives its exit and output. */
  exec(cmd: string[], opts: ExecOptions = {}): Promise<ExecResult> {
    return this.request<{ exit: number | null; signal: string | null; stdout?: string; stderr?: string }>(
      { op: 'exec', cmd, env: opts.env, cwd: opts.cwd, stream: Boolean(opts.onOutput) },
      opts.onOutput,
    ).then((r) => ({ code: r.exit, signal: r.signal, stdout: r.stdout ?? '', stderr: r.stderr ?? '' }));
  }

  /** Runs a command in the guest, failing with its output unless it exits 0. */
  async check(cmd: string[], opts: ExecOptions = {}): Promise<string> {
    const r = await this.exec(cmd, opts);
    if (r.code !== 0) throw new Error(`guest ${this.image.release}: ${cmd.join(' ')} exited ${r.code ?? r.signal}: ${r.stderr.trim() || r.stdout.trim()}`);
    return r.stdout;
  }

  /** The serial console so far (kernel messages and the init scripts' lines). */
  consoleText(): string {
    return this.console;
  }

  /** Powers the guest off and removes its lab; kills QEMU if it does not stop within `timeoutS`. */
  async shutdown(timeoutS = 30): Promise<void> {
    if (this.qemu.exitCode === null) {
      this.request({ op: 'poweroff' }).catch(() => {});
      const timer = setTimeout(() => this.qemu.kill('SIGKILL'), timeoutS * 1000);
      await this.exited;
      clearTimeout(timer);
    }
    this.socket.destroy();
    for (const p of this.pending.values()) p.reject(new Error(`guest ${this.image.release}: powered off`));
    this.pending.clear();
    live.delete(this);
    this.lab.destroy();
    rmSync(this.outDir, { recursive: true, force: true });
  }

  kill(): void {
    if (this.qemu.exitCode === null) this.qemu.kill('SIGKILL');
    this.lab.destroy();
  }
}

/** Reads a file the guest wrote to its results share (/mnt/out there). */
export function readOut(g: Guest, name: string): string {
  return readFileSync(join(g.outDir, name), 'utf8');
}
