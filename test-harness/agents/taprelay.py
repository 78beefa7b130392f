# A VM with no hypervisor: the relay plays the guest's virtio queue and vhost. It holds the host's
# TAP (what QEMU or vhost-net would read) and a second TAP in the guest's namespace (the guest's NIC),
# and copies frames between them. Both TAPs must exist (ip tuntap add ... mode tap).
#   python3 taprelay.py '{"host_ns": NS, "host_tap": DEV, "guest_ns": NS, "guest_tap": DEV,
#                         "sleep_ms": 0, "paused": false, "queues": 1}'
# queues: attach that many queues of a multi-queue host TAP (ip tuntap add ... multi_queue), and read
# them all.
# sleep_ms: once a frame is waiting on the host TAP, wait this long before reading it (the reader is
# slow: packets dwell in the TAP's ring). Prints {"ready": true} once both TAPs are held, then reads
# commands on standard input, one per line: "pause" (stop reading the host TAP: its ring fills),
# "resume", "stats"; each answers one JSON line with the frames copied each way, and for each frame
# read from the host TAP the CLOCK_MONOTONIC times (ns) just before and just after its read.
import ctypes, fcntl, json, os, select, struct, sys, time

TUNSETIFF, IFF_TAP, IFF_NO_PI, IFF_MULTI_QUEUE, CLONE_NEWNET = 0x400454CA, 0x0002, 0x1000, 0x0100, 0x40000000
libc = ctypes.CDLL(None, use_errno=True)
spec = json.loads(sys.argv[1])


def enter(ns):
    fd = os.open(f'/run/netns/{ns}', os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), f'setns {ns}')
    finally:
        os.close(fd)


def open_tap(ns, name, multi=False):
    enter(ns)
    fd = os.open('/dev/net/tun', os.O_RDWR)
    flags = IFF_TAP | IFF_NO_PI | (IFF_MULTI_QUEUE if multi else 0)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack('16sH', name.encode(), flags))
    os.set_blocking(fd, False)
    return fd


nq = spec.get('queues', 1)
hosts = [open_tap(spec['host_ns'], spec['host_tap'], nq > 1) for _ in range(nq)]
guest = open_tap(spec['guest_ns'], spec['guest_tap'])
paused = bool(spec.get('paused'))
sleep_s = spec.get('sleep_ms', 0) / 1000
to_guest = to_host = 0
reads_ns = []


def out(o):
    print(json.dumps(o), flush=True)


def stats(**extra):
    out({'to_guest': to_guest, 'to_host': to_host, 'paused': paused, 'reads_ns': reads_ns, **extra})


out({'ready': True})
while True:
    readers = [guest, sys.stdin] + ([] if paused else hosts)
    r, _, _ = select.select(readers, [], [])
    for host in hosts:
        if host not in r:
            continue
        if sleep_s:
            time.sleep(sleep_s)
        try:
            before = time.monotonic_ns()
            frame = os.read(host, 65536)
            reads_ns.append([before, time.monotonic_ns()])
            os.write(guest, frame)
            to_guest += 1
        except BlockingIOError:
            pass
    if guest in r:
        try:
            os.write(hosts[0], os.read(guest, 65536))
            to_host += 1
        except BlockingIOError:
            pass
    if sys.stdin in r:
        line = sys.stdin.readline()
        if not line or line.strip() == 'quit':
            stats(quit=True)
            break
        cmd = line.strip()
        if cmd == 'pause':
            paused = True
        elif cmd == 'resume':
            paused = False
        stats()
