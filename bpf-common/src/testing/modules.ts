/** Kernel modules a program suite needs loaded before its flavours are asked about. Where the
 * kernel loads modules (a guest of the kernel tier, say), hooks and types that live in a module are
 * there only once it is loaded; a suite that ran before another loaded it would report them missing
 * while `netstrata doctor`, asked later, finds them. This host's kernel loads no modules. */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { release } from 'node:os';
import { isRoot } from './root.ts';

/** Loads each module not loaded yet, in order (a dependency modprobe does not know of goes first),
 * where the running kernel has a module tree and this process is root. A failing modprobe throws. */
export function loadModules(...modules: string[]): void {
  if (!isRoot || !existsSync(`/lib/modules/${release()}/modules.dep`)) return;
  for (const m of modules) if (!existsSync(`/sys/module/${m}`)) execFileSync('modprobe', [m], { stdio: ['ignore', 'ignore', 'pipe'] });
}
