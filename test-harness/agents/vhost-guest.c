/* A guest's virtio-net driver in a process: it hands /dev/vhost-net an RX and a TX split virtqueue
 * in its own memory, with an existing TAP as the backend, so the host's real vhost-net path runs
 * (TAP ptr_ring -> handle_rx -> used ring -> call eventfd; kick -> handle_tx -> TAP receive) with
 * no VM. Its own counters are the truth the vhost and tun tools are checked against.
 *
 *   vhost-guest TAP [--queue-size N] [--rx-buffers N] [--event-idx] [--no-interrupt]
 *                   [--refill-delay-ms MS]
 *
 * The TAP must exist (ip tuntap add ... mode tap vnet_hdr); the agent attaches to it. Once set up it
 * prints one JSON line {"ready":true,...}, then reads commands on standard input, one per line:
 *   tx N HEX     send N copies of the Ethernet frame HEX (the vnet header is added), kick once per frame
 *   txbatch N HEX  the same, with one kick after the last frame (N of the ring's size fill it first)
 *   refill on|off  whether used RX buffers are posted again (off: the guest stops taking packets,
 *                the TAP's ring fills, and the TAP drops with FULL_RING)
 *   stats        print the counters as one JSON line
 *   quit         print the counters and exit
 * Counters: kicks written per queue; buffers posted; used entries reaped; call signals received
 * (the sum of the call eventfd's counter: one per eventfd_signal by vhost). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/vhost.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define RX 0
#define TX 1
#define BUF_BYTES 2048
#define HDR_BYTES ((int)sizeof(struct virtio_net_hdr_v1))
#define ARENA_ALIGN 4096

struct queue {
	struct vring vr;
	unsigned int num;
	uint16_t avail_idx;       /* next avail->idx to publish */
	uint16_t last_used;       /* used entries reaped so far (mod 2^16) */
	int kick, call;
	char *bufs;               /* num buffers of BUF_BYTES, buffer i for descriptor i */
	uint16_t free_head[1024]; /* descriptors not posted (a stack) */
	unsigned int nfree;
	unsigned long long kicks, posted, used, signals, bytes;
};

static struct queue q[2];
static int vhost = -1, refill = 1, refill_delay_ms, event_idx;

static void die(const char *step)
{
	fprintf(stderr, "vhost-guest: %s: %s\n", step, strerror(errno));
	exit(1);
}

