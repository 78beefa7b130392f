/** Whether the guest tier can run here: root, QEMU and the tools that prepare a kernel. On CI a
 * missing piece fails the run; elsewhere the tier is skipped with the reason. */
import { execFileSync } from 'node:child_process';
import { isRoot } from '@netstrata/bpf-common/testing/root';

const NEEDS = ['qemu-system-x86_64', 'ovs-vswitchd', 'busybox', 'cpio', 'xz', 'zstd', 'depmod', 'modprobe', 'apt-get', 'dpkg-deb'];

export function guestTierRuns(): boolean {
  const missing = NEEDS.filter((cmd) => {
    try {
      execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
      return false;
    } catch {
      return true;
    }
  });
  const why = !isRoot ? 'not root' : missing.length ? `missing ${missing.join(', ')} (bash .ci/setup.sh installs them)` : '';
  if (!why) return true;
  if (process.env.CI) throw new Error(`the guest tier cannot run: ${why}, and CI must not skip it`);
  console.warn(`skipping the guest tier: ${why}`);
  return false;
}
