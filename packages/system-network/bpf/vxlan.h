/* Records shared by vxlan_summary.bpf.c and its TypeScript decoders (src/vxlan/layout.ts). */
#ifndef VXLAN_H
#define VXLAN_H

#include "netstrata/btf.h"

/* Drop rows: device x VNI x peer x reason x location (a hash of 8-byte counters; idle rows are
 * removed by the user side). */
#define VXLAN_DROPS_MAX 4096
/* UDP ports VXLAN devices listen on, by namespace (filled by the user side from the devices). */
#define VXLAN_PORTS_MAX 256
/* Drop reasons that only VXLAN gives (the kernel's VXLAN_* names, resolved at run time). */
#define VXLAN_REASONS_MAX 4
/* The VNI of a drop that carries none the program can read (the user side gives the device's). */
#define VXLAN_VNI_UNKNOWN 0xffffffffU

/* Which way the packet was going. */
#define VXLAN_DIR_RX 1   /* arrived, dropped before or while it was decapsulated */
#define VXLAN_DIR_TX 2   /* on its way into the tunnel, or out of the host once encapsulated */

/* Where the skb was when it was dropped. */
#define VXLAN_ON_DEVICE 1    /* on the VXLAN device: inner frame (tx) or outer packet being decapsulated (rx) */
#define VXLAN_ON_UNDERLAY 2  /* on another device, as an outer UDP packet to a VXLAN port */

struct vxlan_drop_key {
	__u64 location;      /* the kernel's drop location (skb:kfree_skb) */
	__u8  peer[16];      /* the remote VTEP: outer source (rx), outer destination (tx); zero when unknown */
	__u32 netns;         /* namespace inode of the skb's device */
	__u32 ifindex;       /* the skb's device */
	__u32 vni;           /* VXLAN_VNI_UNKNOWN when no header or tunnel metadata says */
	__u32 reason;        /* enum skb_drop_reason */
	__u16 port;          /* outer UDP destination port (0: no outer header) */
	__u8  dir;           /* VXLAN_DIR_* */
	__u8  where;         /* VXLAN_ON_* */
	__u8  family;        /* of peer: NST_AF_INET, NST_AF_INET6, or 0 */
	__u8  _pad[3];
};

struct vxlan_port_key {
	__u32 netns;         /* 0: any namespace */
	__u16 port;          /* host order */
	__u16 _pad;
};

_Static_assert(sizeof(struct vxlan_drop_key) == 48, "vxlan_drop_key size is mirrored in src/vxlan/layout.ts");
_Static_assert(sizeof(struct vxlan_port_key) == 8, "vxlan_port_key size is mirrored in src/vxlan/layout.ts");
NST_BTF_STRUCT(vxlan_drop_key);
NST_BTF_STRUCT(vxlan_port_key);

#endif
