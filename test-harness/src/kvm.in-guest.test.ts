/**
 * kvm_irqfd_summary against KVM's real irqfd path, driven with no guest code by agents/kvm-irqfd.c:
 * a VM with an in-kernel irqchip, one GSI routed to an MSI and fed by an irqfd, whose eventfd the
 * agent writes N times as vhost's worker signals a guest. Truth: the agent's writes, the MSI it
 * routed, and (with a vCPU) the interrupts it saw arrive in the vCPU's LAPIC (its IRR).
 *
 * Paths: an MSI to vCPU 0 is delivered in the writer's context (irqfd's fast path); a physical
 * broadcast (destination 0xff) is not delivered there, so irqfd defers it to its work item (a
 * kworker), which delivers it; a VM with no vCPU takes neither.
 *
 * KVM needs hardware virtualization: the guest tier's CPU (QEMU TCG's, AMD with SVM) has it, so
 * kvm_amd gives /dev/kvm there; this host has none. The host's test run leaves the file out
 * (vitest.config.ts).
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { GsiRow, KvmRecord, MsiRow, VcpuRow } from '@netstrata/vhost';
import { publish } from './examples.ts';
import { agentPath, requireRoot, runToolOnce, startTool, type ToolRecord } from './index.ts';

const TOOL = fileURLToPath(new URL('../../packages/vhost/dist/kvm_irqfd_summary.js', import.meta.url));

/** /dev/kvm, its modules loaded where they are modules: a reason when not. */
function kvmAvailable(): true | string {
  for (const m of ['kvm_amd', 'kvm_intel']) {
    try {
      execFileSync('modprobe', [m], { stdio: 'ignore' });
    } catch {
      // the other vendor's, built in, or missing: /dev/kvm says which
    }
  }
  return existsSync('/dev/kvm') ? true : 'no /dev/kvm (no kvm_amd or kvm_intel for this CPU: it has no SVM or VMX)';
}

const available = kvmAvailable();
if (available !== true && process.env.CI) throw new Error(`KVM tests: ${available}`);
const run = requireRoot('KVM irqfd end-to-end tests') && available === true;

/** The agent, compiled once per source version. */
function agentBinary(): string {
  const src = agentPath('kvm-irqfd.c');
  const bin = `/tmp/nst-kvm-irqfd-${createHash('sha256').update(readFileSync(src)).digest('hex').slice(0, 12)}`;
  if (!existsSync(bin)) execFileSync('cc', ['-O2', '-Wall', '-o', bin, src], { stdio: 'inherit' });
  return bin;
}

interface VmSpec {
  gsi: number;
  dest: number;
  vector: number;
  writes: number;
  gapUs?: number;
  vcpu?: boolean;
}

interface Truth {
  pid: number;
  gsi: number;
  address: number;
  data: number;
  dest: number;
  vector: number;
  vcpu: boolean;
  writes: number;
  delivered: number | null;
  timeouts: number;
}

const agentArgs = (s: VmSpec) => [
  '--gsi', String(s.gsi), '--dest', String(s.dest), '--vector', String(s.vector), '--writes', String(s.writes),
  '--gap-us', String(s.gapUs ?? 1000), ...(s.vcpu ? ['--vcpu'] : []),
];

interface Vm extends AsyncDisposable {
  pid: number;
  /** The agent's comm (what the tool names the VM by). */
  comm: string;
  /** The N writes; resolves with what the agent did (the VM stays until disposed). */
  go: () => Promise<Truth>;
}

