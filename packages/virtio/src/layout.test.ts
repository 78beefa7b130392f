/** The structs the virtio decoders declare, member by member against the built objects. */
import { describeLayouts } from '@netstrata/bpf-common/testing';
import poll from '../build/bpf/virtnet_poll_summary.bpf.o';
import irq from '../build/bpf/virtnet_irq_summary.bpf.o';
import { IRQ_LAYOUTS, POLL_LAYOUTS } from './layout.ts';

describeLayouts('virtio', { virtnet_poll_summary: poll }, POLL_LAYOUTS);
describeLayouts('virtio', { virtnet_irq_summary: irq }, IRQ_LAYOUTS);
