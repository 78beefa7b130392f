/** Every flavour of every virtio program against this kernel's verifier. virtio_net's structs are in
 * the kernel's BTF where it is built in, or in its module's once loaded (a guest of the kernel tier). */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describeVerifier } from '@netstrata/bpf-common/testing';
import { tools } from './index.ts';

const modular = existsSync(`/lib/modules/${execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim()}/modules.dep`);
if (!existsSync('/sys/module/virtio_net') && modular && process.getuid?.() === 0) execFileSync('modprobe', ['virtio_net']);

describeVerifier('virtio', tools, {});
