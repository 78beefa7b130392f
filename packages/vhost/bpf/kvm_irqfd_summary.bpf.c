// SPDX-License-Identifier: GPL-2.0
/* kvm_irqfd_summary: which interrupts does KVM inject into each VM, by which path, and do they reach
 * a vCPU? Per VM and MSI (destination, vector): the injections made in the signalling context
 * (irqfd's fast path: a vhost worker, a VFIO interrupt) and the ones deferred to irqfd's work item;
 * per vCPU and vector, the LAPIC's accepts; per GSI, with the irqfd function hooks, the eventfd
 * signals and the time from each to the LAPIC's accept. Tracepoints kvm:kvm_msi_set_irq,
 * kvm:kvm_set_irq and kvm:kvm_apic_accept_irq, plus irqfd_wakeup and irqfd_inject (fentry, else
 * kprobe) where they can be hooked: a few BPF runs per injected interrupt, nothing per packet. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "netstrata/loss.h"
#include "netstrata/hist.h"
#include "kvm_irqfd.h"

char LICENSE[] SEC("license") = "GPL";

/* --pid: only this VM process (0: every VM). */
const volatile __u32 targ_pid = 0;

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, KVM_MSIS_MAX);
	__type(key, struct kvm_msi_key);
	__type(value, struct kvm_msi_stats);
} msis SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, KVM_GSIS_MAX);
	__type(key, struct kvm_gsi_key);
	__type(value, struct kvm_gsi_stats);
} gsis SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, KVM_VCPUS_MAX);
	__type(key, struct kvm_vcpu_key);
	__type(value, __u64);
} vcpus SEC(".maps");

/* Injections in progress, by thread id. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, KVM_THREADS_MAX);
	__type(key, __u32);
	__type(value, struct kvm_inject);
} injecting SEC(".maps");

/* When an irqfd was first woken since its work item last ran (the deferred path's start). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, KVM_WAKEUPS_MAX);
	__type(key, __u64);
	__type(value, __u64);
} wakeups SEC(".maps");

/* Too large for the BPF stack: new GSI rows start from this. */
static const struct kvm_gsi_stats zero_gsi = {};
static const struct kvm_msi_stats zero_msi = { .gsi = KVM_GSI_NONE };

/* KVM's private structs, read by CO-RE from the kvm module's BTF (or the kernel's, where KVM is built
 * in); only the members read. */
struct kvm___nst {
	struct mm_struct *mm;
	pid_t userspace_pid;
} __attribute__((preserve_access_index));

struct kvm_kernel_irq_routing_entry___nst {
	__u32 type;
	struct {
		__u32 address_lo;
		__u32 address_hi;
		__u32 data;
	} msi;
} __attribute__((preserve_access_index));

struct kvm_kernel_irqfd___nst {
	struct kvm___nst *kvm;
	wait_queue_entry_t wait;
	struct kvm_kernel_irq_routing_entry___nst irq_entry;
	int gsi;
	struct work_struct inject;
} __attribute__((preserve_access_index));

/* KVM_IRQ_ROUTING_MSI (uapi linux/kvm.h). */
#define KVM_ROUTE_MSI 2
/* task_struct flags: a workqueue worker (PF_WQ_WORKER, include/linux/sched.h). */
#define TASK_WQ_WORKER 0x00000020
#define POLL_IN 0x1

#define KVM_TYPES() (bpf_core_type_exists(struct kvm_kernel_irqfd___nst) && bpf_core_type_exists(struct kvm___nst))

static __always_inline __u32 tid_now(void)
{
	return (__u32)bpf_get_current_pid_tgid();
}

/* The process that owns an address space (the memory cgroup's owner; kernels without one: the
 * current thread group, which shares it). */
static __always_inline __u32 mm_pid(struct mm_struct *mm)
{
	if (bpf_core_field_exists(mm->owner)) {
		struct task_struct *owner = BPF_CORE_READ(mm, owner);

		if (owner)
			return BPF_CORE_READ(owner, tgid);
	}
	return bpf_get_current_pid_tgid() >> 32;
}

