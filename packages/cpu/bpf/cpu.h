/* Records and filters shared by the cpu programs and their decoders (src/layout.ts). */
#ifndef CPU_H
#define CPU_H

#include "netstrata/btf.h"
#include "netstrata/hist_types.h"

/* --cpu: a bitmap of up to 1024 CPUs; all CPUs when targ_cpu_filter is false. */
#define CPU_MASK_WORDS 16
#define CPU_MAX (CPU_MASK_WORDS * 64)

const volatile bool targ_cpu_filter = false;
const volatile __u64 targ_cpus[CPU_MASK_WORDS] = {};

static __always_inline bool cpu_pass(__u32 cpu)
{
	if (!targ_cpu_filter)
		return true;
	if (cpu >= CPU_MAX)
		return false;
	__u32 word = cpu / 64;

	/* Bounded again where older verifiers (6.1) can see it: they lose the check above on the copy
	 * the division works on. The barrier keeps the compiler from dropping the mask as redundant. */
	barrier_var(word);
	return (targ_cpus[word & (CPU_MASK_WORDS - 1)] >> (cpu % 64)) & 1;
}

/* softirq_latency_summary: histogram index vec * SQ_KINDS + kind, per CPU. */
#define SQ_VECS 16
#define SQ_LATENCY 0   /* softirq_raise -> softirq_entry */
#define SQ_RUNTIME 1   /* softirq_entry -> softirq_exit */
#define SQ_KINDS 2

/* sched_latency_summary */
#define SCHED_THREADS_MAX 8192
#define SCHED_COMM_LEN 16

struct sched_key {
	__u32 pid;                     /* thread group id */
	__u32 tid;
	__u32 cpu;                     /* where it ran after the wait */
	__u32 _pad;
};

struct sched_val {
	char  comm[SCHED_COMM_LEN];
	__u64 wakeups;                 /* waits that began at a wakeup */
	__u64 preempted;               /* waits that began when the thread was preempted while runnable */
	struct nst_hist hist;          /* histogram of the wait, ns */
};

/* offcpu_summary */
#define OFFCPU_ROWS_MAX 16384
#define OFFCPU_STACKS_MAX 16384
#define OFFCPU_STACK_DEPTH 64

/* What a thread was doing when it left the CPU, as /proc shows it (one bit each for --state). */
#define STATE_R 0  /* preempted while runnable */
#define STATE_S 1  /* interruptible sleep */
#define STATE_D 2  /* uninterruptible sleep */
#define STATE_I 3  /* idle kernel thread (uninterruptible, not counted in load) */
#define STATE_T 4  /* stopped or traced */
#define STATE_P 5  /* parked */
#define STATE_OTHER 6

struct offcpu_key {
	__u32 pid;
	__u32 tid;
	__s32 kstack;                  /* stack map id, or a negative error */
	__s32 ustack;                  /* stack map id, a negative error, or -1 for kernel threads */
	__u32 state;                   /* STATE_* */
	__u32 _pad;
	char  comm[SCHED_COMM_LEN];
};

struct offcpu_val {
	__u64 total_ns;
	__u64 count;
};

/* A thread off CPU, by tid, until it comes back: the user side reads its stack ids to keep them. */
struct offcpu_start {
	__u64 ts;
	__s32 kstack;
	__s32 ustack;
	__u32 state;
	__u32 tgid;
	char  comm[SCHED_COMM_LEN];
};

/* lock_wait_summary */
#define LOCK_ROWS_MAX 4096      /* rows of one process, removed within seconds once idle */
#define LOCK_PENDING_MAX 16384  /* calls in progress: two per thread at most */
#define LOCK_MUTEX 0          /* pthread_mutex_lock */
#define LOCK_RWLOCK_WR 1      /* pthread_rwlock_wrlock */
#define LOCK_RWLOCK_RD 2      /* pthread_rwlock_rdlock */
#define LOCK_FUTEX 3          /* futex(2) wait on the address */
#define LOCK_KINDS 4
/* A futex wait on an address this far from a pthread lock's is a wait on that lock: glibc's
 * pthread_mutex_t (40 bytes) and pthread_rwlock_t (56) keep every futex word they wait on inside. */
#define LOCK_OBJECT_MAX 64

struct lock_key {
	__u32 pid;
	__u32 tid;
	__u64 lock;                    /* the lock's (or futex word's) address in the process */
	__u32 kind;                    /* LOCK_* */
	__s32 ustack;                  /* --stack: stack map id + 1, a negative error, or 0 without */
	__u64 caller;                  /* --stack: the return address into the lock function's caller */
};

struct lock_val {
	__u64 count;                   /* waits: calls that blocked (futex kind: every kernel wait) */
	__u64 total_ns;                /* of the waits */
	__u64 max_ns;                  /* of the waits */
	__u64 uncontended;             /* pthread calls that took the lock without blocking */
	struct nst_hist hist;          /* histogram of the waits, ns */
};

_Static_assert(sizeof(struct lock_key) == 32, "lock_key size is mirrored in src/layout.ts");
_Static_assert(sizeof(struct lock_val) == 32 + NST_HIST_SLOTS * 8, "lock_val size is mirrored in src/layout.ts");
_Static_assert(sizeof(struct offcpu_key) == 40, "offcpu_key size is mirrored in src/layout.ts");
_Static_assert(sizeof(struct offcpu_start) == 40, "offcpu_start size is mirrored in src/layout.ts");
_Static_assert(sizeof(struct sched_key) == 16, "sched_key size is mirrored in src/layout.ts");
_Static_assert(sizeof(struct sched_val) == 16 + 16 + NST_HIST_SLOTS * 8, "sched_val size is mirrored in src/layout.ts");
NST_BTF_STRUCT(sched_key);
NST_BTF_STRUCT(sched_val);
NST_BTF_STRUCT(offcpu_key);
NST_BTF_STRUCT(offcpu_val);
NST_BTF_STRUCT(offcpu_start);
NST_BTF_STRUCT(lock_key);
NST_BTF_STRUCT(lock_val);

#endif
