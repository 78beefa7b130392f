/* Every loss is counted: a per-CPU array the user side sums and prints as lost / map_full /
 * stack_failed / evicted. Silent loss would make a tool lie.
 *
 * Aggregation tables that must run for days are LRU hashes: a full table makes room instead of
 * refusing new keys, and the user side removes rows it has reported and that went idle. A row the
 * kernel evicts takes its counts since the last read with it, so every row these helpers create is
 * counted (NST_ROWS_CREATED, not a loss by itself) and the user side derives the rows evicted:
 * created - removed by the user side - present (bpf-common/src/tool/rows.ts). */
#ifndef NETSTRATA_LOSS_H
#define NETSTRATA_LOSS_H

#include "netstrata/btf.h"

enum nst_loss {
	NST_LOST_EVENTS = 0,   /* ring buffer reserve failed: an event was not delivered */
	NST_MAP_FULL = 1,      /* an aggregation map had no room for a new key */
	NST_STACK_FAILED = 2,  /* a stack could not be captured or stored */
	NST_EVICTED = 3,       /* a session was evicted before it completed */
	NST_ROWS_CREATED = 4,  /* rows created in aggregation tables: evicted rows are derived from it */
	NST_LOSS_KINDS = 5,
};
/* The user side reads the counters by these indices (bpf-common/src/tool/losses.ts, checked). */
NST_BTF_ENUM(nst_loss);

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NST_LOSS_KINDS);
	__type(key, __u32);
	__type(value, __u64);
} lost SEC(".maps");

static __always_inline void nst_count_loss(enum nst_loss kind)
{
	__u32 key = kind;
	__u64 *v = bpf_map_lookup_elem(&lost, &key);

	if (v)
		*v += 1;
}

/* A row was created in an aggregation table (an insert with BPF_NOEXIST succeeded). */
static __always_inline void nst_row_created(void)
{
	nst_count_loss(NST_ROWS_CREATED);
}

/* Reserve an event in a ring buffer, counting a failure as a lost event. */
#define nst_event_reserve(ring, size)                              \
	({                                                         \
		void *__e = bpf_ringbuf_reserve(ring, size, 0);    \
		if (!__e)                                          \
			nst_count_loss(NST_LOST_EVENTS);           \
		__e;                                               \
	})

/* The current kernel stack into buf; a failure is counted as stack_failed. Returns the bytes
 * written or a negative error, as bpf_get_stack does. */
static __always_inline long nst_stack_get(void *ctx, void *buf, __u32 size)
{
	long n = bpf_get_stack(ctx, buf, size, 0);

	if (n < 0)
		nst_count_loss(NST_STACK_FAILED);
	return n;
}

/* The value of `key` in a hash map (or LRU hash), created from `init` when new (another CPU creating it at the
 * same moment is fine); a full map is counted, and NULL returned. A value too large for the 512-byte
 * BPF stack is created from `zero`, the program's one `static const` zeroed value in .rodata (a
 * union when it needs more than one type), as bcc keeps `static struct hist zero`. */
static __always_inline void *nst_lookup_or_init(void *map, const void *key, const void *init)
{
	void *v = bpf_map_lookup_elem(map, key);

	if (v)
		return v;
	long err = bpf_map_update_elem(map, key, init, BPF_NOEXIST);

	if (!err)
		nst_row_created();
	v = bpf_map_lookup_elem(map, key);
	if (!v && err)
		nst_count_loss(NST_MAP_FULL);
	return v;
}

/* Add to a counter keyed in a map, creating it when new; a full map is counted, not hidden. `row`:
 * count the row as created (an LRU table whose evictions the user side derives from it). */
static __always_inline void nst_counter_bump(void *map, const void *key, __u64 n, bool row)
{
	__u64 *v = bpf_map_lookup_elem(map, key);

	if (v) {
		__sync_fetch_and_add(v, n);
		return;
	}
	__u64 init = n;
	long err = bpf_map_update_elem(map, key, &init, BPF_NOEXIST);

	if (!err) {
		if (row)
			nst_row_created();
	} else if (err == -17 /* EEXIST: another CPU created it first */) {
		v = bpf_map_lookup_elem(map, key);
		if (v)
			__sync_fetch_and_add(v, n);
	} else {
		nst_count_loss(NST_MAP_FULL);
	}
}

/* A counter in an LRU table: its rows are counted as created. */
static __always_inline void nst_counter_add(void *map, const void *key, __u64 n)
{
	nst_counter_bump(map, key, n, true);
}

/* One more in a counter of a plain hash table (a full one refuses: counted map_full), its rows not
 * counted as created (another table of the object is the LRU whose evictions are derived). */
static __always_inline void nst_hash_count_one(void *map, const void *key)
{
	nst_counter_bump(map, key, 1, false);
}

#endif
