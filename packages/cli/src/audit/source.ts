/**
 * Where the readers get files and command output: the running system, or (in tests) a fixture.
 * Every failure becomes a reason a person can act on ("permission denied (not root)",
 * "no such file", "ethtool is not installed").
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, realpathSync, existsSync } from 'node:fs';
import { got, unread, type Reading } from './facts.ts';

export interface Source {
  read(path: string): Reading<string>;
  list(dir: string): Reading<string[]>;
  realpath(path: string): Reading<string>;
  exists(path: string): boolean;
  /** Runs a command (no shell); `from` is the command line. */
  run(cmd: string, args: readonly string[]): Reading<string>;
}

/** Why a file could not be read, from the errno code. */
export function reasonOf(err: unknown, root = process.getuid?.() === 0): string {
  const code = (err as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return root ? 'permission denied' : 'permission denied (not root)';
    case 'ENODEV':
    case 'ENXIO':
      return 'no such device';
    case 'EOPNOTSUPP':
    case 'ENOTSUP':
      return 'not supported here';
    case 'EINVAL':
      return 'the kernel refused to read it (EINVAL)';
    default:
      return code ?? (err instanceof Error ? err.message : String(err));
  }
}

export class SystemSource implements Source {
  read(path: string): Reading<string> {
    try {
      return got(path, readFileSync(path, 'utf8'));
    } catch (err) {
      return unread(path, reasonOf(err));
    }
  }

  list(dir: string): Reading<string[]> {
    try {
      return got(dir, readdirSync(dir));
    } catch (err) {
      return unread(dir, reasonOf(err));
    }
  }

  realpath(path: string): Reading<string> {
    try {
      return got(path, realpathSync(path));
    } catch (err) {
      return unread(path, reasonOf(err));
    }
  }

  exists(path: string): boolean {
    return existsSync(path);
  }

  run(cmd: string, args: readonly string[]): Reading<string> {
    const line = [cmd, ...args].join(' ');
    try {
      return got(line, execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 }));
    } catch (err) {
      const e = err as NodeJS.ErrnoException & { stderr?: string; status?: number | null };
      // A missing program is one line for all its uses, not one per device.
      if (e.code === 'ENOENT') return unread(cmd, `${cmd} is not installed`);
      const first = (e.stderr ?? '').trim().split('\n')[0] ?? '';
      return unread(line, first || `exit status ${e.status ?? '?'}`);
    }
  }
}

/** A fixture: files and command outputs by path or command line; an Error value is a failure. */
export class FixtureSource implements Source {
  constructor(
    private readonly files: Record<string, string | NodeJS.ErrnoException>,
    private readonly commands: Record<string, string | { stderr: string } | 'missing'> = {},
  ) {}

  static errno(code: string): NodeJS.ErrnoException {
    return Object.assign(new Error(code), { code });
  }

  read(path: string): Reading<string> {
    const v = this.files[path];
    if (v === undefined) return unread(path, 'no such file');
    if (typeof v !== 'string') return unread(path, reasonOf(v, false));
    return got(path, v);
  }

  list(dir: string): Reading<string[]> {
    const prefix = dir.endsWith('/') ? dir : `${dir}/`;
    const names = new Set<string>();
    for (const p of Object.keys(this.files)) if (p.startsWith(prefix)) names.add(p.slice(prefix.length).split('/')[0]!);
    return names.size ? got(dir, [...names].sort()) : unread(dir, 'no such file');
  }

  realpath(path: string): Reading<string> {
    const link = this.files[`${path}@`];
    if (typeof link === 'string') return got(path, link);
    return this.exists(path) ? got(path, path) : unread(path, 'no such file');
  }

  exists(path: string): boolean {
    const prefix = `${path}/`;
    return path in this.files || `${path}@` in this.files || Object.keys(this.files).some((p) => p.startsWith(prefix));
  }

  run(cmd: string, args: readonly string[]): Reading<string> {
    const line = [cmd, ...args].join(' ');
    const v = this.commands[line];
    if (v === 'missing' || (v === undefined && this.commands[cmd] === 'missing')) return unread(cmd, `${cmd} is not installed`);
    if (v === undefined) return unread(line, 'exit status 1');
    if (typeof v !== 'string') return unread(line, v.stderr);
    return got(line, v);
  }
}
