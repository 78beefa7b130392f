// SPDX-License-Identifier: GPL-2.0
/* Test object for libbpf-ts's BTF member layouts: one struct with every layout rule a decoder can
 * get wrong, kept in the object's BTF as a map value. Opened and read, never loaded. The offsets in
 * the comments are the C ABI's; the asserts make the compiler agree with them. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

enum layout_dir { LAYOUT_IN = 1, LAYOUT_OUT = 2 };

struct layout_inner {
	__u16 port;		/* 0, then 1 byte of padding after proto */
	__u8 proto;		/* 2 */
	__u32 addr[2];		/* 4 */
};				/* 12 bytes */

struct layout {
	__u8 tag;		/* 0, then 7 bytes of padding: bytes is 8-aligned */
	__u64 bytes;		/* 8 */
	struct layout_inner inner;	/* 16 */
	__u8 grid[2][4];	/* 28 */
	__u32 flags : 3;	/* bit 288 (byte 36) */
	__u32 level : 5;	/* bit 291 */
	__u32 mode : 12;	/* bit 296 (byte 37) */
	union {			/* anonymous, 40 (8-aligned) */
		__u64 cookie;	/* 40 */
		struct {
			__u32 lo;	/* 40 */
			__u32 hi;	/* 44 */
		};
	};
	__be16 sport;		/* 48 */
	__u8 kind;		/* 50 */
	__u16 code : 4;		/* bit 408 (byte 51): shares the __u16 unit at 50 with kind */
	enum layout_dir dir;	/* 52 */
};				/* 56 bytes: padded to 8 */

_Static_assert(sizeof(struct layout_inner) == 12, "layout_inner size");
_Static_assert(__builtin_offsetof(struct layout_inner, addr) == 4, "layout_inner.addr");
_Static_assert(sizeof(struct layout) == 56, "layout size");
_Static_assert(__builtin_offsetof(struct layout, bytes) == 8, "layout.bytes");
_Static_assert(__builtin_offsetof(struct layout, inner) == 16, "layout.inner");
_Static_assert(__builtin_offsetof(struct layout, grid) == 28, "layout.grid");
_Static_assert(__builtin_offsetof(struct layout, cookie) == 40, "layout.cookie");
_Static_assert(__builtin_offsetof(struct layout, hi) == 44, "layout.hi");
_Static_assert(__builtin_offsetof(struct layout, sport) == 48, "layout.sport");
_Static_assert(__builtin_offsetof(struct layout, kind) == 50, "layout.kind");
_Static_assert(__builtin_offsetof(struct layout, dir) == 52, "layout.dir");

/* A typed map value is what puts struct layout into the object's BTF (a local variable would not). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct layout);
} layouts SEC(".maps");
