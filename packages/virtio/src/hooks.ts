/** Hooks of the virtio tools, with their flavours in order of preference, and what the programs
 * need to know of this kernel (virtio_net's poll functions, napi_struct's state bits). */
import { KallsymsSymbolizer, functionFlavours, functionInKallsyms, kernelBtf, moduleMissing, tracepointFlavours, type Hook, type HookFlavour } from '@netstrata/bpf-common';

/** virtio_net is in this kernel (built in, or its module loaded): its NAPI poll is a text symbol. */
export function virtioNet(): true | string {
  return functionInKallsyms('virtnet_poll') === true ? true : moduleMissing('virtio_net', 'no virtio-net NIC here: these tools run inside a guest that has one');
}

const needingVirtio = (f: HookFlavour): HookFlavour => ({
  ...f,
  available: () => {
    const tp = f.available?.() ?? true;
    return tp === true ? virtioNet() : tp;
  },
});

/** A virtio-net queue's poll, after it: at the return of virtio_net's own poll functions (fexit:
 * one BPF run per virtio-net poll, nothing for other devices), else napi:napi_poll, which runs after
 * every NAPI poll of every device (the virtio-net queues' picked out by their poll function: on a
 * host flooding veth pairs that is a run per packet). */
const [fentry] = functionFlavours('virtnet_poll', 'virtnet_poll_tx');
export const pollHook: Hook = {
  name: 'virtnet_poll',
  flavours: [{ ...fentry!, name: 'fexit', programs: ['virtnet_poll_fexit', 'virtnet_poll_tx_fexit'] }, ...tracepointFlavours('napi:napi_poll')].map(needingVirtio),
};
/** Every interrupt handler's return: the virtio-net devices' interrupts are picked out by number. */
export const irqExitHook: Hook = { name: 'irq:irq_handler_exit', flavours: tracepointFlavours('irq:irq_handler_exit').map(needingVirtio) };
/** virtnet_irq_summary: the queues' interrupt state after their polls (optional: without it the
 * state is not shown). */
export const irqStateHook: Hook = { ...pollHook, optional: true };

export const virtnetPollHooks: Hook[] = [pollHook];
export const virtnetIrqHooks: Hook[] = [irqExitHook, irqStateHook];

/** The rodata both programs share: virtio_net's RX (and with `tx` its TX) poll function, and the
 * bits of napi_struct.state that say what runs a poll (an anonymous enum: CO-RE cannot relocate it,
 * so its values come from the kernel's BTF here). */
export function queueRodata(tx: boolean): Record<string, bigint | number> {
  let rx = 0n;
  let txPoll = 0n;
  if (virtioNet() === true) {
    const sym = KallsymsSymbolizer.fromProc();
    if (!sym.available) throw new Error(`virtio_net's poll functions: ${sym.reason ?? 'kernel symbols unreadable'}`);
    rx = sym.lookup('virtnet_poll') ?? 0n;
    txPoll = tx ? (sym.lookup('virtnet_poll_tx') ?? 0n) : 0n;
  }
  const btf = kernelBtf();
  return {
    targ_rx_poll: rx,
    targ_tx_poll: txPoll,
    targ_busy_bit: btf.enumerator('NAPI_STATE_IN_BUSY_POLL') ?? 64,
    targ_threaded_bit: btf.enumerator('NAPI_STATE_THREADED') ?? 64,
  };
}
