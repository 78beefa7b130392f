/* Log-linear histogram over the full u64 range, shared by C and TypeScript
 * (bpf-common/src/histogram/loglinear.ts).
 *
 * Values 0..15 have a slot each (slot = value). Above, each power of two [2^e, 2^(e+1)), e = 4..63,
 * is cut into NST_HIST_SUB equal sub-buckets of width 2^(e-3):
 *
 *   slot(v) = v                                  for v < 8 (and, by the same formula, v < 16)
 *   slot(v) = (e - 3) * 8 + (v >> (e - 3))       for v >= 8, e = floor(log2(v))
 *
 * so slot 16 + 8 * (e - 4) + i holds [(8 + i) << (e - 3), (9 + i) << (e - 3)). A bucket is never
 * wider than 1/8 of its start: a value read back as its bucket is known within 12.5 %. The top slot
 * (495) ends at 2^64; nothing overflows. */
#ifndef NETSTRATA_HIST_TYPES_H
#define NETSTRATA_HIST_TYPES_H

#include "netstrata/btf.h"

#define NST_HIST_SUB_BITS 3
#define NST_HIST_SUB (1 << NST_HIST_SUB_BITS)
#define NST_HIST_SLOTS ((64 - NST_HIST_SUB_BITS + 1) * NST_HIST_SUB) /* 496 */

struct nst_hist {
	__u64 slots[NST_HIST_SLOTS];
};

_Static_assert(NST_HIST_SLOTS == 496, "NST_HIST_SLOTS is mirrored in bpf-common/src/histogram");
_Static_assert(sizeof(struct nst_hist) == 496 * 8, "struct nst_hist layout is mirrored in bpf-common/src/histogram");
NST_BTF_STRUCT(nst_hist);

#endif
