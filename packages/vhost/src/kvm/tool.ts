/** kvm_irqfd_summary: which interrupts does KVM inject into each VM, by which path, and do they reach a vCPU? */
import { existsSync, readFileSync } from 'node:fs';
import { KernelRows, defineSummary, num, type Delta } from '@netstrata/bpf-common';
import object from '../../build/bpf/kvm_irqfd_summary.bpf.o';
import { kvmIrqfdHooks } from './hooks.ts';
import { decodeGsi, decodeMsi, decodeVcpu, kvmGsiKey, kvmGsiStats, kvmMsiKey, kvmMsiStats, kvmVcpuKey, type GsiEntry, type MsiEntry, type VcpuEntry } from './layout.ts';
import { gsiRowOps, gsiRows, msiRowOps, msiRows, renderKvmText, vcpuRowOps, vcpuRows, type Names } from './report.ts';

const vmPid = num('pid', { int: true, min: 0 }).superRefine((n, ctx) => {
  if (n && !existsSync(`/proc/${n}`)) ctx.addIssue({ code: 'custom', message: `--pid: no process ${n}` });
});

/** A process's comm, from /proc (null once it has exited). */
const procName: Names = (pid) => {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return null;
  }
};

export const kvmIrqfdSummary = defineSummary({
  name: 'kvm_irqfd_summary',
  domain: 'vhost',
  describe:
    'Which interrupts does KVM inject into each VM, by which path, and do they reach a vCPU? Per VM and MSI (destination, vector): the injections delivered in the signalling context (irqfd\'s fast path) and the ones deferred to the irqfd\'s work item; per vCPU, the MSIs its LAPIC accepted; per GSI, the irqfd\'s signals and the time from each to the LAPIC.',
  examples: [
    ['$0', 'every VM on the host, every 5 seconds'],
    ['$0 --pid $(pgrep -f "qemu.*guest=vm1")', 'one VM: which vectors its devices raise, and on which vCPUs'],
    ['$0 --interval 1 --top 5', 'the five busiest MSIs, every second'],
    ['$0 --output json --duration 30', 'one 30-second record of every VM, as NDJSON'],
  ],
  epilog:
    "A VM's device signals an interrupt by writing an eventfd that KVM polls (an irqfd): vhost-net's worker after it gives buffers back, a vhost-user backend, a VFIO device's interrupt. KVM then injects the GSI's route, an MSI, right there (the fast path: the LAPIC accepts it in the signalling context) or, when it cannot (no vCPU matches quickly, a broadcast, a lowest-priority MSI with no fast target), in the irqfd's work item, a kworker (deferred). " +
    'Fields: VM the process that created the VM (its pid and comm); GSI the irqfd\'s interrupt number, DEST the destination APIC id ("log": logical mode), VECTOR and MODE as the guest programmed the MSI; INJECTED = FAST (delivered in the signalling context) + DEFERRED (by the work item); FAST MISSED tried in the signalling context and not delivered there (irqfd defers those: a run of them with DEFERRED means the slower path, with neither a vCPU the MSI does not reach); ACCEPTED the LAPIC accepts that followed, one per vCPU reached; SIGNALLED BY the thread that last signalled (vhost-<pid>, a QEMU thread). ' +
    'Per GSI: WAKEUPS the irqfd\'s signals, SET_IRQ the GSI raised by the work item or KVM_IRQ_LINE, DELIVERED the signals that reached a LAPIC, and DELAY from the signal to it. Per vCPU and vector: the MSIs its LAPIC accepted. ' +
    'Hooks: the tracepoints kvm:kvm_msi_set_irq, kvm:kvm_set_irq and kvm:kvm_apic_accept_irq (tp_btf, raw_tp, tracepoint), and where functions can be hooked irqfd_wakeup and irqfd_inject (fentry, else kprobe): they give each injection its VM and GSI, the wakeups and the delay. Without them the VM is the signalling process (vhost\'s worker borrows the VM\'s memory; a vhost-user backend is its own process) and deferred injections have no VM. ' +
    "Cost: a few BPF runs per interrupt injected (signal, injection, accept), none per packet; the LAPIC's other interrupts (timer, IPIs) cost one run each that leaves at its first check. Needs the kvm module (loaded by kvm_intel or kvm_amd). Output fields: docs/output-fields.md",
  hooks: kvmIrqfdHooks,
  uses: { interval: 5, top: 20 },
  options: (y) => y.option('pid', { type: 'number', default: 0, describe: 'only the VM of this process (its VMM: QEMU, say; 0: every VM)' }),
  schema: { pid: vmPid },
  object,
  maps: { msis: { key: kvmMsiKey, value: kvmMsiStats }, gsis: { key: kvmGsiKey, value: kvmGsiStats }, vcpus: { key: kvmVcpuKey, value: 8 } },
  rodata: (o) => ({ targ_pid: o.pid }),
  start: ({ o, obj, signal }) => {
    const msis = new KernelRows(obj.map('msis'), obj, { decode: decodeMsi, ...msiRowOps });
    const gsis = new KernelRows(obj.map('gsis'), obj, { decode: decodeGsi, ...gsiRowOps });
    const vcpus = new KernelRows(obj.map('vcpus'), obj, { decode: decodeVcpu, ...vcpuRowOps });
    for (const rows of [msis, gsis, vcpus]) rows.sweepEvery(signal);
    return {
      read: () => ({ msis: msis.read(), gsis: gsis.read(), vcpus: vcpus.read() }),
      losses: () => ({}),
      record: (d: { msis: Delta<MsiEntry>; gsis: Delta<GsiEntry>; vcpus: Delta<VcpuEntry> }, tick) => {
        const final = tick.type === 'final';
        const rows = msiRows(final ? d.msis.total : d.msis.interval, procName);
        return {
          msis: rows.slice(0, o.top),
          more_msis: Math.max(0, rows.length - o.top),
          gsis: gsiRows(final ? d.gsis.total : d.gsis.interval, procName),
          vcpus: vcpuRows(final ? d.vcpus.total : d.vcpus.interval, procName),
        };
      },
      render: (rec) => renderKvmText(rec),
    };
  },
});
