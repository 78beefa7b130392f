/**
 * The kernels the guest tier boots, named in one place. Each is Debian's meta package, resolved to
 * the concrete image on every preparation (the name changes with each ABI bump); the host's own
 * kernel is the third, and runs the tests without a guest.
 */
export interface GuestKernel {
  /** How tests and the support matrix name it. */
  id: string;
  /** Debian's meta package that depends on the current image of the series. */
  meta: string;
  /** The release the image must have (guards against a meta package pointing elsewhere). */
  series: RegExp;
}

export const GUEST_KERNELS: readonly GuestKernel[] = [
  { id: 'debian-6.1', meta: 'linux-image-amd64', series: /^6\.1\.\d+-\d+-amd64$/ },
  { id: 'debian-6.12', meta: 'linux-image-6.12-amd64', series: /^6\.12\.\d+\+deb\d+-amd64$/ },
];

/** Where prepared kernels live: the host path the guest also sees through its shared root. */
export const GUEST_CACHE = process.env.NST_GUEST_CACHE ?? '/var/cache/netstrata/guest';

/** Modules the initramfs loads to reach the shared root and the agent's port (with their dependencies). */
export const INITRAMFS_MODULES = ['virtio_pci', '9pnet_virtio', '9p', 'overlay', 'virtio_console'];

export function guestKernel(id: string): GuestKernel {
  const k = GUEST_KERNELS.find((g) => g.id === id || g.id === `debian-${id}`);
  if (!k) throw new Error(`unknown guest kernel '${id}' (known: ${GUEST_KERNELS.map((g) => g.id).join(', ')})`);
  return k;
}
