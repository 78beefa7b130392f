/*
 * kvm-irqfd: a VM with an in-kernel irqchip and no guest code, whose one GSI is routed to an MSI
 * and fed by an irqfd; the agent writes the irqfd's eventfd N times, as vhost's worker would to
 * signal the guest, and prints what it did as one JSON line. Truth for kvm_irqfd_summary.
 *
 *   kvm-irqfd [--gsi G] [--dest D] [--vector V] [--writes N] [--gap-us U] [--vcpu] [--go-on-stdin]
 *
 * With --go-on-stdin the VM is set up, a line {"ready":true,"pid":P} printed, and the writes begin
 * when a line comes on stdin (so a tool can be started for this pid in between); after its report
 * the agent keeps the VM until stdin closes.
 *
 * With --vcpu the VM has vCPU 0 (never run) with its LAPIC switched on, and after each write the
 * agent waits until the vector shows in the LAPIC's IRR (read with KVM_GET_LAPIC), then clears it:
 * "delivered" counts the interrupts that reached the vCPU, one write at a time (no write while the
 * previous one is still in flight, so none coalesce). Without a vCPU nothing can take the
 * interrupt, and the writes are only spaced by --gap-us.
 *
 * Written from the KVM API documentation (Documentation/virt/kvm/api.rst): KVM_CREATE_VM,
 * KVM_CREATE_IRQCHIP, KVM_CREATE_VCPU, KVM_GET_LAPIC / KVM_SET_LAPIC, KVM_SET_GSI_ROUTING, KVM_IRQFD.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

/* LAPIC registers (offsets in the 1 KiB page KVM_GET_LAPIC returns). */
#define APIC_SPIV 0xf0
#define APIC_SPIV_ENABLE 0x100
#define APIC_IRR 0x200
/* The MSI address window, and where its destination APIC id sits (Intel SDM vol. 3, 11.11). */
#define MSI_ADDRESS_BASE 0xfee00000u
#define MSI_DEST_SHIFT 12

