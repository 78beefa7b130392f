/*
 * UDP flood sender and counting sink, for overhead measurements in a lab.
 *
 *   flood send DST_IPV4 PORT PAYLOAD_BYTES SECONDS
 *       sendmmsg() batches of BATCH datagrams for SECONDS, then prints
 *       {"mode":"send","packets":N,"errors":E,"seconds":S}
 *
 *   flood recv BIND_IPV4 PORT SECONDS [IDLE_MS]
 *       recvmmsg() until SECONDS have passed, or until IDLE_MS (default 500)
 *       without a packet once the first one arrived, then prints
 *       {"mode":"recv","packets":N,"bytes":B,"seconds":S,"first_to_last_seconds":F}
 *       A file named by $FLOOD_READY_FILE, if set, is created once the socket is bound.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define MAX_PAYLOAD 1472

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what) {
  fprintf(stderr, "flood: %s: %s\n", what, strerror(errno));
  exit(1);
}

static struct sockaddr_in parse_addr(const char *ip, const char *port) {
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((unsigned short)atoi(port));
  if (inet_pton(AF_INET, ip, &a.sin_addr) != 1) {
    fprintf(stderr, "flood: not an IPv4 address: %s\n", ip);
    exit(2);
  }
  return a;
}

static int do_send(int argc, char **argv) {
  if (argc != 6) return 2;
  struct sockaddr_in dst = parse_addr(argv[2], argv[3]);
  int size = atoi(argv[4]);
  double seconds = atof(argv[5]);
  if (size < 1 || size > MAX_PAYLOAD || seconds <= 0) return 2;

  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) die("socket");
  if (connect(fd, (struct sockaddr *)&dst, sizeof dst) < 0) die("connect");

  static char payload[MAX_PAYLOAD];
  memset(payload, 0x5a, sizeof payload);
  struct iovec iov[BATCH];
  struct mmsghdr msgs[BATCH];
  memset(msgs, 0, sizeof msgs);
  for (int i = 0; i < BATCH; i++) {
    iov[i].iov_base = payload;
    iov[i].iov_len = (size_t)size;
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }

  unsigned long long sent = 0, errors = 0;
  double t0 = now(), end = t0 + seconds, t = t0;
  while (t < end) {
    int n = sendmmsg(fd, msgs, BATCH, 0);
    if (n < 0) {
      /* ENOBUFS and the like: count and go on, the flood is best effort */
      if (errno != EINTR) errors++;
    } else {
      sent += (unsigned long long)n;
    }
    t = now();
  }
  printf("{\"mode\":\"send\",\"packets\":%llu,\"errors\":%llu,\"seconds\":%.6f}\n", sent, errors, t - t0);
  close(fd);
  return 0;
}

static int do_recv(int argc, char **argv) {
  if (argc != 5 && argc != 6) return 2;
  struct sockaddr_in self = parse_addr(argv[2], argv[3]);
  double seconds = atof(argv[4]);
  double idle = (argc == 6 ? atof(argv[5]) : 500.0) / 1000.0;
  if (seconds <= 0 || idle <= 0) return 2;

  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) die("socket");
  /* A large buffer, or the sink drops by itself (SO_RCVBUFFORCE needs CAP_NET_ADMIN) */
  int rcvbuf = 64 << 20;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) < 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  struct timeval tv = {.tv_sec = 0, .tv_usec = 100000};
  if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0) die("SO_RCVTIMEO");
  if (bind(fd, (struct sockaddr *)&self, sizeof self) < 0) die("bind");

  const char *ready = getenv("FLOOD_READY_FILE");
  if (ready && *ready) {
    FILE *f = fopen(ready, "w");
    if (!f) die("ready file");
    fclose(f);
  }

  static char bufs[BATCH][2048];
  struct iovec iov[BATCH];
  struct mmsghdr msgs[BATCH];
  unsigned long long packets = 0, bytes = 0;
  double t0 = now(), end = t0 + seconds, first = 0, last = 0;
  for (;;) {
    for (int i = 0; i < BATCH; i++) {
      iov[i].iov_base = bufs[i];
      iov[i].iov_len = sizeof bufs[i];
      memset(&msgs[i].msg_hdr, 0, sizeof msgs[i].msg_hdr);
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    int n = recvmmsg(fd, msgs, BATCH, MSG_WAITFORONE, NULL);
    double t = now();
    if (n > 0) {
      if (packets == 0) first = t;
      last = t;
      packets += (unsigned long long)n;
      for (int i = 0; i < n; i++) bytes += msgs[i].msg_len;
    } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      die("recvmmsg");
    }
    if (t >= end) break;
    if (packets > 0 && t - last >= idle) break;
  }
  printf("{\"mode\":\"recv\",\"packets\":%llu,\"bytes\":%llu,\"seconds\":%.6f,\"first_to_last_seconds\":%.6f}\n",
         packets, bytes, now() - t0, packets ? last - first : 0.0);
  close(fd);
  return 0;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  int rc = 2;
  if (argc >= 2 && strcmp(argv[1], "send") == 0) rc = do_send(argc, argv);
  else if (argc >= 2 && strcmp(argv[1], "recv") == 0) rc = do_recv(argc, argv);
  if (rc == 2)
    fprintf(stderr,
            "usage: flood send DST_IPV4 PORT PAYLOAD_BYTES SECONDS\n"
            "       flood recv BIND_IPV4 PORT SECONDS [IDLE_MS]\n");
  return rc;
}
