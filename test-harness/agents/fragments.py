# Sends UDP datagrams as IPv4 or IPv6 fragments crafted by hand, in an order and with faults the
# caller chooses, as Ethernet frames on one device (AF_PACKET: the sender's own stack takes no part).
#   python3 fragments.py '{"ifname": "eth0", "src_mac": "..", "dst_mac": "..", "family": 4,
#                          "src": "10.200.0.1", "dst": "10.200.0.2", "sport": 40000, "dport": 5300,
#                          "datagrams": [{"id": 256, "size": 2500, "chunk": 1024, "send": [0, 0, 1, 2]}]}'
# Each datagram is `size` bytes of UDP payload (a UDP header in front; IPv4 without a checksum, IPv6
# with one) cut into fragments of `chunk` bytes (a multiple of 8); `send` lists what to send, in
# order: an index is that fragment (again for a duplicate, left out for a missing one), an object
# {"offset": O, "length": L} a fragment of those bytes of the datagram (an overlapping one), with
# the more-fragments flag unless it reaches the end. Prints {"frames": N} when all are sent.
import json, socket, struct, sys

spec = json.loads(sys.argv[1])
fam = spec['family']


def csum(data):
    if len(data) % 2:
        data += b'\0'
    s = sum(struct.unpack(f'!{len(data) // 2}H', data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


src = socket.inet_pton(socket.AF_INET if fam == 4 else socket.AF_INET6, spec['src'])
dst = socket.inet_pton(socket.AF_INET if fam == 4 else socket.AF_INET6, spec['dst'])


def udp(d):
    payload = bytes((d['id'] + i) & 0xff for i in range(d['size']))
    length = 8 + len(payload)
    head = struct.pack('!HHHH', spec['sport'], spec['dport'], length, 0)
    if fam == 4:
        return head + payload
    pseudo = src + dst + struct.pack('!I3xB', length, 17)
    c = csum(pseudo + head + payload) or 0xffff
    return struct.pack('!HHHH', spec['sport'], spec['dport'], length, c) + payload


def packet(d, data, offset, length):
    part = data[offset:offset + length]
    more = offset + length < len(data)
    if fam == 4:
        hdr = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(part), d['id'], (0x2000 if more else 0) | offset // 8, 64, 17, 0, src, dst)
        hdr = hdr[:10] + struct.pack('!H', csum(hdr)) + hdr[12:]
        return b'\x08\x00', hdr + part
    frag = struct.pack('!BBHI', 17, 0, offset | (1 if more else 0), d['id'])
    hdr = struct.pack('!IHBB16s16s', 6 << 28, 8 + len(part), 44, 64, src, dst)
    return b'\x86\xdd', hdr + frag + part


s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((spec['ifname'], 0))
eth = bytes.fromhex(spec['dst_mac'].replace(':', '')) + bytes.fromhex(spec['src_mac'].replace(':', ''))
frames = 0
for d in spec['datagrams']:
    data = udp(d)
    chunk = d['chunk']
    for what in d['send']:
        if isinstance(what, int):
            offset, length = what * chunk, chunk
        else:
            offset, length = what['offset'], what['length']
        ethertype, pkt = packet(d, data, offset, length)
        s.send(eth + ethertype + pkt)
        frames += 1
print(json.dumps({'frames': frames}))
