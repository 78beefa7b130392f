/** Hooks of the vhost tools, with their flavours in order of preference. vhost has no tracepoints:
 * every hook is a function of the vhost or vhost_net module (fentry, else kprobe). */
import { existsSync } from 'node:fs';
import { functionFlavours, kernelBtf, moduleMissing, tracepointFlavours, type Hook, type HookFlavour } from '@netstrata/bpf-common';

/** vhost's private structs are in the vhost module's BTF once it is loaded (a VM started with
 * vhost=on, or modprobe vhost_net), or in the kernel's when it is built in. */
export function vhostTypes(): true | string {
  if (existsSync('/sys/kernel/btf/vhost') || kernelBtf().hasType('vhost_virtqueue', 'struct')) return true;
  return moduleMissing('vhost', 'no VM on this host uses vhost-net: modprobe vhost_net, or start a VM with vhost=on');
}

const needingVhost = (f: HookFlavour): HookFlavour => ({
  ...f,
  available: () => {
    const types = vhostTypes();
    return types === true ? (f.available?.() ?? true) : types;
  },
});

/** A function hook in its two flavours; `exit` adds the function's return (fexit, kretprobe). */
function vhostFn(fn: string, exit = false): Hook {
  const [fentry, kprobe] = functionFlavours(fn);
  return {
    name: fn,
    flavours: [
      { ...fentry!, programs: [`${fn}_fentry`, ...(exit ? [`${fn}_fexit`] : [])] },
      { ...kprobe!, programs: [`${fn}_kprobe`, ...(exit ? [`${fn}_kretprobe`] : [])] },
    ].map(needingVhost),
  };
}

/** A function's return only (fexit, kretprobe). */
function vhostFnExit(fn: string): Hook {
  const [fentry, kprobe] = functionFlavours(fn);
  return {
    name: `${fn} (return)`,
    flavours: [
      { ...fentry!, name: 'fexit', programs: [`${fn}_fexit`] },
      { ...kprobe!, name: 'kretprobe', programs: [`${fn}_kretprobe`] },
    ].map(needingVhost),
  };
}

/** The guest's kick wakes the virtqueue's poll. */
export const kickHook = vhostFn('vhost_poll_wakeup');
/** vhost-net's handlers, entry and return: runs and buffers per run. */
export const handleRxHook = vhostFn('handle_rx', true);
export const handleTxHook = vhostFn('handle_tx', true);
/** Used entries added (every path that gives buffers back goes through it). */
export const addUsedHook = vhostFn('vhost_add_used_n');
/** Used entries published with a signal check (vhost_signal is inlined into these). */
export const signalCheckHooks = [vhostFn('vhost_add_used_and_signal_n'), vhostFn('vhost_add_used_and_signal')];
/** The signal itself: eventfd_signal until 6.7, eventfd_signal_mask from 6.8 (eventfd_signal is
 * then an inline function). */
export const signalHook: Hook = {
  name: 'eventfd_signal',
  flavours: [...vhostFn('eventfd_signal').flavours, ...vhostFn('eventfd_signal_mask').flavours.map((f) => ({ ...f, name: `${f.name} (eventfd_signal_mask)` }))].sort(
    (a, b) => Number(a.needs !== 'fentry') - Number(b.needs !== 'fentry'),
  ),
};
/** The worker found a ring empty and turns the guest's kicks back on. */
export const emptyHook = vhostFn('vhost_enable_notify');

/** The workers' waits for a CPU: only the BTF flavours, which see the task. */
const btfOnly = (event: string) => tracepointFlavours(event).filter((f) => f.name !== 'tracepoint');
export const wakeupHook: Hook = { name: 'sched:sched_wakeup', flavours: btfOnly('sched:sched_wakeup') };
export const switchHook: Hook = { name: 'sched:sched_switch', flavours: btfOnly('sched:sched_switch') };

export const vhostSignalHooks: Hook[] = [kickHook, handleRxHook, handleTxHook, addUsedHook, ...signalCheckHooks, signalHook, emptyHook, wakeupHook, switchHook];
/** --worker-wait adds the scheduler hooks: two runs per context switch on the whole host. */
export const vhostSignalHooksFor = (workerWait: boolean): Hook[] => vhostSignalHooks.filter((h) => workerWait || (h !== wakeupHook && h !== switchHook));

/** vhost_queue_details: the signal checks and signals, the ends of the handler runs (a check with no
 * signal after it was suppressed), the worker finding a ring empty, and the start of each TX run
 * (the guest's whole TX ring waiting). */
export const vhostQueueHooks: Hook[] = [...signalCheckHooks, signalHook, emptyHook, vhostFnExit('handle_rx'), handleTxHook];
