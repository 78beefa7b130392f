/* Log2 histograms over the full u64 range (layout in hist_types.h). */
#ifndef NETSTRATA_HIST_H
#define NETSTRATA_HIST_H

#include "hist_types.h"

/* Slot of v: 0 for 0, else floor(log2(v)) + 1, so slot k covers [2^(k-1), 2^k). Branch-free
 * binary search keeps it to a fixed handful of instructions whatever the value. */
static __always_inline __u32 nst_log2_slot(__u64 v)
{
	__u32 r = 0, shift;

	if (!v)
		return 0;
	shift = (v > 0xffffffffULL) << 5; v >>= shift; r = shift;
	shift = (v > 0xffff) << 4; v >>= shift; r |= shift;
	shift = (v > 0xff) << 3; v >>= shift; r |= shift;
	shift = (v > 0xf) << 2; v >>= shift; r |= shift;
	shift = (v > 0x3) << 1; v >>= shift; r |= shift;
	r |= (v >> 1);
	return r + 1;
}

static __always_inline void nst_hist_add(struct nst_hist *h, __u64 v)
{
	__u64 slot = nst_log2_slot(v);

	/* One register for the check and the index: clang may otherwise check a 32-bit copy and
	 * index with the 64-bit original, which the verifier cannot bound. */
	barrier_var(slot);
	if (slot < NST_HIST_SLOTS)
		__sync_fetch_and_add(&h->slots[slot], 1);
}

#endif
