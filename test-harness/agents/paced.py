# Paced traffic with known timing, run inside a namespace: `ip netns exec NS python3 paced.py '<json>'`.
# Node's sockets read eagerly, so a reader that waits a known time before each read is written here.
#   reader: bind, then for each of `count` packets: wait until one is readable, sleep `delay_ms`
#           (only for the first `slow` packets when given), read exactly one (a datagram, or one
#           `size`-byte chunk of a TCP stream). Prints {"listening": true}, then {"received": n}.
#   sender: send `count` packets of `size` bytes, `gap_ms` apart (TCP_NODELAY: one segment each).
#           Prints {"sent": n, "sport": p, "times_us": [...], "after_us": [...]}: CLOCK_MONOTONIC just
#           before and just after each send, so a caller can tell when each packet really left (the
#           sender may be preempted).
import json, select, socket, sys, time

spec = json.loads(sys.argv[1])
fam = socket.AF_INET6 if ':' in spec.get('bind', spec.get('dst', '')) else socket.AF_INET


def out(o):
    print(json.dumps(o), flush=True)


def reader():
    if spec['protocol'] == 'udp':
        s = socket.socket(fam, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        s.bind((spec['bind'], spec['port']))
        out({'listening': True})
        conn = s
    else:
        l = socket.socket(fam, socket.SOCK_STREAM)
        l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        l.bind((spec['bind'], spec['port']))
        l.listen(1)
        out({'listening': True})
        conn, _ = l.accept()
    n = 0
    slow = spec.get('slow', spec['count'])
    while n < spec['count']:
        # The first packet comes after the tool under test has started, which on a loaded
        # machine takes seconds: wait longer for it than between packets.
        r, _, _ = select.select([conn], [], [], 10 if n else 60)
        if not r:
            break
        if n < slow:
            time.sleep(spec['delay_ms'] / 1000)
        if spec['protocol'] == 'udp':
            conn.recv(65536)
        else:
            want = spec['size']
            while want:
                d = conn.recv(want)
                if not d:
                    out({'received': n})
                    return
                want -= len(d)
        n += 1
    out({'received': n})


def sender():
    dst = (spec['dst'], spec['dport'])
    payload = b'p' * spec['size']
    if spec['protocol'] == 'udp':
        s = socket.socket(fam, socket.SOCK_DGRAM)
        s.bind(('::' if fam == socket.AF_INET6 else '0.0.0.0', spec.get('sport', 0)))
    else:
        s = socket.create_connection(dst)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sport = s.getsockname()[1]
    times, after = [], []
    for _ in range(spec['count']):
        times.append(time.monotonic_ns() // 1000)
        if spec['protocol'] == 'udp':
            s.sendto(payload, dst)
        else:
            s.sendall(payload)
        after.append(time.monotonic_ns() // 1000)
        time.sleep(spec['gap_ms'] / 1000)
    s.close()
    out({'sent': spec['count'], 'sport': sport, 'times_us': times, 'after_us': after})


{'reader': reader, 'sender': sender}[spec['mode']]()