static void die(const char *what)
{
	fprintf(stderr, "kvm-irqfd: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void usage(void)
{
	fprintf(stderr, "usage: kvm-irqfd [--gsi G] [--dest D] [--vector V] [--writes N] [--gap-us U] [--vcpu] [--go-on-stdin]\n");
	exit(2);
}

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void sleep_us(unsigned us)
{
	struct timespec ts = { .tv_sec = us / 1000000, .tv_nsec = (long)(us % 1000000) * 1000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static uint32_t *lapic_reg(struct kvm_lapic_state *s, unsigned off)
{
	return (uint32_t *)(s->regs + off);
}

int main(int argc, char **argv)
{
	unsigned gsi = 24, dest = 0, vector = 0x41, writes = 10, gap_us = 1000;
	int with_vcpu = 0, go_on_stdin = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		unsigned *target = NULL;

		if (!strcmp(a, "--vcpu")) {
			with_vcpu = 1;
			continue;
		}
		if (!strcmp(a, "--go-on-stdin")) {
			go_on_stdin = 1;
			continue;
		}
		if (!strcmp(a, "--gsi"))
			target = &gsi;
		else if (!strcmp(a, "--dest"))
			target = &dest;
		else if (!strcmp(a, "--vector"))
			target = &vector;
		else if (!strcmp(a, "--writes"))
			target = &writes;
		else if (!strcmp(a, "--gap-us"))
			target = &gap_us;
		if (!target || i + 1 >= argc)
			usage();
		*target = (unsigned)strtoul(argv[++i], NULL, 0);
	}
	if (vector < 16 || vector > 255 || dest > 255)
		usage();

	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (kvm < 0)
		die("open /dev/kvm");
	if (ioctl(kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION)
		die("KVM_GET_API_VERSION");
	int vm = ioctl(kvm, KVM_CREATE_VM, 0);

	if (vm < 0)
		die("KVM_CREATE_VM");
	/* PIC, IOAPIC and a LAPIC per vCPU, in the kernel: what irqfd needs. */
	if (ioctl(vm, KVM_CREATE_IRQCHIP, 0) < 0)
		die("KVM_CREATE_IRQCHIP");

	int vcpu = -1;
	struct kvm_lapic_state lapic;

	if (with_vcpu) {
		vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
		if (vcpu < 0)
			die("KVM_CREATE_VCPU");
		/* A LAPIC comes out of reset software-disabled, and then takes no fixed interrupt. */
		if (ioctl(vcpu, KVM_GET_LAPIC, &lapic) < 0)
			die("KVM_GET_LAPIC");
		*lapic_reg(&lapic, APIC_SPIV) |= APIC_SPIV_ENABLE;
		if (ioctl(vcpu, KVM_SET_LAPIC, &lapic) < 0)
			die("KVM_SET_LAPIC");
	}

	/* The routing table, replaced whole: one entry, the GSI as an edge-triggered fixed MSI. */
	struct {
		struct kvm_irq_routing table;
		struct kvm_irq_routing_entry entry;
	} routing;
	uint32_t address = MSI_ADDRESS_BASE | (dest << MSI_DEST_SHIFT), data = vector;

	memset(&routing, 0, sizeof(routing));
	routing.table.nr = 1;
	routing.entry.gsi = gsi;
	routing.entry.type = KVM_IRQ_ROUTING_MSI;
	routing.entry.u.msi.address_lo = address;
	routing.entry.u.msi.address_hi = 0;
	routing.entry.u.msi.data = data;
	if (ioctl(vm, KVM_SET_GSI_ROUTING, &routing) < 0)
		die("KVM_SET_GSI_ROUTING");

	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	if (efd < 0)
		die("eventfd");
	struct kvm_irqfd irqfd;

	memset(&irqfd, 0, sizeof(irqfd));
	irqfd.fd = efd;
	irqfd.gsi = gsi;
	if (ioctl(vm, KVM_IRQFD, &irqfd) < 0)
		die("KVM_IRQFD");

	if (go_on_stdin) {
		char line[64];

		printf("{\"ready\":true,\"pid\":%d}\n", getpid());
		fflush(stdout);
		if (!fgets(line, sizeof(line), stdin))
			return 1;
	}

	unsigned delivered = 0, timeouts = 0, irr_word = APIC_IRR + 0x10 * (vector / 32);
	uint32_t irr_bit = 1u << (vector % 32);
	uint64_t wait_max_us = 0;

	for (unsigned n = 0; n < writes; n++) {
		uint64_t one = 1, t0 = now_us();

		if (write(efd, &one, sizeof(one)) != sizeof(one))
			die("write eventfd");
		if (!with_vcpu) {
			sleep_us(gap_us);
			continue;
		}
		/* Until the interrupt is pending in the vCPU's IRR (the fast path sets it before the write
		 * returns; the deferred one when a kworker runs), for at most 2 s. */
		for (;;) {
			if (ioctl(vcpu, KVM_GET_LAPIC, &lapic) < 0)
				die("KVM_GET_LAPIC");
			if (*lapic_reg(&lapic, irr_word) & irr_bit)
				break;
			if (now_us() - t0 > 2000000) {
				timeouts++;
				break;
			}
			sleep_us(100);
		}
		if (*lapic_reg(&lapic, irr_word) & irr_bit) {
			delivered++;
			if (now_us() - t0 > wait_max_us)
				wait_max_us = now_us() - t0;
			*lapic_reg(&lapic, irr_word) &= ~irr_bit;
			if (ioctl(vcpu, KVM_SET_LAPIC, &lapic) < 0)
				die("KVM_SET_LAPIC");
		}
		sleep_us(gap_us);
	}

	char delivered_json[16] = "null";

	if (with_vcpu)
		snprintf(delivered_json, sizeof(delivered_json), "%u", delivered);
	printf("{\"pid\":%d,\"gsi\":%u,\"eventfd\":%d,\"address\":%u,\"data\":%u,\"dest\":%u,\"vector\":%u,"
	       "\"vcpu\":%s,\"writes\":%u,\"delivered\":%s,\"timeouts\":%u,\"wait_max_us\":%llu}\n",
	       getpid(), gsi, efd, address, data, dest, vector, with_vcpu ? "true" : "false", writes, delivered_json,
	       timeouts, (unsigned long long)wait_max_us);
	fflush(stdout);
	if (go_on_stdin) {
		char line[64];

		while (fgets(line, sizeof(line), stdin))
			;
	}
	return 0;
}
