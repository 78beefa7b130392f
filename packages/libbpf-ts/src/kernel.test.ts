/**
 * Kernel tests: real objects loaded into the running kernel, real attachments, real events.
 * They need root; outside root they skip with the reason, on CI they fail instead.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import basic from '../build/bpf/test_basic.bpf.o';
import verifierReject from '../build/bpf/test_verifier_reject.bpf.o';
import coreFail from '../build/bpf/test_core_fail.bpf.o';
import { BpfError, BpfObject, PerfBuffer, RingReader, enableStats, numPossibleCpus, recordView } from './index.ts';

const isRoot = process.getuid?.() === 0;
if (!isRoot && process.env.CI) throw new Error('kernel tests need root on CI');
const kernel = describe.skipIf(!isRoot);
if (!isRoot) console.warn('skipping libbpf-ts kernel tests: not root');

// getppid: Node's process.ppid calls it on every read, so the test controls the exact count.
const GETPPID: Record<string, number> = { x64: 110, arm64: 173 };
const SYSCALL = GETPPID[process.arch] ?? -1;

function openBasic(flavour: string): BpfObject {
  const obj = BpfObject.open(basic, 'test_basic');
  for (const p of obj.programs()) p.autoload = p.name === flavour;
  obj.setRodata('targ_tgid', process.pid);
  obj.setRodata('targ_syscall', SYSCALL);
  return obj;
}

function counter(obj: BpfObject, idx: number): bigint {
  const key = new Uint8Array(new Uint32Array([idx]).buffer);
  const v = obj.map('counters').lookup(key)!;
  return new DataView(v.buffer, v.byteOffset).getBigUint64(0, true);
}

function bpfIds(kind: 'prog' | 'link' | 'map'): number[] {
  const out = execFileSync('bpftool', ['-j', kind, 'show'], { encoding: 'utf8' });
  return (JSON.parse(out || '[]') as { id: number }[]).map((x) => x.id);
}

kernel('libbpf-ts on the running kernel', () => {
  for (const flavour of ['sys_enter_tp_btf', 'sys_enter_raw_tp', 'sys_enter_tp']) {
    it(`${flavour}: attaches and delivers exactly N ring records`, () => {
      using obj = openBasic(flavour);
      obj.load();
      const seen: bigint[] = [];
      const reader = new RingReader(obj.map('events'), (ring, off, len) => {
        const d = recordView(ring, off, len);
        expect(d.getUint32(8, true)).toBe(process.pid);
        seen.push(d.getBigUint64(0, true));
      });
      obj.program(flavour).attach();
      const N = 1000;
      for (let i = 0; i < N; i++) void process.ppid;
      reader.drain();
      expect(seen.length).toBe(N);
      expect(seen).toEqual(Array.from({ length: N }, (_, i) => BigInt(i)));
      expect(counter(obj, 1)).toBe(0n);
    });
  }

  it('stats(): with run-time statistics held on, each run is counted and timed', () => {
    using obj = openBasic('sys_enter_tp_btf');
    obj.load();
    obj.program('sys_enter_tp_btf').attach();
    const before = obj.program('sys_enter_tp_btf').stats();
    {
      using _on = enableStats();
      const N = 1000;
      for (let i = 0; i < N; i++) void process.ppid;
      const after = obj.program('sys_enter_tp_btf').stats();
      expect(after.runs - before.runs).toBeGreaterThanOrEqual(N);
      expect(after.runNs).toBeGreaterThan(before.runNs);
    }
  });

  it('attaches tracepoints explicitly by name', () => {
    using obj = openBasic('sys_enter_tp');
    obj.load();
    obj.program('sys_enter_tp').attachTracepoint('raw_syscalls', 'sys_enter');
    for (let i = 0; i < 10; i++) void process.ppid;
    expect(counter(obj, 0)).toBe(10n);
  });

  it('reads how often the kernel skipped a program (recursion misses): none for a lone program', () => {
    using obj = openBasic('sys_enter_raw_tp');
    expect(obj.program('sys_enter_raw_tp').misses).toBe(0); // not loaded yet
    obj.load();
    obj.program('sys_enter_raw_tp').attachRawTracepoint('sys_enter');
    for (let i = 0; i < 5; i++) void process.ppid;
    expect(counter(obj, 0)).toBe(5n);
    expect(obj.program('sys_enter_raw_tp').misses).toBe(0);
  });

  it('attaches raw tracepoints explicitly by name', () => {
    using obj = openBasic('sys_enter_raw_tp');
    obj.load();
    obj.program('sys_enter_raw_tp').attachRawTracepoint('sys_enter');
    for (let i = 0; i < 7; i++) void process.ppid;
    expect(counter(obj, 0)).toBe(7n);
  });

  it('delivers exactly N records through the perf buffer fallback', () => {
    using obj = openBasic('sys_enter_perf');
    obj.load();
    const seen: bigint[] = [];
    let lost = 0;
    const pb = new PerfBuffer(
      obj.map('perf_events'),
      (d) => seen.push(d.getBigUint64(0, true)),
      (_cpu, n) => (lost += n),
    );
    obj.program('sys_enter_perf').attach();
    const N = 300;
    for (let i = 0; i < N; i++) void process.ppid;
    pb.drain();
    expect(lost).toBe(0);
    expect(seen.sort((x, y) => (x < y ? -1 : 1))).toEqual(Array.from({ length: N }, (_, i) => BigInt(i)));
  });

  it('counts ring overflow instead of losing silently', () => {
    using obj = openBasic('sys_enter_tp_btf');
    obj.load();
    const reader = new RingReader(obj.map('events'), () => {});
    obj.program('sys_enter_tp_btf').attach();
    const N = 10_000; // 64 KiB ring holds 2048 records of 32 bytes
    for (let i = 0; i < N; i++) void process.ppid;
    const delivered = reader.drain();
    const lost = Number(counter(obj, 1));
    expect(lost).toBeGreaterThan(0);
    expect(delivered + lost).toBe(N);
  });

  it('writes rodata of every size before load and refuses it after', () => {
    using obj = openBasic('sys_enter_raw_tp');
    obj.setRodata('targ_small', 7);
    obj.setRodata('targ_big', 1n << 40n);
    expect(obj.rodataVariables().map((v) => v.name)).toEqual(expect.arrayContaining(['targ_tgid', 'targ_syscall', 'targ_small', 'targ_big']));
    obj.load();
    obj.program('sys_enter_raw_tp').attach();
    void process.ppid;
    expect(counter(obj, 3)).toBe((1n << 40n) + 7n);
    expect(() => obj.setRodata('targ_small', 1)).toThrow(BpfError);
    expect(() => openBasic('x').setRodata('no_such_var', 1)).toThrow(/no const volatile variable no_such_var/);
  });

  it('reads, writes, walks and batch-reads maps, including per-CPU values', () => {
    using obj = openBasic('sys_enter_raw_tp');
    obj.load();
    const table = obj.map('table');
    const k = (i: number) => new Uint8Array(new Uint32Array([i]).buffer);
    const v = (i: number) => new Uint8Array(new BigUint64Array([BigInt(i * 10)]).buffer);
    for (let i = 1; i <= 300; i++) table.update(k(i), v(i), 'noexist');
    expect(() => table.update(k(1), v(1), 'noexist')).toThrow(/EEXIST|exists/);
    expect(new DataView(table.lookup(k(42))!.buffer).getBigUint64(0, true)).toBe(420n);
    expect(table.lookup(k(1000))).toBeUndefined();
    expect([...table.keys()].length).toBe(300);
    const entries = [...table.entries()];
    expect(entries.length).toBe(300);
    const sum = entries.reduce((s, [, val]) => s + new DataView(val.buffer, val.byteOffset).getBigUint64(0, true), 0n);
    expect(sum).toBe(BigInt((300 * 301 * 10) / 2));
    expect(table.delete(k(42))).toBe(true);
    expect(table.delete(k(42))).toBe(false);
    expect(new DataView(table.lookupAndDelete(k(43))!.buffer).getBigUint64(0, true)).toBe(430n);
    expect(table.lookupAndDelete(k(43))).toBeUndefined();
    expect([...table.keys()].length).toBe(298);

    obj.program('sys_enter_raw_tp').attach();
    for (let i = 0; i < 25; i++) void process.ppid;
    const perCpu = obj.map('percpu').lookupPerCpu(k(0));
    expect(perCpu.length).toBe(numPossibleCpus());
    const total = perCpu.reduce((s, b) => s + new DataView(b.buffer, b.byteOffset).getBigUint64(0, true), 0n);
    expect(total).toBe(25n);
  });

  it('attaches a uprobe to a libc function by name', () => {
    using obj = openBasic('uprobe_hit');
    obj.load();
    const libc = execFileSync('sh', ['-c', "ldd /bin/sh | awk '/libc.so/ {print $3}'"], { encoding: 'utf8' }).trim();
    const child = spawnSync('sh', ['-c', 'sleep 0.2; echo $PPID'], { encoding: 'utf8' });
    expect(child.status).toBe(0);
    obj.program('uprobe_hit').attachUprobe({ binaryPath: libc, funcName: 'getppid' });
    const again = spawnSync('sh', ['-c', 'echo $PPID'], { encoding: 'utf8' });
    expect(again.status).toBe(0);
    expect(counter(obj, 2)).toBeGreaterThanOrEqual(1n);
  });

  it('reports a missing uprobe symbol as not found', () => {
    using obj = openBasic('uprobe_hit');
    obj.load();
    const libc = execFileSync('sh', ['-c', "ldd /bin/sh | awk '/libc.so/ {print $3}'"], { encoding: 'utf8' }).trim();
    let err: BpfError | undefined;
    try {
      obj.program('uprobe_hit').attachUprobe({ binaryPath: libc, funcName: 'netstrata_no_such_symbol' });
    } catch (e) {
      err = e as BpfError;
    }
    expect(err?.kind).toBe('not-found');
    expect(err?.op).toMatch(/uprobe .*netstrata_no_such_symbol/);
  });

  it('explains a verifier rejection with the verifier log', () => {
    using obj = BpfObject.open(verifierReject, 'test_reject');
    const err = (() => {
      try {
        obj.load();
      } catch (e) {
        return e as BpfError;
      }
      throw new Error('load succeeded');
    })();
    expect(err).toBeInstanceOf(BpfError);
    expect(err.kind).toBe('verifier');
    expect(err.log).toMatch(/invalid bpf_context access|processed \d+ insns/);
    expect(err.explain()).toMatch(/verifier rejected/);
  });

  it('explains a CO-RE relocation failure', () => {
    using obj = BpfObject.open(coreFail, 'test_core');
    let err: BpfError | undefined;
    try {
      obj.load();
    } catch (e) {
      err = e as BpfError;
    }
    expect(err?.kind).toBe('core-relocation');
    expect(err?.explain()).toMatch(/does not exist in this kernel/);
  });

  it('reports fentry refused at load with the reason, and no ulimit advice', () => {
    using obj = openBasic('fentry_probe');
    let err: BpfError | undefined;
    try {
      obj.load();
    } catch (e) {
      err = e as BpfError;
    }
    // This kernel refuses BPF trampolines; a kernel that accepts them loads fine.
    if (err) {
      expect(err.errnoName).toBe('EPERM');
      expect(err.kind).toBe('permission');
      expect(err.log).not.toMatch(/ulimit/);
      expect(err.explain()).not.toMatch(/ulimit/);
    }
  });

  it('loads a kprobe program and reports a kernel without kprobes as unsupported at attach', () => {
    using obj = openBasic('kprobe_probe');
    obj.load();
    let err: BpfError | undefined;
    try {
      obj.program('kprobe_probe').attach();
    } catch (e) {
      err = e as BpfError;
    }
    if (!existsKprobes()) {
      expect(err?.kind).toBe('unsupported');
      expect(err?.explain()).toMatch(/not supported by this kernel/);
    }
  });

  it('closes links, readers and maps on dispose, and throws on use after close', async () => {
    const before = new Set([...bpfIds('prog'), ...bpfIds('map'), ...bpfIds('link')].map(String));
    let ours: string[];
    {
      using obj = openBasic('sys_enter_tp_btf');
      obj.load();
      const r = new RingReader(obj.map('events'), () => {});
      r.start();
      obj.program('sys_enter_tp_btf').attach();
      ours = [...bpfIds('prog'), ...bpfIds('map'), ...bpfIds('link')].map(String).filter((id) => !before.has(id));
      expect(ours.length).toBeGreaterThanOrEqual(6); // program, link, 4 maps
    }
    // The kernel frees programs and maps after an RCU grace period: wait for it, briefly.
    const left = await settle(() => {
      const now = new Set([...bpfIds('prog'), ...bpfIds('map'), ...bpfIds('link')].map(String));
      return ours.filter((id) => now.has(id));
    });
    expect(left).toEqual([]);
    const obj = openBasic('sys_enter_tp_btf');
    const map = obj.map('events');
    obj.close();
    expect(() => obj.load()).toThrow(/used after close/);
    expect(() => map.fd).toThrow(/used after close/);
  });
});

async function settle<T extends unknown[]>(probe: () => T, ms = 3000): Promise<T> {
  const end = Date.now() + ms;
  let v = probe();
  while (v.length && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 50));
    v = probe();
  }
  return v;
}

function existsKprobes(): boolean {
  try {
    execFileSync('test', ['-e', '/sys/bus/event_source/devices/kprobe']);
    return true;
  } catch {
    return false;
  }
}
