/**
 * `netstrata audit`: what in this host's configuration is off, and why it matters for drops and
 * latency. Reads the facts (this namespace's directly; another namespace's in a child entered into
 * it), samples what needs a sample, runs the rules, prints the report.
 */
import { execFile } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';
import type { Argv } from 'yargs';
import { z } from 'zod';
import { once } from '../options.ts';
import { Sink, UsageError, currentNetns, helpWidth, networkNamespaces, num, resolveNetns, wrapWords } from '@netstrata/bpf-common';
import type { NamespaceFacts } from './facts.ts';
import { readNamespaceFacts } from './read-namespace.ts';
import { hostFacts, netIrqsHere, snapshot } from './read-host.ts';
import { audit, exitStatus, renderAudit } from './report.ts';
import { SystemSource } from './source.ts';

export const AUDIT_DESCRIBE = "What in this host's configuration is off, and why does it matter for drops and latency?";
/** The same, as `netstrata --help` lists commands. */
export const AUDIT_COMMAND = "what in this host's configuration is off, and why it matters for drops and latency";

export function withAuditOptions<T>(y: Argv<T>) {
  return y
    // Laid out by wrapWords, as the top level is: this yargs breaks lines inside words.
    .usage(`$0 audit [options]\n\n${wrapWords(AUDIT_DESCRIBE, helpWidth() - 2)}`)
    .option('netns', {
      type: 'string',
      requiresArg: true,
      describe: 'namespace to audit: an ip netns name, a path such as /proc/PID/ns/net, or an inode',
    })
    .option('sample', { default: 1, requiresArg: true, describe: 'seconds to sample CPU time, interrupts and softirqs over' })
    .option('output', { choices: ['text', 'json'] as const, default: 'text' as const, requiresArg: true, describe: 'text for people, json for one JSON object' })
    .option('namespace-facts', { type: 'boolean', hidden: true, describe: "print the facts of this process's namespace as JSON (what the audit runs inside another namespace)" })
    .example('$0 audit', 'this namespace and the host')
    .example('$0 audit --netns vm-net --output json', "namespace vm-net's devices and sysctls, and the host")
    .example('$0 audit --sample 5', 'busy threads and softirqs over 5 s')
    .epilog(
      wrapWords(
        'Namespace rules judge the devices, sysctls and routes of the audited namespace; host rules judge what the whole host shares (CPUs, interrupts, threads, net.core sysctls). Exit status: 0 when no finding is a warning or critical, 3 when one is, 1 when the audit failed, 2 for bad input. Every rule, its advice and the JSON fields: docs/audit.md.',
        helpWidth() - 2,
      ),
    );
}

export const auditSchema = z.object({
  netns: once('netns', z.string().min(1, '--netns: give a namespace (a name, a path or an inode)')).optional(),
  sample: once('sample', num('sample', { min: 0.1, max: 60 })),
  output: once('output', z.enum(['text', 'json'])),
  namespaceFacts: z.boolean().optional(),
});

export type AuditOptions = z.infer<typeof auditSchema>;

export function parseAuditOptions(argv: Record<string, unknown>): AuditOptions {
  const r = auditSchema.safeParse(argv);
  if (!r.success) throw new UsageError(r.error.issues[0]?.message ?? 'invalid options');
  return r.data;
}

const CAP_SYS_ADMIN = 21n;

function canEnterNamespaces(): boolean {
  const m = /^CapEff:\s*([0-9a-f]+)/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? ((BigInt(`0x${m[1]}`) >> CAP_SYS_ADMIN) & 1n) === 1n : false;
}

/** Whether a path is a network namespace: a /proc/PID/ns/net link, or an nsfs bind mount (ip netns). */
function isNetns(path: string, inode: number): boolean {
  try {
    if (/^net:\[\d+\]$/.test(readlinkSync(path))) return true;
  } catch {
    // Not a link: a bind mount, or not a namespace at all.
  }
  try {
    return readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .some((l) => l.split(' ')[3] === `net:[${inode}]`);
  } catch {
    return false;
  }
}

/** The namespace to audit: its inode, and a path to enter it by when it is not this one. */
export function targetNamespace(spec: string | undefined): { inode: number; name: string | null; path?: string } {
  const here = currentNetns();
  if (spec === undefined) return { inode: here, name: null };
  const { inode, path } = resolveNetns(spec);
  if (path && !isNetns(path, inode)) throw new UsageError(`--netns: '${spec}' is not a network namespace`);
  if (inode === here) return { inode, name: spec };
  const enter = path ?? networkNamespaces().find((n) => n.inode === inode)?.path;
  if (!enter) throw new UsageError(`--netns: no way into namespace ${spec} (no name in ip netns and no process in it)`);
  if (!canEnterNamespaces()) throw new UsageError('--netns: entering another network namespace needs root (CAP_SYS_ADMIN); run it with sudo');
  return { inode, name: spec, path: enter };
}

/**
 * Another namespace's facts, read by this program run inside it: entered with nsenter, with a
 * private mount namespace whose /sys is a sysfs mounted there (sysfs shows the devices of the
 * namespace that mounts it).
 */
export function readNamespaceIn(path: string, self: readonly string[]): Promise<NamespaceFacts> {
  const script = 'mount -t sysfs sysfs /sys && exec "$@"';
  const args = [`--net=${path}`, '--', 'unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c', script, 'sh', ...self, 'audit', '--namespace-facts'];
  return new Promise((resolve, reject) => {
    execFile('nsenter', args, { encoding: 'utf8', maxBuffer: 64 << 20, timeout: 120_000 }, (err, stdout, stderr) => {
      if (err) {
        const e = err as NodeJS.ErrnoException;
        if (e.code === 'ENOENT') return reject(new Error('--netns needs nsenter and unshare (util-linux), which are not installed'));
        return reject(new Error(`reading network namespace ${path} failed: ${stderr.trim().split('\n')[0] || err.message}`));
      }
      try {
        resolve(JSON.parse(stdout) as NamespaceFacts);
      } catch {
        reject(new Error(`reading network namespace ${path}: unexpected output ${stdout.slice(0, 200)}`));
      }
    });
  });
}

/** Runs the audit; returns the exit status. `self` is how to run this program again (for --netns). */
export async function runAudit(o: AuditOptions, self: readonly string[]): Promise<number> {
  const src = new SystemSource();
  if (o.namespaceFacts) {
    process.stdout.write(`${JSON.stringify(readNamespaceFacts(src, currentNetns()))}\n`);
    return 0;
  }
  const target = targetNamespace(o.netns);
  const ns = target.path ? await readNamespaceIn(target.path, self) : readNamespaceFacts(src, target.inode);
  // The sample spans --sample and no more: the namespace was read before it.
  const before = snapshot(src);
  await new Promise((r) => setTimeout(r, o.sample * 1000));
  const after = snapshot(src);
  // Network interrupts: of the devices here and of the audited namespace's.
  const netIrqs = netIrqsHere(src);
  for (const d of ns.devices.ok ? ns.devices.value : []) {
    for (const irq of d.bus?.irqs.ok ? d.bus.irqs.value : []) if (!netIrqs.some((n) => n.irq === irq)) netIrqs.push({ irq, device: d.name });
  }
  const report = audit({ ns, host: hostFacts(src, before, after, netIrqs) }, { inode: target.inode, name: target.name });
  new Sink(o.output).record(report, () => renderAudit(report));
  return exitStatus(report);
}
