/** Every flavour of every OVS program against this kernel's verifier. The datapath's tracepoints and
 * structs are in the openvswitch module's BTF, once it is loaded (a guest of the kernel tier, say). */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describeVerifier } from '@netstrata/bpf-common/testing';
import { tools } from './index.ts';

const modular = existsSync(`/lib/modules/${execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim()}/modules.dep`);
// crc32c_generic first: Debian builds the implementation openvswitch's conntrack needs as a module.
if (!existsSync('/sys/module/openvswitch') && modular && process.getuid?.() === 0) for (const m of ['crc32c_generic', 'openvswitch']) execFileSync('modprobe', [m]);

describeVerifier('ovs', tools, {});
