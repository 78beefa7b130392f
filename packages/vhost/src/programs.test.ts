/** Every flavour of every vhost program against this kernel's verifier. Where vhost (or KVM) is a
 * module, its structs, functions and tracepoints are in BTF only once it is loaded (a guest of the
 * kernel tier, say); where it is neither loaded nor loadable, its flavours are not available. */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describeVerifier } from '@netstrata/bpf-common/testing';
import { tools } from './index.ts';
import { vhostTypes } from './hooks.ts';
import { kvmLoaded } from './kvm/hooks.ts';

const modular = existsSync(`/lib/modules/${execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim()}/modules.dep`);
if (vhostTypes() !== true && modular && process.getuid?.() === 0) execFileSync('modprobe', ['vhost_net']);
// kvm alone defines KVM's tracepoints and irqfd's functions (kvm_intel or kvm_amd need the CPU's support).
if (kvmLoaded() !== true && modular && process.getuid?.() === 0) execFileSync('modprobe', ['kvm']);

describeVerifier('vhost', tools, {});
