/*
 * Drives a BPF program with BPF_PROG_TEST_RUN at a steady rate, to produce ring buffer events at a
 * known pace (bench/bpf/bench_ring.bpf.c).
 *
 *   ringprod RATE SECONDS        (the program's fd is inherited as descriptor 3)
 *       every millisecond, runs the program as many times (`repeat`) as keep the total at
 *       RATE runs per second; RATE 0 runs it back to back as fast as the kernel allows. Prints
 *       {"runs":N,"calls":C,"seconds":S,"late_ticks":L}
 *       (late_ticks: ticks where one call took longer than the tick, so the pace slipped).
 *
 * The test input is a 64-byte Ethernet/IPv4/UDP frame, which the program copies as the event's
 * captured header.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define PROG_FD 3
#define TICK_NS 1000000ull
#define UNPACED_REPEAT 4096u

static unsigned long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

static unsigned char frame[64] = {
    /* Ethernet: dst, src, IPv4 */
    0x02, 0x4e, 0x53, 0x00, 0x00, 0x02, 0x02, 0x4e, 0x53, 0x00, 0x00, 0x01, 0x08, 0x00,
    /* IPv4: 50 bytes, id 1, ttl 64, UDP, 10.99.0.1 -> 10.99.0.2 (checksum left 0: never checked) */
    0x45, 0x00, 0x00, 0x32, 0x00, 0x01, 0x40, 0x00, 0x40, 0x11, 0x00, 0x00, 10, 99, 0, 1, 10, 99, 0, 2,
    /* UDP: 40000 -> 9, 30 bytes */
    0x9c, 0x40, 0x00, 0x09, 0x00, 0x1e, 0x00, 0x00,
    /* payload */
    0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a,
    0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a};

static int test_run(unsigned int repeat) {
  union bpf_attr a;
  memset(&a, 0, sizeof a);
  a.test.prog_fd = PROG_FD;
  a.test.data_in = (unsigned long long)(unsigned long)frame;
  a.test.data_size_in = sizeof frame;
  a.test.repeat = repeat;
  return (int)syscall(SYS_bpf, BPF_PROG_TEST_RUN, &a, sizeof a);
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc != 3) {
    fprintf(stderr, "usage: ringprod RATE SECONDS   (program fd inherited as 3)\n");
    return 2;
  }
  double rate = atof(argv[1]), seconds = atof(argv[2]);
  if (rate < 0 || seconds <= 0) return 2;
  unsigned long long t0 = now_ns(), end = t0 + (unsigned long long)(seconds * 1e9), t = t0;
  unsigned long long runs = 0, calls = 0, late = 0, next = t0;
  while (t < end) {
    unsigned long long due;
    if (rate == 0) {
      due = UNPACED_REPEAT;
    } else {
      double want = rate * (double)(t - t0) / 1e9;
      due = want > (double)runs ? (unsigned long long)(want - (double)runs) : 0;
      if (due > 0xffffffffull) due = 0xffffffffull;
    }
    if (due) {
      if (test_run((unsigned int)due) < 0) {
        fprintf(stderr, "ringprod: BPF_PROG_TEST_RUN: %s\n", strerror(errno));
        return 1;
      }
      runs += due;
      calls++;
    }
    if (rate != 0) {
      next += TICK_NS;
      t = now_ns();
      if (t > next) {
        late++;
        next = t;
      } else {
        struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)(next - t)};
        nanosleep(&ts, NULL);
      }
    }
    t = now_ns();
  }
  printf("{\"runs\":%llu,\"calls\":%llu,\"seconds\":%.6f,\"late_ticks\":%llu}\n", runs, calls, (double)(t - t0) / 1e9, late);
  return 0;
}
