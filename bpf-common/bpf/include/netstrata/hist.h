/* Log-linear histograms over the full u64 range (layout in hist_types.h). */
#ifndef NETSTRATA_HIST_H
#define NETSTRATA_HIST_H

#include "hist_types.h"

/* floor(log2(v)) for v > 0. Branch-free binary search: a fixed handful of instructions whatever
 * the value. */
static __always_inline __u32 nst_log2_floor(__u64 v)
{
	__u32 r, shift;

	shift = (v > 0xffffffffULL) << 5; v >>= shift; r = shift;
	shift = (v > 0xffff) << 4; v >>= shift; r |= shift;
	shift = (v > 0xff) << 3; v >>= shift; r |= shift;
	shift = (v > 0xf) << 2; v >>= shift; r |= shift;
	shift = (v > 0x3) << 1; v >>= shift; r |= shift;
	return r | (__u32)(v >> 1);
}

/* Slot of v (hist_types.h): v itself below NST_HIST_SUB, else the power of two and the top
 * NST_HIST_SUB_BITS bits under the leading one. Shifts and adds only. */
static __always_inline __u32 nst_hist_slot(__u64 v)
{
	__u32 shift;

	if (v < NST_HIST_SUB)
		return v;
	shift = nst_log2_floor(v) - NST_HIST_SUB_BITS;
	return (shift << NST_HIST_SUB_BITS) + (__u32)(v >> shift);
}

static __always_inline void nst_hist_add(struct nst_hist *h, __u64 v)
{
	__u64 slot = nst_hist_slot(v);

	/* One register for the check and the index: clang may otherwise check a 32-bit copy and
	 * index with the 64-bit original, which the verifier cannot bound. */
	barrier_var(slot);
	if (slot < NST_HIST_SLOTS)
		__sync_fetch_and_add(&h->slots[slot], 1);
}

#endif
