/* Log2 histogram over the full u64 range, shared by C and TypeScript.
 * Slot 0 holds the value 0; slot k (1..64) holds values v with 2^(k-1) <= v < 2^k. */
#ifndef NETSTRATA_HIST_TYPES_H
#define NETSTRATA_HIST_TYPES_H

#include "netstrata/btf.h"

#define NST_HIST_SLOTS 65

struct nst_hist {
	__u64 slots[NST_HIST_SLOTS];
};

_Static_assert(sizeof(struct nst_hist) == 65 * 8, "struct nst_hist layout is mirrored in bpf-common/src/histogram");
NST_BTF_STRUCT(nst_hist);

#endif
