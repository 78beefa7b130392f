/** The structs the kvm_irqfd_summary decoders declare, member by member against the built object. */
import { describeLayouts } from '@netstrata/bpf-common/testing';
import object from '../../build/bpf/kvm_irqfd_summary.bpf.o';
import { KVM_LAYOUTS } from './layout.ts';

describeLayouts('kvm_irqfd_summary', { kvm_irqfd_summary: object }, KVM_LAYOUTS);
