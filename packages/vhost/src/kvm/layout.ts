/**
 * The records of bpf/kvm_irqfd.h, declared member by member in C order. Offsets follow from C's
 * rules; layout.test.ts beside this file checks every member against the built object's BTF.
 */
import { chars, nstHist, struct } from '@netstrata/bpf-common';

const COMM_LEN = 16;
/** bpf/kvm_irqfd.h KVM_GSI_NONE: the GSI is not known. */
export const GSI_NONE = 0xffffffff;

export const kvmMsiKey = struct('kvm_msi_key', { pid: 'u32', dest: 'u32', vector: 'u8', mode: 'u8', logical: 'u8', _pad: 'u8', _pad2: 'u32' });
export const kvmMsiStats = struct('kvm_msi_stats', {
  gsi: 'u32',
  source_tid: 'u32',
  source_pid: 'u32',
  _pad: 'u32',
  source_comm: chars(COMM_LEN),
  direct: 'u64',
  fast: 'u64',
  deferred: 'u64',
  accepted: 'u64',
});
export const kvmGsiKey = struct('kvm_gsi_key', { pid: 'u32', gsi: 'u32' });
export const kvmGsiStats = struct('kvm_gsi_stats', { wakeups: 'u64', set_irq: 'u64', delivered: 'u64', delay_ns: nstHist });
export const kvmVcpuKey = struct('kvm_vcpu_key', { pid: 'u32', vcpu: 'u32', vector: 'u32', _pad: 'u32' });

/** Every struct the tool decodes, for the layout test. */
export const KVM_LAYOUTS = [nstHist, kvmMsiKey, kvmMsiStats, kvmGsiKey, kvmGsiStats, kvmVcpuKey];

export interface MsiEntry {
  key: { pid: number; dest: number; vector: number; mode: number; logical: boolean };
  val: { gsi: number | null; sourceTid: number; sourcePid: number; sourceComm: string; direct: number; fast: number; deferred: number; accepted: number };
}

export function decodeMsi(k: Uint8Array, v: Uint8Array): MsiEntry {
  const key = kvmMsiKey.decode(k);
  const val = kvmMsiStats.decode(v);
  return {
    key: { pid: key.pid, dest: key.dest, vector: key.vector, mode: key.mode, logical: key.logical !== 0 },
    val: {
      gsi: val.gsi === GSI_NONE ? null : val.gsi,
      sourceTid: val.source_tid,
      sourcePid: val.source_pid,
      sourceComm: val.source_comm,
      direct: Number(val.direct),
      fast: Number(val.fast),
      deferred: Number(val.deferred),
      accepted: Number(val.accepted),
    },
  };
}

export interface GsiEntry {
  key: { pid: number; gsi: number };
  val: { wakeups: number; setIrq: number; delivered: number; delay: bigint[] };
}

export function decodeGsi(k: Uint8Array, v: Uint8Array): GsiEntry {
  const key = kvmGsiKey.decode(k);
  const val = kvmGsiStats.decode(v);
  return { key: { pid: key.pid, gsi: key.gsi }, val: { wakeups: Number(val.wakeups), setIrq: Number(val.set_irq), delivered: Number(val.delivered), delay: val.delay_ns.slots } };
}

export interface VcpuEntry {
  key: { pid: number; vcpu: number; vector: number };
  val: { accepted: number };
}

export function decodeVcpu(k: Uint8Array, v: Uint8Array): VcpuEntry {
  const key = kvmVcpuKey.decode(k);
  return { key: { pid: key.pid, vcpu: key.vcpu, vector: key.vector }, val: { accepted: Number(new DataView(v.buffer, v.byteOffset, 8).getBigUint64(0, true)) } };
}
