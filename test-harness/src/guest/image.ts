/**
 * Prepares a guest kernel once per machine: downloads Debian's image package (not installed),
 * unpacks it, builds its modules.dep, decompresses the kernel to an ELF QEMU boots directly (PVH,
 * which saves seconds of decompression under TCG) and builds a busybox initramfs with the modules
 * the shared root needs. Everything sits in GUEST_CACHE/<release>, marked complete by a stamp.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, copyFileSync, chmodSync } from 'node:fs';
import { basename, join } from 'node:path';
import { guestFile } from '../agents.ts';
import { run } from '../exec.ts';
import { GUEST_CACHE, INITRAMFS_MODULES, type GuestKernel } from './kernels.ts';

export interface KernelImage {
  kernel: GuestKernel;
  release: string;
  /** Decompressed kernel (ELF with a PVH entry). */
  vmlinux: string;
  initrd: string;
  /** The release's module tree (lib/modules/<release>). */
  modules: string;
  /** The kernel's build configuration. */
  config: string;
}

const STAMP = '.prepared';

/** The concrete image package the meta package depends on today. */
export function resolveImagePackage(k: GuestKernel): string {
  const depends = () => run('apt-cache', ['depends', k.meta], { allowFail: true });
  let text = depends();
  if (!/Depends: linux-image-/.test(text)) {
    run('apt-get', ['update', '-qq']);
    text = depends();
  }
  const pkg = /Depends: (linux-image-\S+)/.exec(text)?.[1];
  if (!pkg) throw new Error(`guest kernel ${k.id}: apt-cache depends ${k.meta} names no linux-image package`);
  const release = pkg.replace(/^linux-image-/, '');
  if (!k.series.test(release)) throw new Error(`guest kernel ${k.id}: ${k.meta} depends on ${pkg}, not a ${k.series} release`);
  return pkg;
}

function imageOf(k: GuestKernel, release: string): KernelImage {
  const dir = join(GUEST_CACHE, release);
  return {
    kernel: k,
    release,
    vmlinux: join(dir, 'vmlinux'),
    initrd: join(dir, 'initrd.gz'),
    modules: join(dir, 'root/lib/modules', release),
    config: join(dir, `root/boot/config-${release}`),
  };
}

/** The prepared image of `k`, preparing it first if this machine has none (about 10–20 s). */
export function prepareKernel(k: GuestKernel): KernelImage {
  const pkg = resolveImagePackage(k);
  const release = pkg.replace(/^linux-image-/, '');
  const img = imageOf(k, release);
  const dir = join(GUEST_CACHE, release);
  if (existsSync(join(dir, STAMP))) return img;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  run('apt-get', ['download', '-q', pkg], { cwd: dir });
  const deb = readdirSync(dir).find((f) => f.endsWith('.deb'));
  if (!deb) throw new Error(`guest kernel ${k.id}: apt-get download ${pkg} left no .deb in ${dir}`);
  run('dpkg-deb', ['-x', join(dir, deb), join(dir, 'root')]);
  rmSync(join(dir, deb));
  // The package carries modules.order and modules.builtin but no modules.dep.
  run('depmod', ['-b', join(dir, 'root'), release]);
  writeFileSync(img.vmlinux, decompressKernel(readFileSync(join(dir, 'root/boot', `vmlinuz-${release}`))));
  buildInitramfs(img, dir);
  writeFileSync(join(dir, STAMP), `${pkg}\n`);
  return img;
}

/**
 * The ELF inside a bzImage: the setup header locates the compressed payload (payload_offset and
 * payload_length, after the real-mode setup sectors); Debian compresses it with xz (6.1) or zstd (6.12).
 */
export function decompressKernel(bz: Buffer): Buffer {
  if (bz.readUInt32LE(0x202) !== 0x53726448) throw new Error('not a bzImage (no HdrS signature)');
  const setupSects = bz[0x1f1] || 4;
  const start = (setupSects + 1) * 512 + bz.readUInt32LE(0x248);
  // The payload ends with the decompressed size (4 bytes), which neither decompressor expects.
  const payload = bz.subarray(start, start + bz.readUInt32LE(0x24c) - 4);
  const xz = payload.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]));
  const zstd = payload.readUInt32LE(0) === 0xfd2fb528;
  if (!xz && !zstd) throw new Error(`bzImage payload compressed in an unknown format (${payload.subarray(0, 6).toString('hex')})`);
  const elf = execFileSync(xz ? 'xz' : 'zstd', xz ? ['-dc', '--single-stream'] : ['-dcq'], { input: payload, maxBuffer: 1 << 30 });
  if (elf.readUInt32BE(0) !== 0x7f454c46) throw new Error('decompressed kernel is not an ELF file');
  return elf;
}

/** Busybox, the modules reaching the shared root (decompressed: busybox insmod reads plain .ko) and /init. */
function buildInitramfs(img: KernelImage, dir: string): void {
  const root = join(dir, 'initramfs');
  rmSync(root, { recursive: true, force: true });
  for (const d of ['bin', 'dev', 'proc', 'modules']) mkdirSync(join(root, d), { recursive: true });
  copyFileSync('/bin/busybox', join(root, 'bin/busybox'));
  chmodSync(join(root, 'bin/busybox'), 0o755);
  const files: string[] = [];
  for (const m of INITRAMFS_MODULES) {
    const deps = run('modprobe', ['-d', join(dir, 'root'), '-S', img.release, '--show-depends', m]);
    for (const line of deps.split('\n')) {
      const f = /^insmod (\S+)/.exec(line)?.[1];
      if (f && !files.includes(f)) files.push(f);
    }
  }
  const order: string[] = [];
  for (const f of files) {
    const name = basename(f).replace(/\.(xz|zst)$/, '');
    const data = f.endsWith('.xz') ? execFileSync('xz', ['-dc', f]) : f.endsWith('.zst') ? execFileSync('zstd', ['-dcq', f]) : readFileSync(f);
    writeFileSync(join(root, 'modules', name), data);
    order.push(name);
  }
  writeFileSync(join(root, 'modules/order'), `${order.join('\n')}\n`);
  copyFileSync(guestFile('initramfs-init.sh'), join(root, 'init'));
  chmodSync(join(root, 'init'), 0o755);
  execFileSync('sh', ['-c', `cd '${root}' && find . | cpio -o -H newc --quiet | gzip -1 > '${img.initrd}'`]);
  rmSync(root, { recursive: true, force: true });
}
