/* Records shared by the system-network BPF programs and their decoders (src/layout.ts). */
#ifndef SYSTEM_NETWORK_H
#define SYSTEM_NETWORK_H

/* Devices tracked; a host with more devices than this counts the rest as map_full. */
#define DEVS_MAX 4096
#define DEV_NAME_LEN 16

struct dev_key {
	__u32 ifindex;
	__u32 netns;
};

/* Per CPU; the user side sums the CPUs. Bytes count the frame as the device does (link-layer
 * header included), so they compare with the device's own statistics. */
struct dev_stats {
	__u64 rx_packets;
	__u64 rx_bytes;
	__u64 tx_packets;
	__u64 tx_bytes;
	__u64 tx_errors;   /* the driver refused the packet (net_dev_xmit rc != NETDEV_TX_OK) */
	char  name[DEV_NAME_LEN];
};

_Static_assert(sizeof(struct dev_key) == 8, "dev_key size is mirrored in src/layout.ts");
_Static_assert(sizeof(struct dev_stats) == 56, "dev_stats size is mirrored in src/layout.ts");

#endif
