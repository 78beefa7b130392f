/** The one hook both packet-drop tools use, with its flavours in order of preference. */
import { existsSync, readFileSync } from 'node:fs';
import { tracepointFlavours, type Hook } from '@netstrata/bpf-common';
import { Btf } from '@netstrata/libbpf-ts';

/** The free function hooked on kernels older than the reason tracepoint. */
export const FREE_FUNCTION = 'kfree_skb';

function freeFunctionInBtf(): true | string {
  return Btf.vmlinux().funcNames().has(FREE_FUNCTION)
    ? true
    : `${FREE_FUNCTION} is not a function in this kernel (drops are reported by the skb:kfree_skb tracepoint instead)`;
}

function freeFunctionInKallsyms(): true | string {
  const text = existsSync('/proc/kallsyms') ? readFileSync('/proc/kallsyms', 'utf8') : '';
  return new RegExp(` [tT] ${FREE_FUNCTION}$`, 'm').test(text) ? true : `${FREE_FUNCTION} is not in /proc/kallsyms`;
}

export const kfreeSkbHook: Hook = {
  name: 'skb:kfree_skb',
  flavours: [
    ...tracepointFlavours('kfree_skb'),
    // Before the reason tracepoint existed, kfree_skb() was a real function called only to drop.
    { name: 'fentry', programs: ['kfree_skb_fentry'], needs: 'fentry', available: freeFunctionInBtf },
    { name: 'kprobe', programs: ['kfree_skb_kprobe'], needs: 'kprobe', available: freeFunctionInKallsyms },
  ],
};

/** Every program of the hook, for verifier tests and for turning off the flavours not chosen. */
export const allDropPrograms = kfreeSkbHook.flavours.flatMap((f) => f.programs);
