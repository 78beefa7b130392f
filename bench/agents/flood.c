/*
 * UDP flood and TCP stream senders and counting sinks, for overhead measurements in a lab.
 *
 *   flood send DST_IPV4 PORT PAYLOAD_BYTES SECONDS
 *       sendmmsg() batches of BATCH datagrams for SECONDS, then prints
 *       {"mode":"send","packets":N,"errors":E,"seconds":S}
 *
 *   flood tcp-send DST_IPV4 PORT SECONDS
 *       one TCP connection, write() of 64 KiB chunks for SECONDS, then prints
 *       {"mode":"tcp-send","bytes":B,"seconds":S}
 *
 *   flood serve BIND_IPV4 UDP_PORT TCP_PORT
 *       a sink that outlives many trials (so a tool can be pointed at its pid once): counts UDP
 *       datagrams (recvmmsg) and TCP bytes from any number of connections, and answers each line
 *       read on stdin with its totals so far:
 *       {"udp_packets":N,"udp_bytes":B,"tcp_bytes":T,"tcp_connections":C}
 *       Exits when stdin closes. $FLOOD_READY_FILE is created once both sockets listen.
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
#include <fcntl.h>
#include <netinet/tcp.h>
#include <poll.h>
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

/* A batch of receive buffers for recvmmsg(), set up again before each call (the kernel rewrites them). */
static void recv_batch(struct mmsghdr *msgs, struct iovec *iov, char (*bufs)[2048]) {
  for (int i = 0; i < BATCH; i++) {
    iov[i].iov_base = bufs[i];
    iov[i].iov_len = sizeof bufs[i];
    memset(&msgs[i].msg_hdr, 0, sizeof msgs[i].msg_hdr);
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
}

static void die(const char *what) {
  fprintf(stderr, "flood: %s: %s\n", what, strerror(errno));
  exit(1);
}

/* Creates the file named by $FLOOD_READY_FILE, if set: the socket is bound, traffic may start. */
static void signal_ready(void) {
  const char *ready = getenv("FLOOD_READY_FILE");
  if (ready && *ready) {
    FILE *f = fopen(ready, "w");
    if (!f) die("ready file");
    fclose(f);
  }
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

  signal_ready();

  static char bufs[BATCH][2048];
  struct iovec iov[BATCH];
  struct mmsghdr msgs[BATCH];
  unsigned long long packets = 0, bytes = 0;
  double t0 = now(), end = t0 + seconds, first = 0, last = 0;
  for (;;) {
    recv_batch(msgs, iov, bufs);
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

static int do_tcp_send(int argc, char **argv) {
  if (argc != 5) return 2;
  struct sockaddr_in dst = parse_addr(argv[2], argv[3]);
  double seconds = atof(argv[4]);
  if (seconds <= 0) return 2;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) die("socket");
  if (connect(fd, (struct sockaddr *)&dst, sizeof dst) < 0) die("connect");
  static char chunk[64 << 10];
  memset(chunk, 0x5a, sizeof chunk);
  unsigned long long bytes = 0;
  double t0 = now(), end = t0 + seconds, t = t0;
  while (t < end) {
    ssize_t n = write(fd, chunk, sizeof chunk);
    if (n < 0 && errno != EINTR) die("write");
    if (n > 0) bytes += (unsigned long long)n;
    t = now();
  }
  printf("{\"mode\":\"tcp-send\",\"bytes\":%llu,\"seconds\":%.6f}\n", bytes, t - t0);
  close(fd);
  return 0;
}

#define MAX_CONNS 64

static void nonblocking(int fd) {
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) die("fcntl");
}

static int do_serve(int argc, char **argv) {
  if (argc != 5) return 2;
  struct sockaddr_in uaddr = parse_addr(argv[2], argv[3]);
  struct sockaddr_in taddr = parse_addr(argv[2], argv[4]);
  int one = 1;

  int ufd = socket(AF_INET, SOCK_DGRAM, 0);
  if (ufd < 0) die("socket");
  int rcvbuf = 64 << 20;
  if (setsockopt(ufd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) < 0)
    setsockopt(ufd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  if (bind(ufd, (struct sockaddr *)&uaddr, sizeof uaddr) < 0) die("bind udp");
  nonblocking(ufd);

  int lfd = socket(AF_INET, SOCK_STREAM, 0);
  if (lfd < 0) die("socket");
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(lfd, (struct sockaddr *)&taddr, sizeof taddr) < 0) die("bind tcp");
  if (listen(lfd, 16) < 0) die("listen");
  nonblocking(lfd);

  signal_ready();

  static char bufs[BATCH][2048];
  static char tbuf[256 << 10];
  struct iovec iov[BATCH];
  struct mmsghdr msgs[BATCH];
  struct pollfd pfd[3 + MAX_CONNS];
  int conns[MAX_CONNS], nconns = 0;
  unsigned long long packets = 0, ubytes = 0, tbytes = 0, accepted = 0;
  char line[256];
  size_t linelen = 0;
  for (;;) {
    pfd[0] = (struct pollfd){.fd = 0, .events = POLLIN};
    pfd[1] = (struct pollfd){.fd = ufd, .events = POLLIN};
    pfd[2] = (struct pollfd){.fd = lfd, .events = POLLIN};
    for (int i = 0; i < nconns; i++) pfd[3 + i] = (struct pollfd){.fd = conns[i], .events = POLLIN};
    if (poll(pfd, (nfds_t)(3 + nconns), -1) < 0) {
      if (errno == EINTR) continue;
      die("poll");
    }
    if (pfd[1].revents & POLLIN) {
      for (;;) {
        recv_batch(msgs, iov, bufs);
        int n = recvmmsg(ufd, msgs, BATCH, MSG_DONTWAIT, NULL);
        if (n <= 0) break;
        packets += (unsigned long long)n;
        for (int i = 0; i < n; i++) ubytes += msgs[i].msg_len;
      }
    }
    if (pfd[2].revents & POLLIN) {
      int c;
      while ((c = accept(lfd, NULL, NULL)) >= 0) {
        if (nconns == MAX_CONNS) {
          close(c);
          continue;
        }
        nonblocking(c);
        conns[nconns++] = c;
        accepted++;
      }
    }
    for (int i = nconns - 1; i >= 0; i--) {
      if (!(pfd[3 + i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      for (;;) {
        ssize_t n = read(conns[i], tbuf, sizeof tbuf);
        if (n > 0) {
          tbytes += (unsigned long long)n;
          continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        if (n < 0 && errno == EINTR) continue;
        close(conns[i]); /* EOF or error: the sender is done */
        conns[i] = conns[--nconns];
        break;
      }
    }
    if (pfd[0].revents & (POLLIN | POLLHUP)) {
      ssize_t n = read(0, line + linelen, sizeof line - linelen);
      if (n <= 0) break;
      linelen += (size_t)n;
      for (char *nl; (nl = memchr(line, '\n', linelen)) != NULL;) {
        printf("{\"udp_packets\":%llu,\"udp_bytes\":%llu,\"tcp_bytes\":%llu,\"tcp_connections\":%llu}\n",
               packets, ubytes, tbytes, accepted);
        size_t used = (size_t)(nl - line) + 1;
        memmove(line, nl + 1, linelen - used);
        linelen -= used;
      }
      if (linelen == sizeof line) linelen = 0;
    }
  }
  return 0;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  int rc = 2;
  if (argc >= 2 && strcmp(argv[1], "send") == 0) rc = do_send(argc, argv);
  else if (argc >= 2 && strcmp(argv[1], "recv") == 0) rc = do_recv(argc, argv);
  else if (argc >= 2 && strcmp(argv[1], "tcp-send") == 0) rc = do_tcp_send(argc, argv);
  else if (argc >= 2 && strcmp(argv[1], "serve") == 0) rc = do_serve(argc, argv);
  if (rc == 2)
    fprintf(stderr,
            "usage: flood send DST_IPV4 PORT PAYLOAD_BYTES SECONDS\n"
            "       flood recv BIND_IPV4 PORT SECONDS [IDLE_MS]\n"
            "       flood tcp-send DST_IPV4 PORT SECONDS\n"
            "       flood serve BIND_IPV4 UDP_PORT TCP_PORT\n");
  return rc;
}
