/** The machine a bench ran on, for the report's header. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { libbpfVersion } from '@netstrata/libbpf-ts';
import type { Machine } from './model.ts';
import { otherNamespaces } from './bench-lab.ts';

function first(cmd: string, args: string[], cwd?: string): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd });
  return r.status === 0 ? (r.stdout || r.stderr).trim().split('\n')[0]!.trim() : 'unknown';
}

export function machine(root: string): Machine {
  const model = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpus()[0]?.model ?? 'unknown';
  const commit = first('git', ['rev-parse', '--short=12', 'HEAD'], root);
  const dirty = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8', cwd: root }).stdout?.trim();
  let os = 'Linux';
  try {
    os = /^PRETTY_NAME="?([^"\n]+)/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? os;
  } catch {
    // no os-release: say Linux
  }
  return {
    kernel: `${release()} (${os})`,
    cpu: model,
    nproc: cpus().length,
    memMiB: Math.round(totalmem() / 1048576),
    node: process.version,
    libbpf: libbpfVersion(),
    bpftrace: first('bpftrace', ['--version']).replace(/^bpftrace\s+/, ''),
    clang: first('clang', ['--version']),
    commit: commit + (dirty ? ' (with uncommitted changes)' : ''),
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    otherNamespaces: otherNamespaces(),
  };
}
