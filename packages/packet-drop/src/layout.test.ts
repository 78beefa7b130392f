/** The structs the packet-drop decoders declare, member by member against the built objects. */
import { describeLayouts } from '@netstrata/bpf-common/testing';
import summary from '../build/bpf/packet_drop_summary.bpf.o';
import details from '../build/bpf/packet_drop_details.bpf.o';
import { describe, expect, it } from 'vitest';
import { DROP_EVENT_NO_STACK_SIZE, LAYOUTS, dropEvent, dropEventNoStack } from './layout.ts';

describeLayouts('packet-drop', { packet_drop_summary: summary, packet_drop_details: details }, LAYOUTS);

describe('drop_event without its stack', () => {
  it('is every member before the stack, at the same offsets (DROP_EVENT_NO_STACK)', () => {
    expect(dropEventNoStack.members).toEqual(dropEvent.members.filter((m) => m.name !== 'stack'));
    expect(DROP_EVENT_NO_STACK_SIZE).toBe(dropEvent.offsetOf('stack'));
  });
});