static void xioctl(int fd, unsigned long req, void *arg, const char *step)
{
	if (ioctl(fd, req, arg) < 0)
		die(step);
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Publish descriptor head on the avail ring (the index store is a release: vhost reads the entry
 * only after it sees the index). */
static void post(struct queue *vq, uint16_t head, uint32_t len, int device_writes)
{
	struct vring_desc *d = &vq->vr.desc[head];

	d->addr = (uint64_t)(uintptr_t)(vq->bufs + (size_t)head * BUF_BYTES);
	d->len = len;
	d->flags = device_writes ? VRING_DESC_F_WRITE : 0;
	d->next = 0;
	vq->vr.avail->ring[vq->avail_idx % vq->num] = head;
	__atomic_store_n(&vq->vr.avail->idx, ++vq->avail_idx, __ATOMIC_RELEASE);
	vq->posted++;
}

static void kick(struct queue *vq)
{
	uint64_t one = 1;

	if (write(vq->kick, &one, sizeof(one)) != sizeof(one))
		die("kick");
	vq->kicks++;
}

static void post_rx_buffers(void)
{
	struct queue *vq = &q[RX];
	int any = 0;

	while (refill && vq->nfree) {
		post(vq, vq->free_head[--vq->nfree], BUF_BYTES, 1);
		any = 1;
	}
	if (any)
		kick(vq);
}

/* Take what vhost has used; with EVENT_IDX, ask for a signal at the next entry. */
static unsigned int reap(struct queue *vq)
{
	unsigned int n = 0;
	uint16_t used_idx = __atomic_load_n(&vq->vr.used->idx, __ATOMIC_ACQUIRE);

	while (vq->last_used != used_idx) {
		struct vring_used_elem *e = &vq->vr.used->ring[vq->last_used % vq->num];

		vq->bytes += e->len;
		vq->free_head[vq->nfree++] = (uint16_t)e->id;
		vq->last_used++;
		vq->used++;
		n++;
	}
	if (event_idx)
		__atomic_store_n(&vring_used_event(&vq->vr), vq->last_used, __ATOMIC_RELEASE);
	return n;
}

static void drain_call(struct queue *vq)
{
	uint64_t v;

	if (read(vq->call, &v, sizeof(v)) == sizeof(v))
		vq->signals += v;
}

static void print_stats(const char *extra)
{
	printf("{%s\"rx\":{\"kicks\":%llu,\"posted\":%llu,\"used\":%llu,\"signals\":%llu,\"bytes\":%llu,\"ring_free\":%u},"
	       "\"tx\":{\"kicks\":%llu,\"posted\":%llu,\"used\":%llu,\"signals\":%llu},\"refill\":%s}\n",
	       extra, q[RX].kicks, q[RX].posted, q[RX].used, q[RX].signals, q[RX].bytes, q[RX].nfree,
	       q[TX].kicks, q[TX].posted, q[TX].used, q[TX].signals, refill ? "true" : "false");
	fflush(stdout);
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* tx N HEX: each frame goes in one descriptor after a zeroed vnet header (no offloads). */
/* count frames on the TX ring, with a kick after each, or (batch) one kick after the last: a batch
 * of the ring's size fills it before vhost looks. */
static void send_frames(unsigned long count, const char *hex, int batch)
{
	struct queue *vq = &q[TX];
	size_t n = strlen(hex) / 2;

	if (n == 0 || n > BUF_BYTES - HDR_BYTES) {
		fprintf(stderr, "vhost-guest: tx: frame of %zu bytes (1 to %d)\n", n, BUF_BYTES - HDR_BYTES);
		exit(2);
	}
	for (unsigned long i = 0; i < count; i++) {
		while (!vq->nfree) {
			struct pollfd p = { .fd = vq->call, .events = POLLIN };

			reap(vq);
			if (vq->nfree)
				break;
			poll(&p, 1, 100);
			drain_call(vq);
		}
		uint16_t head = vq->free_head[--vq->nfree];
		unsigned char *b = (unsigned char *)vq->bufs + (size_t)head * BUF_BYTES;

		memset(b, 0, HDR_BYTES);
		for (size_t j = 0; j < n; j++)
			b[HDR_BYTES + j] = (unsigned char)(hexval(hex[2 * j]) << 4 | hexval(hex[2 * j + 1]));
		post(vq, head, HDR_BYTES + n, 0);
		if (!batch || i + 1 == count)
			kick(vq);
	}
}

static void setup_queue(int idx, unsigned int num, char **arena)
{
	struct queue *vq = &q[idx];
	size_t ring = vring_size(num, ARENA_ALIGN);
	struct vhost_vring_state state = { .index = idx, .num = num };
	struct vhost_vring_file file = { .index = idx };
	struct vhost_vring_addr addr = { .index = idx };

	vq->num = num;
	vring_init(&vq->vr, num, *arena, ARENA_ALIGN);
	*arena += (ring + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	vq->bufs = *arena;
	*arena += (size_t)num * BUF_BYTES;
	for (unsigned int i = 0; i < num; i++)
		vq->free_head[vq->nfree++] = (uint16_t)(num - 1 - i);
	vq->kick = eventfd(0, EFD_NONBLOCK);
	vq->call = eventfd(0, EFD_NONBLOCK);
	if (vq->kick < 0 || vq->call < 0)
		die("eventfd");
	file.fd = vq->call;
	xioctl(vhost, VHOST_SET_VRING_CALL, &file, "VHOST_SET_VRING_CALL");
	xioctl(vhost, VHOST_SET_VRING_NUM, &state, "VHOST_SET_VRING_NUM");
	state.num = 0;
	xioctl(vhost, VHOST_SET_VRING_BASE, &state, "VHOST_SET_VRING_BASE");
	addr.desc_user_addr = (uint64_t)(uintptr_t)vq->vr.desc;
	addr.avail_user_addr = (uint64_t)(uintptr_t)vq->vr.avail;
	addr.used_user_addr = (uint64_t)(uintptr_t)vq->vr.used;
	xioctl(vhost, VHOST_SET_VRING_ADDR, &addr, "VHOST_SET_VRING_ADDR");
	file.fd = vq->kick;
	xioctl(vhost, VHOST_SET_VRING_KICK, &file, "VHOST_SET_VRING_KICK");
}

int main(int argc, char **argv)
{
	unsigned int num = 256, rx_buffers = 0;
	int no_interrupt = 0;
	const char *tap = NULL;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--queue-size") && i + 1 < argc)
			num = (unsigned int)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(a, "--rx-buffers") && i + 1 < argc)
			rx_buffers = (unsigned int)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(a, "--refill-delay-ms") && i + 1 < argc)
			refill_delay_ms = atoi(argv[++i]);
		else if (!strcmp(a, "--event-idx"))
			event_idx = 1;
		else if (!strcmp(a, "--no-interrupt"))
			no_interrupt = 1;
		else if (a[0] != '-' && !tap)
			tap = a;
		else {
			fprintf(stderr, "vhost-guest: %s: unknown option (usage: vhost-guest TAP [--queue-size N] [--rx-buffers N] [--event-idx] [--no-interrupt] [--refill-delay-ms MS])\n", a);
			return 2;
		}
	}
	if (!tap || strlen(tap) >= IFNAMSIZ) {
		fprintf(stderr, "vhost-guest: TAP: a device name is required\n");
		return 2;
	}
	if (num < 2 || num > 1024 || (num & (num - 1))) {
		fprintf(stderr, "vhost-guest: --queue-size: %u is not a power of two from 2 to 1024\n", num);
		return 2;
	}
	if (!rx_buffers || rx_buffers > num)
		rx_buffers = num;

	/* The TAP, with the 12-byte virtio_net_hdr_v1 in front of every frame (vhost leaves it to the TAP). */
	int tapfd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR };
	int hdr = HDR_BYTES;

	if (tapfd < 0)
		die("open /dev/net/tun");
	strncpy(ifr.ifr_name, tap, IFNAMSIZ - 1);
	xioctl(tapfd, TUNSETIFF, &ifr, "TUNSETIFF");
	xioctl(tapfd, TUNSETVNETHDRSZ, &hdr, "TUNSETVNETHDRSZ");
	xioctl(tapfd, TUNSETOFFLOAD, (void *)0, "TUNSETOFFLOAD");

	vhost = open("/dev/vhost-net", O_RDWR | O_CLOEXEC);
	if (vhost < 0)
		die("open /dev/vhost-net");
	xioctl(vhost, VHOST_SET_OWNER, NULL, "VHOST_SET_OWNER");
	uint64_t features = 0;

	xioctl(vhost, VHOST_GET_FEATURES, &features, "VHOST_GET_FEATURES");
	uint64_t want = 1ULL << VIRTIO_F_VERSION_1 | (event_idx ? 1ULL << VIRTIO_RING_F_EVENT_IDX : 0);

	if ((features & want) != want) {
		fprintf(stderr, "vhost-guest: VHOST_GET_FEATURES: %#llx lacks %#llx\n", (unsigned long long)features, (unsigned long long)want);
		return 1;
	}
	xioctl(vhost, VHOST_SET_FEATURES, &want, "VHOST_SET_FEATURES");

	/* One memory region, identity-mapped: "guest physical" addresses are this process's own. */
	size_t bytes = 2 * (vring_size(num, ARENA_ALIGN) + ARENA_ALIGN + (size_t)num * BUF_BYTES);
	char *arena = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

	if (arena == MAP_FAILED)
		die("mmap");
	struct vhost_memory *mem = calloc(1, sizeof(*mem) + sizeof(struct vhost_memory_region));

	mem->nregions = 1;
	mem->regions[0].guest_phys_addr = (uint64_t)(uintptr_t)arena;
	mem->regions[0].userspace_addr = (uint64_t)(uintptr_t)arena;
	mem->regions[0].memory_size = bytes;
	xioctl(vhost, VHOST_SET_MEM_TABLE, mem, "VHOST_SET_MEM_TABLE");

	char *cursor = arena;

	setup_queue(RX, num, &cursor);
	setup_queue(TX, num, &cursor);
	if (no_interrupt)
		q[RX].vr.avail->flags = VRING_AVAIL_F_NO_INTERRUPT;
	for (int idx = RX; idx <= TX; idx++) {
		struct vhost_vring_file backend = { .index = idx, .fd = tapfd };

		xioctl(vhost, VHOST_NET_SET_BACKEND, &backend, "VHOST_NET_SET_BACKEND");
	}
	/* Only rx_buffers of the ring's descriptors are ever posted. */
	q[RX].nfree = rx_buffers;
	for (unsigned int i = 0; i < rx_buffers; i++)
		q[RX].free_head[i] = (uint16_t)(rx_buffers - 1 - i);
	post_rx_buffers();

	char ready[160];

	snprintf(ready, sizeof(ready), "\"ready\":true,\"pid\":%d,\"queue_size\":%u,\"rx_buffers\":%u,\"event_idx\":%s,", getpid(), num, rx_buffers,
		 event_idx ? "true" : "false");
	print_stats(ready);

	char line[2 * BUF_BYTES + 64];
	size_t fill = 0;

	for (;;) {
		struct pollfd p[3] = {
			{ .fd = q[RX].call, .events = POLLIN },
			{ .fd = q[TX].call, .events = POLLIN },
			{ .fd = 0, .events = POLLIN },
		};

		/* With signals suppressed, nothing wakes the agent for RX: look at the ring anyway. */
		if (poll(p, 3, no_interrupt ? 10 : 1000) < 0 && errno != EINTR)
			die("poll");
		drain_call(&q[RX]);
		drain_call(&q[TX]);
		if (reap(&q[RX]) && refill) {
			if (refill_delay_ms)
				sleep_ms(refill_delay_ms);
			post_rx_buffers();
		}
		reap(&q[TX]);
		if (!(p[2].revents & (POLLIN | POLLHUP)))
			continue;
		ssize_t r = read(0, line + fill, sizeof(line) - 1 - fill);

		if (r <= 0)
			break;
		fill += (size_t)r;
		line[fill] = 0;
		char *nl;

		while ((nl = strchr(line, '\n'))) {
			unsigned long count;
			char hex[2 * BUF_BYTES + 1];

			*nl = 0;
			if (sscanf(line, "tx %lu %4096s", &count, hex) == 2) {
				send_frames(count, hex, 0);
				print_stats("\"sent\":true,");
			} else if (sscanf(line, "txbatch %lu %4096s", &count, hex) == 2) {
				send_frames(count, hex, 1);
				print_stats("\"sent\":true,");
			} else if (!strcmp(line, "refill on")) {
				refill = 1;
				reap(&q[RX]);
				post_rx_buffers();
				print_stats("");
			} else if (!strcmp(line, "refill off")) {
				refill = 0;
				print_stats("");
			} else if (!strcmp(line, "stats")) {
				reap(&q[RX]);
				reap(&q[TX]);
				drain_call(&q[RX]);
				drain_call(&q[TX]);
				print_stats("");
			} else if (!strcmp(line, "quit")) {
				reap(&q[RX]);
				reap(&q[TX]);
				drain_call(&q[RX]);
				drain_call(&q[TX]);
				print_stats("\"quit\":true,");
				return 0;
			} else if (line[0]) {
				fprintf(stderr, "vhost-guest: %s: unknown command\n", line);
				return 2;
			}
			fill -= (size_t)(nl + 1 - line);
			memmove(line, nl + 1, fill + 1);
		}
	}
	print_stats("\"eof\":true,");
	return 0;
}
