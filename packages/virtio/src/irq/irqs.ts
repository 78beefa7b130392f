/**
 * The interrupts of this machine's virtio-net devices, found by the names the kernel gives them
 * (/proc/interrupts: `virtio2-input.0`, `virtio2-output.0`, `virtio2-config`; with fewer vectors
 * `virtio2-virtqueues`, or the bare `virtio2` of a legacy INTx line), never by number.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readlinkSync } from 'node:fs';

export interface InterruptLine {
  irq: number;
  /** The handlers' names (several when the line is shared). */
  names: string[];
  /** Runs per CPU, in CPU order. */
  perCpu: number[];
}

/** /proc/interrupts' numbered lines (the NMI, LOC… summary lines are not device interrupts). */
export function parseInterrupts(text: string): InterruptLine[] {
  const lines = text.split('\n');
  const cpus = (lines[0] ?? '').trim().split(/\s+/).filter((c) => /^CPU\d+$/.test(c)).length;
  const out: InterruptLine[] = [];
  for (const line of lines.slice(1)) {
    const m = /^\s*(\d+):\s+(.*)$/.exec(line);
    if (!m) continue;
    const fields = m[2]!.trim().split(/\s+/);
    const perCpu = fields.slice(0, cpus).map(Number);
    // After the counts: the chip, the hardware irq and trigger, then the handlers, comma-separated.
    const rest = fields.slice(cpus);
    const names = rest.slice(2).join(' ').split(',').map((s) => s.trim()).filter(Boolean);
    out.push({ irq: Number(m[1]), names, perCpu });
  }
  return out;
}

export type IrqRole = 'rx' | 'tx' | 'config' | 'shared';

export interface VirtioIrq {
  irq: number;
  /** The handler's name, as /proc/interrupts shows it. */
  name: string;
  /** The virtio device (virtioN). */
  virtio: string;
  /** rx/tx: one queue's vector; config: configuration changes; shared: every queue on one vector. */
  role: IrqRole;
  /** The queue pair for rx and tx vectors. */
  queue: number | null;
}

const NAME = /^(virtio\d+)(?:-(?:(input|output)\.(\d+)|(config)|(virtqueues)))?$/;

/** The virtio-net interrupts among `lines`: `isNet(virtioN)` says which virtio devices are NICs. */
export function virtioNetIrqs(lines: readonly InterruptLine[], isNet: (virtio: string) => boolean): VirtioIrq[] {
  const out: VirtioIrq[] = [];
  for (const l of lines) {
    for (const name of l.names) {
      const m = NAME.exec(name);
      if (!m || !isNet(m[1]!)) continue;
      const role: IrqRole = m[2] === 'input' ? 'rx' : m[2] === 'output' ? 'tx' : m[4] ? 'config' : 'shared';
      out.push({ irq: l.irq, name, virtio: m[1]!, role, queue: m[3] === undefined ? null : Number(m[3]) });
    }
  }
  return out;
}

/** A virtio device driven by virtio_net. */
export function isVirtioNet(virtio: string): boolean {
  try {
    return readlinkSync(`/sys/bus/virtio/devices/${virtio}/driver`).endsWith('/virtio_net');
  } catch {
    return false;
  }
}

export interface NetDevice {
  ifname: string;
  ifindex: number;
  /** The virtio device under it (virtioN), when it is a virtio-net NIC. */
  virtio?: string;
}

/** The network devices of this namespace, or of the one `netnsPath` enters, with their virtio
 * devices (iproute2's parentbus/parentdev). */
export function netDevices(netnsPath?: string): NetDevice[] {
  const [cmd, args] = netnsPath ? ['nsenter', [`--net=${netnsPath}`, 'ip', '-d', '-j', 'link', 'show']] : ['ip', ['-d', '-j', 'link', 'show']];
  const links = JSON.parse(execFileSync(cmd as string, args as string[], { encoding: 'utf8' })) as { ifname: string; ifindex: number; parentbus?: string; parentdev?: string }[];
  return links.map((l) => ({ ifname: l.ifname, ifindex: l.ifindex, ...(l.parentbus === 'virtio' && l.parentdev ? { virtio: l.parentdev } : {}) }));
}

export function readInterrupts(): InterruptLine[] {
  return existsSync('/proc/interrupts') ? parseInterrupts(readFileSync('/proc/interrupts', 'utf8')) : [];
}
