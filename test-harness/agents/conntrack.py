# Connection tracking workloads with known counts, run inside a namespace:
#   `ip netns exec NS python3 conntrack.py '<json>'`.
#   listen:  accept TCP connections on `bind`:`port` and hold them open. Prints {"listening": true},
#            then on SIGTERM {"accepted": n}.
#   connect: open `count` TCP connections to `dst`:`dport` and hold them open (each an established,
#            assured conntrack entry that conntrack never evicts early). Prints {"connected": n,
#            "sports": [...]} once all are established, then waits for SIGTERM.
#   craft:   send `count` TCP segments with the given `flags` (e.g. 3 = SYN|FIN, a combination
#            conntrack rejects as invalid) from `sport` to `dst`:`dport` through a raw socket, each
#            with a valid checksum. Prints {"sent": n, "sport": p}.
import json, signal, socket, struct, sys, time

spec = json.loads(sys.argv[1])
v6 = ':' in spec.get('bind', spec.get('dst', ''))
fam = socket.AF_INET6 if v6 else socket.AF_INET


def out(o):
    print(json.dumps(o), flush=True)


def on_term(handler):
    signal.signal(signal.SIGTERM, lambda *_: handler())


def listen():
    l = socket.socket(fam, socket.SOCK_STREAM)
    l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind((spec['bind'], spec['port']))
    l.listen(128)
    held = []

    def done():
        out({'accepted': len(held)})
        sys.exit(0)

    on_term(done)
    out({'listening': True})
    while True:
        c, _ = l.accept()
        held.append(c)


def connect():
    held = []
    for _ in range(spec['count']):
        s = socket.create_connection((spec['dst'], spec['dport']), timeout=10)
        held.append(s)
    on_term(lambda: sys.exit(0))
    out({'connected': len(held), 'sports': [s.getsockname()[1] for s in held]})
    while True:
        time.sleep(3600)


def checksum(data):
    if len(data) % 2:
        data += b'\0'
    s = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def craft():
    dst = spec['dst']
    # The source address the kernel will put in the IP header: the route's, as a UDP socket learns it.
    probe = socket.socket(fam, socket.SOCK_DGRAM)
    probe.connect((dst, 9))
    src = probe.getsockname()[0]
    probe.close()
    s = socket.socket(fam, socket.SOCK_RAW, socket.IPPROTO_TCP)
    if v6:
        # The kernel fills the checksum at offset 16 of what is sent (the TCP header's).
        s.setsockopt(socket.IPPROTO_IPV6, getattr(socket, 'IPV6_CHECKSUM', 7), 16)
    sport, dport, flags = spec['sport'], spec['dport'], spec['flags']
    for i in range(spec['count']):
        hdr = struct.pack('!HHIIBBHHH', sport, dport, 1000 + i, 0, 5 << 4, flags, 1024, 0, 0)
        if not v6:
            pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack('!BBH', 0, socket.IPPROTO_TCP, len(hdr))
            hdr = hdr[:16] + struct.pack('!H', checksum(pseudo + hdr)) + hdr[18:]
        s.sendto(hdr, (dst, 0))
    out({'sent': spec['count'], 'sport': sport})


{'listen': listen, 'connect': connect, 'craft': craft}[spec['mode']]()
