/** One error type for every libbpf failure, with a kind a CLI can explain to a user. */
import { constants } from 'node:os';

export type BpfErrorKind = 'permission' | 'verifier' | 'core-relocation' | 'unsupported' | 'not-found' | 'invalid' | 'other';

const ERRNO_NAMES = new Map<number, string>(Object.entries(constants.errno).map(([name, no]) => [no, name]));
// Kernel-internal errnos that leak out of the bpf syscall and have no libc name.
ERRNO_NAMES.set(524, 'ENOTSUPP');

export function errnoName(errno: number): string {
  return ERRNO_NAMES.get(errno) ?? `errno ${errno}`;
}

export class BpfError extends Error {
  override readonly name = 'BpfError';

  constructor(
    readonly op: string,
    readonly errno: number,
    readonly log: string,
    readonly kind: BpfErrorKind,
    detail?: string,
  ) {
    super(`${op}: ${detail ?? describe(errno)}`);
  }

  get errnoName(): string {
    return errnoName(this.errno);
  }

  /** One line a user can act on. */
  explain(): string {
    switch (this.kind) {
      case 'permission':
        return `${this.op}: permission denied (${this.errnoName}); run as root, or this kernel forbids this program type here`;
      case 'verifier':
        return `${this.op}: the kernel's verifier rejected a program (${this.errnoName}); run with --verbose for its log`;
      case 'core-relocation':
        return `${this.op}: a kernel type or field this program reads does not exist in this kernel (CO-RE relocation failed)`;
      case 'unsupported':
        return `${this.op}: not supported by this kernel (${this.errnoName})`;
      case 'not-found':
        return `${this.op}: not found (${this.errnoName})`;
      case 'invalid':
        return this.message;
      default:
        return `${this.op}: ${describe(this.errno)} (${this.errnoName})`;
    }
  }
}

function describe(errno: number): string {
  if (errno === 524) return 'operation not supported by the kernel';
  const name = ERRNO_NAMES.get(errno);
  if (!name) return `error ${errno}`;
  // util.getSystemErrorMessage is Node 22+; keep a short, stable text.
  const texts: Record<string, string> = {
    EPERM: 'operation not permitted',
    EACCES: 'permission denied',
    ENOENT: 'no such file, program or symbol',
    EINVAL: 'invalid argument',
    E2BIG: 'argument too big',
    ENOSPC: 'no space left',
    ENOMEM: 'out of memory',
    EEXIST: 'already exists',
    EBADF: 'bad file descriptor',
    EOPNOTSUPP: 'operation not supported',
    ESRCH: 'no such process or entry',
    EBUSY: 'busy',
  };
  return texts[name] ?? name;
}

/** Classifies a failing libbpf call from its errno, its operation and the log it printed. */
export function classify(op: 'open' | 'load' | 'attach' | 'map' | 'other', errno: number, log: string, what = ''): BpfErrorKind {
  if (/failed to resolve CO-RE relocation|CO-RE relocating .* failed|<invalid CO-RE relocation>|relo #\d+: .*not found/i.test(log)) {
    return 'core-relocation';
  }
  if (errno === 95 || errno === 524) return 'unsupported';
  if (op === 'load') {
    if (errno === 1) return 'permission';
    if (/-- BEGIN PROG LOAD LOG --|processed \d+ insns|R\d+ .*invalid|invalid mem access|unreachable insn|back-edge/i.test(log)) {
      return 'verifier';
    }
    if (errno === 13) return 'permission';
    if (errno === 22) return 'unsupported';
    if (errno === 2 || errno === 3) return 'unsupported';
    return 'other';
  }
  if (errno === 1 || errno === 13) return 'permission';
  // A uprobe's ENOENT is a missing binary or symbol, not a kernel without uprobes.
  if (op === 'attach' && errno === 2 && /uprobe/.test(what)) return 'not-found';
  if (op === 'attach' && (errno === 2 || errno === 22)) return 'unsupported';
  if (errno === 2) return 'not-found';
  if (errno === 22) return 'invalid';
  return 'other';
}