/* A VM's process: the one that created it (KVM records its pid), else the owner of its memory. */
static __always_inline __u32 kvm_pid(struct kvm___nst *kvm)
{
	if (bpf_core_field_exists(kvm->userspace_pid)) {
		__u32 pid = BPF_CORE_READ(kvm, userspace_pid);

		if (pid)
			return pid;
	}
	struct mm_struct *mm = BPF_CORE_READ(kvm, mm);

	return mm ? mm_pid(mm) : 0;
}

/* With no irqfd hook, the VM of an injection in the signalling context is the process whose memory
 * that context uses: the VMM's own threads, vhost's workers (threads of the VMM since 6.4; before,
 * kthreads that borrow its memory). A work item borrows none: not known (0). */
static __always_inline __u32 context_pid(void)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	struct mm_struct *mm = BPF_CORE_READ(t, mm);

	return mm ? mm_pid(mm) : 0;
}

static __always_inline bool in_work_item(void)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();

	return BPF_CORE_READ(t, flags) & TASK_WQ_WORKER;
}

static __always_inline bool wanted(__u32 pid)
{
	return !targ_pid || pid == targ_pid;
}

static __always_inline struct kvm_gsi_stats *gsi_row(__u32 pid, __u32 gsi)
{
	struct kvm_gsi_key k = { .pid = pid, .gsi = gsi };

	return nst_lookup_or_init(&gsis, &k, &zero_gsi);
}

/* irqfd_wakeup: the irqfd's eventfd was signalled (vhost's call, a VFIO interrupt...). KVM now
 * injects its route in this context, or defers it to the irqfd's work item. */
static __always_inline int on_irqfd_wakeup(wait_queue_entry_t *wait, void *key)
{
	if (!KVM_TYPES())
		return 0;
	if (!((__u64)key & POLL_IN))
		return 0;
	struct kvm_kernel_irqfd___nst *irqfd = (void *)wait - bpf_core_field_offset(struct kvm_kernel_irqfd___nst, wait);
	__u32 pid = kvm_pid(BPF_CORE_READ(irqfd, kvm));

	if (!wanted(pid))
		return 0;
	__u64 now = bpf_ktime_get_ns();
	__u64 id = (__u64)irqfd;
	struct kvm_inject in = { .irqfd = id, .wakeup_ns = now, .pid = pid, .gsi = BPF_CORE_READ(irqfd, gsi) };
	struct kvm_gsi_stats *g = gsi_row(pid, in.gsi);

	if (g)
		__sync_fetch_and_add(&g->wakeups, 1);
	if (BPF_CORE_READ(irqfd, irq_entry.type) == KVM_ROUTE_MSI) {
		in.route = 1;
		in.address_lo = BPF_CORE_READ(irqfd, irq_entry.msi.address_lo);
		in.data = BPF_CORE_READ(irqfd, irq_entry.msi.data);
	}
	/* The work item coalesces the wakeups before it runs: its injection is timed from the first. */
	bpf_map_update_elem(&wakeups, &id, &now, BPF_NOEXIST);
	__u32 tid = tid_now();

	bpf_map_update_elem(&injecting, &tid, &in, BPF_ANY);
	return 0;
}

/* irqfd_inject: the irqfd's work item (a kworker) injects what the fast path could not. */
static __always_inline int on_irqfd_inject(struct work_struct *work)
{
	if (!KVM_TYPES())
		return 0;
	struct kvm_kernel_irqfd___nst *irqfd = (void *)work - bpf_core_field_offset(struct kvm_kernel_irqfd___nst, inject);
	__u32 pid = kvm_pid(BPF_CORE_READ(irqfd, kvm));

	if (!wanted(pid))
		return 0;
	__u64 id = (__u64)irqfd;
	struct kvm_inject in = { .irqfd = id, .pid = pid, .gsi = BPF_CORE_READ(irqfd, gsi), .deferred = 1 };
	__u64 *woken = bpf_map_lookup_elem(&wakeups, &id);

	if (woken) {
		in.wakeup_ns = *woken;
		bpf_map_delete_elem(&wakeups, &id);
	}
	if (BPF_CORE_READ(irqfd, irq_entry.type) == KVM_ROUTE_MSI) {
		in.route = 1;
		in.address_lo = BPF_CORE_READ(irqfd, irq_entry.msi.address_lo);
		in.data = BPF_CORE_READ(irqfd, irq_entry.msi.data);
	}
	__u32 tid = tid_now();

	bpf_map_update_elem(&injecting, &tid, &in, BPF_ANY);
	return 0;
}

