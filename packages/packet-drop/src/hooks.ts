/** The one hook both packet-drop tools use, with its flavours in order of preference. */
import type { Hook } from '@netstrata/bpf-common';

export const kfreeSkbHook: Hook = {
  name: 'skb:kfree_skb',
  flavours: [
    { name: 'tp_btf', programs: ['kfree_skb_tp_btf'], needs: 'tp_btf' },
    { name: 'raw_tp', programs: ['kfree_skb_raw_tp'], needs: 'raw_tp' },
    { name: 'tracepoint', programs: ['kfree_skb_tp'], needs: 'tracepoint' },
    // Before the reason tracepoint existed, kfree_skb() was a real function called only to drop.
    { name: 'fentry', programs: ['kfree_skb_fentry'], needs: 'fentry' },
    { name: 'kprobe', programs: ['kfree_skb_kprobe'], needs: 'kprobe' },
  ],
};

/** Every program of the hook, for verifier tests and for turning off the flavours not chosen. */
export const allDropPrograms = kfreeSkbHook.flavours.flatMap((f) => f.programs);
