/* Records shared by kvm_irqfd_summary and its TypeScript decoders (src/kvm/layout.ts). */
#ifndef KVM_IRQFD_H
#define KVM_IRQFD_H

#include "netstrata/btf.h"
#include "netstrata/hist_types.h"

/* MSI rows: a VM has one per vector and destination its devices use (a few per NIC queue). */
#define KVM_MSIS_MAX 4096
/* GSI rows: one per irqfd (a VM's NIC queue, disk queue, VFIO vector...). */
#define KVM_GSIS_MAX 4096
/* vCPU rows: one per vCPU and vector. */
#define KVM_VCPUS_MAX 8192
/* Injections in progress, by thread: a few per CPU at a time; the rest are stale and may go. */
#define KVM_THREADS_MAX 4096
/* irqfds woken whose injection was deferred to the work item and has not run yet. */
#define KVM_WAKEUPS_MAX 8192
/* A LAPIC accept belongs to the MSI injected in the same thread at most this long before it.
 * Delivery follows the injection in the same call (microseconds; under an emulator's first run of
 * that code, about a millisecond): the window only keeps a later, unrelated accept of the same
 * vector in that thread from counting once a broadcast's or logical MSI's accepts are over (a
 * physical unicast MSI's injection ends at its one accept). */
#define KVM_ACCEPT_WINDOW_NS 50000000ULL
/* The GSI is not known (an MSI signalled with no irqfd hook, or by KVM_SIGNAL_MSI). */
#define KVM_GSI_NONE 0xffffffffU
#define KVM_COMM_LEN 16

/* One MSI of one VM: the VM's process, and the interrupt as the MSI message encodes it. */
struct kvm_msi_key {
	__u32 pid;                     /* the VM's process (0: not known, a work item with no irqfd hook) */
	__u32 dest;                    /* destination APIC id (0xff in xAPIC physical mode: broadcast) */
	__u8  vector;
	__u8  mode;                    /* delivery mode: 0 fixed, 1 lowest priority, 4 NMI... */
	__u8  logical;                 /* destination mode: 1 logical, 0 physical */
	__u8  _pad;
	__u32 _pad2;
};

struct kvm_msi_stats {
	__u32 gsi;                     /* the GSI last seen carrying it (KVM_GSI_NONE: not known) */
	__u32 source_tid;              /* the thread that last signalled it in its own context */
	__u32 source_pid;
	__u32 _pad;
	char  source_comm[KVM_COMM_LEN]; /* vhost-<pid>, a QEMU thread, a VFIO interrupt's... */
	__u64 direct;                  /* kvm_msi_set_irq in the signalling context (irqfd's fast path, KVM_SIGNAL_MSI) */
	__u64 fast;                    /* of which a LAPIC accepted in that context */
	__u64 deferred;                /* kvm_msi_set_irq in a work item (irqfd_inject, after the fast path could not deliver) */
	__u64 accepted;                /* LAPIC accepts that followed, one per vCPU it reached */
};

/* One GSI of one VM. */
struct kvm_gsi_key {
	__u32 pid;
	__u32 gsi;
};

struct kvm_gsi_stats {
	__u64 wakeups;                 /* irqfd_wakeup with data: the irqfd's eventfd was signalled (function hook) */
	__u64 set_irq;                 /* kvm_set_irq raising the GSI (the deferred path, or KVM_IRQ_LINE) */
	__u64 delivered;               /* irqfd signals that reached a LAPIC (with the hook: timed below) */
	struct nst_hist delay_ns;      /* irqfd_wakeup to the first LAPIC accept of its injection */
};

/* One vCPU of one VM, per vector. */
struct kvm_vcpu_key {
	__u32 pid;
	__u32 vcpu;                    /* the vCPU's id (its APIC id unless the VMM changed it) */
	__u32 vector;
	__u32 _pad;
};

/* An injection in progress in one thread: from the irqfd hooks (or kvm_set_irq in a work item) to
 * the MSI it injects, then to the LAPIC accepts that follow. */
struct kvm_inject {
	__u64 irqfd;                   /* the irqfd (0: none known) */
	__u64 wakeup_ns;               /* its wakeup (0: not known) */
	__u64 msi_ns;                  /* when its MSI was injected (0: not yet) */
	struct kvm_msi_key key;        /* that MSI's row */
	__u32 pid;
	__u32 gsi;
	__u32 address_lo;              /* the irqfd's MSI route: an MSI belongs to it only if it matches */
	__u32 data;
	__u8  route;                   /* the route above is known */
	__u8  deferred;                /* in the work item */
	__u8  delivered;               /* a LAPIC has accepted it */
	__u8  _pad;
	__u32 _pad2;
};

_Static_assert(sizeof(struct kvm_msi_key) == 16, "kvm_msi_key size is mirrored in src/kvm/layout.ts");
_Static_assert(sizeof(struct kvm_msi_stats) == 64, "kvm_msi_stats size is mirrored in src/kvm/layout.ts");
_Static_assert(sizeof(struct kvm_gsi_key) == 8, "kvm_gsi_key size is mirrored in src/kvm/layout.ts");
_Static_assert(sizeof(struct kvm_gsi_stats) == 24 + sizeof(struct nst_hist), "kvm_gsi_stats size is mirrored in src/kvm/layout.ts");
_Static_assert(sizeof(struct kvm_vcpu_key) == 16, "kvm_vcpu_key size is mirrored in src/kvm/layout.ts");
NST_BTF_STRUCT(kvm_msi_key);
NST_BTF_STRUCT(kvm_msi_stats);
NST_BTF_STRUCT(kvm_gsi_key);
NST_BTF_STRUCT(kvm_gsi_stats);
NST_BTF_STRUCT(kvm_vcpu_key);

#endif