/* kvm:kvm_set_irq: a GSI raised (level 1) or lowered. Raised: irqfd's work item, or the VMM's
 * KVM_IRQ_LINE; for an MSI route the MSI follows in this thread. */
static __always_inline int on_set_irq(__u32 gsi, int level)
{
	if (level != 1)
		return 0;
	__u32 tid = tid_now();
	struct kvm_inject *cur = bpf_map_lookup_elem(&injecting, &tid);
	struct kvm_inject in = {};
	__u32 pid;

	/* The work item the irqfd hook saw begin, for this GSI and not yet injected. */
	if (cur && cur->deferred && cur->gsi == gsi && !cur->msi_ns) {
		pid = cur->pid;
	} else {
		in.deferred = in_work_item();
		pid = in.deferred ? 0 : context_pid();
		if (!wanted(pid))
			return 0;
		in.pid = pid;
		in.gsi = gsi;
		bpf_map_update_elem(&injecting, &tid, &in, BPF_ANY);
	}
	struct kvm_gsi_stats *g = gsi_row(pid, gsi);

	if (g)
		__sync_fetch_and_add(&g->set_irq, 1);
	return 0;
}

/* kvm:kvm_msi_set_irq: an MSI injected (its address and data name the destination and vector). */
static __always_inline int on_msi(__u64 address, __u64 data)
{
	__u32 tid = tid_now();
	struct kvm_inject *cur = bpf_map_lookup_elem(&injecting, &tid);
	struct kvm_inject in = {};
	__u64 now = bpf_ktime_get_ns();

	/* The injection this thread began (its irqfd's route, when known, must be this MSI's). */
	if (cur && !cur->msi_ns && (!cur->route || (cur->address_lo == (__u32)address && cur->data == (__u32)data))) {
		in = *cur;
	} else {
		in.deferred = in_work_item();
		in.pid = in.deferred ? 0 : context_pid();
		in.gsi = KVM_GSI_NONE;
	}
	if (!wanted(in.pid))
		return 0;
	in.msi_ns = now;
	in.key.pid = in.pid;
	/* Destination: bits 12-19 of the address, and in KVM's x2APIC format the high 24 bits of the
	 * upper half; vector, delivery mode and destination mode as the MSI data and address say. */
	in.key.dest = ((address >> 12) & 0xff) | ((address >> 32) & 0xffffff00);
	in.key.vector = data & 0xff;
	in.key.mode = (data >> 8) & 0x7;
	in.key.logical = (address >> 2) & 0x1;
	struct kvm_msi_stats *s = nst_lookup_or_init(&msis, &in.key, &zero_msi);

	if (s) {
		if (in.gsi != KVM_GSI_NONE)
			s->gsi = in.gsi;
		if (in.deferred) {
			__sync_fetch_and_add(&s->deferred, 1);
		} else {
			__sync_fetch_and_add(&s->direct, 1);
			s->source_tid = tid;
			s->source_pid = bpf_get_current_pid_tgid() >> 32;
			bpf_get_current_comm(s->source_comm, sizeof(s->source_comm));
		}
	}
	bpf_map_update_elem(&injecting, &tid, &in, BPF_ANY);
	return 0;
}

/* kvm:kvm_apic_accept_irq: a vCPU's LAPIC accepted an interrupt. Counted when it follows an MSI this
 * thread injected (not the LAPIC's timer, IPIs, or the IOAPIC's lines). */
