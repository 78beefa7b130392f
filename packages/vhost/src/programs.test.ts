/** Every flavour of every vhost program against this kernel's verifier. Where vhost is a module,
 * its structs and functions are in BTF only once it is loaded (a guest of the kernel tier, say). */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describeVerifier } from '@netstrata/bpf-common/testing';
import { tools } from './index.ts';
import { vhostTypes } from './hooks.ts';

const modular = existsSync(`/lib/modules/${execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim()}/modules.dep`);
if (vhostTypes() !== true && modular && process.getuid?.() === 0) execFileSync('modprobe', ['vhost_net']);

describeVerifier('vhost', tools, {});