/** One VM, set up and waiting for `go`. */
async function startVm(s: VmSpec): Promise<Vm> {
  const bin = agentBinary();
  const child = spawn(bin, [...agentArgs(s), '--go-on-stdin'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const exited = new Promise<void>((res) => child.once('exit', () => res()));
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const first = await lines.next();
  if (first.done) throw new Error(`kvm-irqfd did not start: ${stderr.trim()}`);
  const ready = JSON.parse(first.value) as { pid: number };
  return {
    pid: ready.pid,
    comm: bin.split('/').pop()!.slice(0, 15),
    go: async () => {
      child.stdin.write('go\n');
      const last = await lines.next();
      if (last.done) throw new Error(`kvm-irqfd failed: ${stderr.trim()}`);
      return JSON.parse(last.value) as Truth;
    },
    async [Symbol.asyncDispose]() {
      child.stdin.end();
      await exited;
    },
  };
}

const final = (records: ToolRecord[]) => records.find((r) => r.type === 'final') as unknown as KvmRecord;
const msiOf = (rec: KvmRecord, t: Truth): MsiRow | undefined => rec.msis.find((m) => m.vm?.pid === t.pid && m.dest === t.dest && m.vector === t.vector);
const gsiOf = (rec: KvmRecord, t: Truth): GsiRow | undefined => rec.gsis.find((g) => g.vm?.pid === t.pid && g.gsi === t.gsi);
const vcpusOf = (rec: KvmRecord, t: Truth): VcpuRow[] => rec.vcpus.filter((v) => v.vm?.pid === t.pid);

describe.runIf(run)('kvm_irqfd_summary', () => {
  it('N eventfd writes: N injections of the routed MSI per VM, each by its path (fast, or deferred to the work item), each accepted by vCPU 0; every VM and GSI in its own row', async () => {
    const N = 20;
    // Two VMs with the same vector on vCPU 0, one by the fast path, one by the deferred; a third with
    // no vCPU, which nothing can take (its writes spaced so that its work item runs between them).
    await using fast = await startVm({ gsi: 24, dest: 0, vector: 65, writes: N, vcpu: true });
    await using deferred = await startVm({ gsi: 25, dest: 0xff, vector: 65, writes: N, vcpu: true });
    await using none = await startVm({ gsi: 26, dest: 0, vector: 67, writes: 10, gapUs: 5000 });
    await using tool = await startTool(TOOL, ['--interval', '3600']);
    const truths = [await fast.go(), await deferred.go(), await none.go()];
    const [a, b, c] = truths as [Truth, Truth, Truth];
    const rec = final((await tool.stop()).records);
    // The agents' own truth: each write reached vCPU 0's LAPIC, one at a time.
    expect(a).toMatchObject({ writes: N, delivered: N, timeouts: 0, address: 0xfee00000, data: 65 });
    expect(b).toMatchObject({ writes: N, delivered: N, timeouts: 0, address: 0xfeeff000, data: 65 });

    expect(msiOf(rec, a)).toMatchObject({ gsi: 24, dest: 0, vector: 65, delivery: 'fixed', dest_mode: 'physical', injected: N, fast: N, deferred: 0, fast_missed: 0, accepted: N });
    expect(msiOf(rec, a)!.source).toMatchObject({ pid: a.pid, tid: a.pid });
    expect(msiOf(rec, b)).toMatchObject({ gsi: 25, dest: 0xff, vector: 65, injected: N, fast: 0, deferred: N, fast_missed: N, accepted: N });
    expect(msiOf(rec, b)!.source).toMatchObject({ pid: b.pid });
    const cRow = msiOf(rec, c);
    // No vCPU: tried in the writer's context every time, then by the work item; nothing accepts it.
    expect(cRow).toMatchObject({ gsi: 26, dest: 0, vector: 67, fast: 0, fast_missed: 10, accepted: 0 });
    expect(cRow!.deferred).toBeGreaterThan(0);
    expect(cRow!.deferred).toBeLessThanOrEqual(10);
    for (const t of truths) expect(msiOf(rec, t)!.vm).toEqual({ pid: t.pid, comm: fast.comm });

    // Per GSI: every write woke the irqfd; the deferred ones were raised by the work item.
    expect(gsiOf(rec, a)).toMatchObject({ wakeups: N, set_irq: 0, delivered: N });
    expect(gsiOf(rec, a)!.delay.count).toBe(N);
    expect(gsiOf(rec, b)).toMatchObject({ wakeups: N, set_irq: N, delivered: N });
    expect(gsiOf(rec, b)!.delay.count).toBe(N);
    expect(gsiOf(rec, c)).toMatchObject({ wakeups: 10, set_irq: cRow!.deferred, delivered: 0 });
    expect(gsiOf(rec, c)!.delay.count).toBe(0);
    // The deferred path waits for a kworker: its delays are no shorter than the fast path's shortest.
    const low = (g: GsiRow) => g.delay.buckets.find((x) => x.count > 0)!.start;
    expect(low(gsiOf(rec, b)!)).toBeGreaterThanOrEqual(low(gsiOf(rec, a)!));

    // Per vCPU: the same vector on vCPU 0 of two VMs, two rows.
    expect(vcpusOf(rec, a)).toEqual([{ vm: { pid: a.pid, comm: fast.comm }, vcpu: 0, vector: 65, accepted: N }]);
    expect(vcpusOf(rec, b)).toEqual([{ vm: { pid: b.pid, comm: fast.comm }, vcpu: 0, vector: 65, accepted: N }]);
    expect(vcpusOf(rec, c)).toEqual([]);
    expect(rec).toMatchObject({ lost: 0, map_full: 0 });
  });

  it('--pid: only that VM', async () => {
    await using one = await startVm({ gsi: 30, dest: 0, vector: 80, writes: 5, vcpu: true });
    await using other = await startVm({ gsi: 31, dest: 0, vector: 81, writes: 5, vcpu: true });
    await using tool = await startTool(TOOL, ['--interval', '3600', '--pid', String(one.pid)]);
    const [t1, t2] = [await one.go(), await other.go()];
    const rec = final((await tool.stop()).records);
    expect(t1.delivered).toBe(5);
    expect(t2.delivered).toBe(5);
    expect(rec.msis.map((m) => [m.vm?.pid, m.vector, m.injected])).toEqual([[t1.pid, 80, 5]]);
    expect(rec.gsis.map((g) => [g.vm?.pid, g.gsi])).toEqual([[t1.pid, 30]]);
    expect(rec.vcpus.map((v) => [v.vm?.pid, v.vector])).toEqual([[t1.pid, 80]]);
  });

  it('with nothing injected: starts, reports nothing, and exits cleanly', async () => {
    await using tool = await startTool(TOOL, ['--interval', '3600']);
    const res = await tool.stop();
    expect(res.exitCode).toBe(0);
    expect(final(res.records)).toMatchObject({ msis: [], more_msis: 0, gsis: [], vcpus: [], lost: 0 });
  });

  it('bad input: one line naming the option, exit 2, nothing loaded', () => {
    for (const [args, message] of [
      [['--pid', '999999999'], /^kvm_irqfd_summary: --pid: no process 999999999$/],
      [['--pid', 'qemu'], /^kvm_irqfd_summary: --pid: 'qemu' is not a number$/],
      [['--pid', '-1'], /^kvm_irqfd_summary: --pid: '-1' must be at least 0$/],
      [['--interval', '0'], /^kvm_irqfd_summary: --interval: '0' must be greater than 0$/],
    ] as const) {
      const r = runToolOnce(TOOL, [...args]);
      expect(r.exitCode, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stderr.trim()).toMatch(message);
    }
  });

  it('the example for the documentation: two VMs, one signalled by the fast path, one deferred', async () => {
    await using fast = await startVm({ gsi: 24, dest: 0, vector: 65, writes: 50, vcpu: true });
    await using deferred = await startVm({ gsi: 25, dest: 0xff, vector: 34, writes: 30, vcpu: true });
    await using tool = await startTool(TOOL, ['--interval', '60'], { json: false });
    await fast.go();
    await deferred.go();
    const res = await tool.stop();
    expect(res.stdout).toMatch(/total since start: 80 interrupts injected, 2 MSIs of 2 VMs/);
    publish('kvm_irqfd_summary', 'kvm_irqfd_summary --interval 60', res.stdout);
  });
});