static __always_inline int on_accept(__u32 vcpu, __u32 vector)
{
	__u32 tid = tid_now();
	struct kvm_inject *in = bpf_map_lookup_elem(&injecting, &tid);
	__u64 now = bpf_ktime_get_ns();

	if (!in || !in->msi_ns || in->key.vector != vector || now - in->msi_ns > KVM_ACCEPT_WINDOW_NS)
		return 0;
	struct kvm_vcpu_key vk = { .pid = in->pid, .vcpu = vcpu, .vector = vector };

	nst_counter_add(&vcpus, &vk, 1);
	struct kvm_msi_stats *s = bpf_map_lookup_elem(&msis, &in->key);

	if (s)
		__sync_fetch_and_add(&s->accepted, 1);
	if (in->delivered)
		return 0;
	/* The injection's first accept: delivered. */
	in->delivered = 1;
	if (s && !in->deferred)
		__sync_fetch_and_add(&s->fast, 1);
	if (in->irqfd) {
		struct kvm_gsi_stats *g = gsi_row(in->pid, in->gsi);

		if (g) {
			__sync_fetch_and_add(&g->delivered, 1);
			if (in->wakeup_ns)
				nst_hist_add(&g->delay_ns, now - in->wakeup_ns);
		}
		/* Delivered in the signalling context: no work item to time. */
		if (!in->deferred)
			bpf_map_delete_elem(&wakeups, &in->irqfd);
	}
	/* A physical MSI to one APIC id reaches one LAPIC: its injection is over. */
	if (!in->key.logical && in->key.dest != 0xff)
		bpf_map_delete_elem(&injecting, &tid);
	return 0;
}

SEC("tp_btf/kvm_msi_set_irq")
int BPF_PROG(kvm_msi_set_irq_tp_btf, __u64 address, __u64 data) { return on_msi(address, data); }
SEC("raw_tp/kvm_msi_set_irq")
int BPF_PROG(kvm_msi_set_irq_raw_tp, __u64 address, __u64 data) { return on_msi(address, data); }
SEC("tracepoint/kvm/kvm_msi_set_irq")
int kvm_msi_set_irq_tp(struct trace_event_raw_kvm_msi_set_irq *args) { return on_msi(args->address, args->data); }

SEC("tp_btf/kvm_set_irq")
int BPF_PROG(kvm_set_irq_tp_btf, unsigned int gsi, int level, int irq_source_id) { return on_set_irq(gsi, level); }
SEC("raw_tp/kvm_set_irq")
int BPF_PROG(kvm_set_irq_raw_tp, unsigned int gsi, int level, int irq_source_id) { return on_set_irq(gsi, level); }
SEC("tracepoint/kvm/kvm_set_irq")
int kvm_set_irq_tp(struct trace_event_raw_kvm_set_irq *args) { return on_set_irq(args->gsi, args->level); }

SEC("tp_btf/kvm_apic_accept_irq")
int BPF_PROG(kvm_apic_accept_irq_tp_btf, __u32 apicid, __u16 dm, __u16 tm, __u8 vec) { return on_accept(apicid, vec); }
SEC("raw_tp/kvm_apic_accept_irq")
int BPF_PROG(kvm_apic_accept_irq_raw_tp, __u32 apicid, __u16 dm, __u16 tm, __u8 vec) { return on_accept(apicid, vec); }
SEC("tracepoint/kvm/kvm_apic_accept_irq")
int kvm_apic_accept_irq_tp(struct trace_event_raw_kvm_apic_accept_irq *args) { return on_accept(args->apicid, args->vec); }

SEC("fentry/irqfd_wakeup")
int BPF_PROG(irqfd_wakeup_fentry, wait_queue_entry_t *wait, unsigned int mode, int sync, void *key) { return on_irqfd_wakeup(wait, key); }
SEC("kprobe/irqfd_wakeup")
int BPF_KPROBE(irqfd_wakeup_kprobe, wait_queue_entry_t *wait, unsigned int mode, int sync, void *key) { return on_irqfd_wakeup(wait, key); }

SEC("fentry/irqfd_inject")
int BPF_PROG(irqfd_inject_fentry, struct work_struct *work) { return on_irqfd_inject(work); }
SEC("kprobe/irqfd_inject")
int BPF_KPROBE(irqfd_inject_kprobe, struct work_struct *work) { return on_irqfd_inject(work); }
