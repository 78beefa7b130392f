/** Every flavour of every virtio program against this kernel's verifier. virtio_net's structs are in
 * the kernel's BTF where it is built in, or in its module's once loaded (a guest of the kernel tier). */
import { describeVerifier, loadModules } from '@netstrata/bpf-common/testing';
import { tools } from './index.ts';

loadModules('virtio_net');

describeVerifier('virtio', tools, {});
