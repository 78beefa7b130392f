/** Hooks of kvm_irqfd_summary, with their flavours in order of preference. KVM's tracepoints are in
 * the kvm module (in its BTF once loaded, or in the kernel's where KVM is built in); irqfd has no
 * tracepoint, so its wakeup and work item are function hooks, optional. */
import { existsSync } from 'node:fs';
import { functionFlavours, kernelBtf, moduleMissing, moduleTracepointFlavours, tracepointDefined, type Hook, type HookFlavour } from '@netstrata/bpf-common';

/** KVM is there: the kvm module loaded (by kvm_intel or kvm_amd, as a VM's start does), or built in. */
export function kvmLoaded(): true | string {
  if (existsSync('/sys/module/kvm') || kernelBtf().hasType('kvm_kernel_irqfd', 'struct')) return true;
  return moduleMissing('kvm', 'modprobe kvm_intel or kvm_amd; starting a VM loads it');
}

const inKvm = (f: HookFlavour): HookFlavour => ({
  ...f,
  available: () => {
    const loaded = kvmLoaded();
    return loaded === true ? (f.available?.() ?? true) : loaded;
  },
});

/** A kvm tracepoint in its three flavours: the BTF ones (tp_btf, raw_tp) and the classic one. */
function kvmTracepoint(event: string): Hook {
  const name = event.split(':')[1]!;
  return {
    name: event,
    flavours: [
      ...moduleTracepointFlavours('kvm', event),
      { name: 'tracepoint', programs: [`${name}_tp`], needs: 'tracepoint' as const, available: () => tracepointDefined(event, 'tracefs') },
    ].map(inKvm),
  };
}

/** An irqfd function of the kvm module; the tool runs without it. `kprobeFirst`: a function whose
 * fentry attaches on some kernels and never runs (see irqfdWakeupHook). */
function irqfdFn(fn: string, kprobeFirst = false): Hook {
  const [fentry, kprobe] = functionFlavours(fn);
  return { name: fn, optional: true, flavours: (kprobeFirst ? [kprobe!, fentry!] : [fentry!, kprobe!]).map(inKvm) };
}

/** An MSI injected: its address and data (destination, vector), in the injecting context. */
export const msiHook = kvmTracepoint('kvm:kvm_msi_set_irq');
/** A GSI raised: irqfd's deferred path (its work item), or the VMM's KVM_IRQ_LINE. */
export const setIrqHook = kvmTracepoint('kvm:kvm_set_irq');
/** A vCPU's LAPIC accepting an interrupt. */
export const acceptHook = kvmTracepoint('kvm:kvm_apic_accept_irq');
/** The irqfd's eventfd signalled: its VM and GSI, and the start of the time to delivery. kprobe
 * first: on Debian's 6.12 kernel (6.12.118, in the guest tier) an fentry program on irqfd_wakeup
 * loads and attaches, and never runs (its trampoline is not registered with ftrace, unlike
 * irqfd_inject's in the same module), while a kprobe there fires on every wakeup; on 6.1 both run. */
export const irqfdWakeupHook = irqfdFn('irqfd_wakeup', true);
/** The irqfd's work item: the deferred path's VM and GSI. */
export const irqfdInjectHook = irqfdFn('irqfd_inject');

export const kvmIrqfdHooks: Hook[] = [msiHook, setIrqHook, acceptHook, irqfdWakeupHook, irqfdInjectHook];
