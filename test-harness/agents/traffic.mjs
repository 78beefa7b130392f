// Traffic agent, run inside a namespace with `ip netns exec NS node traffic.mjs '<json>'`.
// Sends an exact number of packets (each send waits for the previous one to leave) or runs a sink,
// and prints one JSON line with what it did.
import dgram from 'node:dgram';
import net from 'node:net';

const spec = JSON.parse(process.argv[2]);

function udpSend() {
  const type = spec.dst.includes(':') ? 'udp6' : 'udp4';
  const sock = dgram.createSocket(type);
  const payload = Buffer.alloc(spec.size ?? 16, 0x6e);
  sock.bind({ port: spec.sport ?? 0, address: spec.src }, () => {
    if (spec.ttl) sock.setTTL(spec.ttl);
    const sport = sock.address().port;
    let sent = 0;
    const next = () => {
      if (sent === spec.count) {
        sock.close();
        console.log(JSON.stringify({ sent, sport }));
        return;
      }
      // With dportCount, packet i goes to dport + (i mod dportCount): many distinct flows.
      const dport = spec.dportCount ? spec.dport + (sent % spec.dportCount) : spec.dport;
      sock.send(payload, dport, spec.dst, (err) => {
        // EPERM is what a local firewall drop looks like to the sender: the packet was sent into it.
        if (err && !(spec.allowEperm && err.code === 'EPERM')) {
          console.error(`send failed: ${err.message}`);
          process.exit(1);
        }
        sent++;
        // A pause every few packets keeps the receiver's backlog far from full.
        if (spec.pace !== false && sent % 16 === 0) setTimeout(next, 1);
        else next();
      });
    };
    next();
  });
}

function udpSink() {
  const type = spec.bind.includes(':') ? 'udp6' : 'udp4';
  const sock = dgram.createSocket({ type, recvBufferSize: 8 << 20 });
  let received = 0;
  sock.on('message', () => received++);
  sock.bind(spec.port, spec.bind, () => console.log(JSON.stringify({ listening: true })));
  process.on('SIGTERM', () => {
    console.log(JSON.stringify({ received }));
    process.exit(0);
  });
}

function tcpSink() {
  let bytes = 0;
  const server = net.createServer((c) => c.on('data', (d) => (bytes += d.length)));
  server.listen(spec.port, spec.bind, () => console.log(JSON.stringify({ listening: true })));
  process.on('SIGTERM', () => {
    console.log(JSON.stringify({ received: bytes }));
    process.exit(0);
  });
}

function tcpSend() {
  const c = net.connect({ host: spec.dst, port: spec.dport, localPort: spec.sport }, () => {
    const sport = c.localPort;
    const chunk = Buffer.alloc(spec.size ?? 1000, 0x74);
    let sent = 0;
    const next = () => {
      if (sent === spec.count) {
        c.end(() => console.log(JSON.stringify({ sent, bytes: sent * chunk.length, sport })));
        return;
      }
      sent++;
      c.write(chunk, next);
    };
    next();
  });
  c.on('error', (e) => {
    console.error(`connect failed: ${e.message}`);
    process.exit(1);
  });
}

// One connection attempt to a port nobody listens on: one SYN, answered by a reset.
function tcpConnectRefused() {
  const c = net.connect({ host: spec.dst, port: spec.dport });
  c.on('connect', () => {
    console.error('connected: the port was supposed to be closed');
    process.exit(1);
  });
  c.on('error', (e) => console.log(JSON.stringify({ sent: 1, refused: e.code === 'ECONNREFUSED' })));
}

// Answers every request: each datagram back to its sender, each TCP byte back on its connection.
function echo() {
  let received = 0;
  const done = () => {
    console.log(JSON.stringify({ received }));
    process.exit(0);
  };
  process.on('SIGTERM', done);
  const listening = () => console.log(JSON.stringify({ listening: true }));
  if (spec.protocol === 'udp') {
    const sock = dgram.createSocket({ type: spec.bind.includes(':') ? 'udp6' : 'udp4', recvBufferSize: 8 << 20 });
    sock.on('message', (m, from) => {
      received++;
      sock.send(m, from.port, from.address);
    });
    sock.bind(spec.port, spec.bind, listening);
  } else {
    net.createServer((c) => {
      c.setNoDelay(true);
      c.on('data', (d) => {
        received += d.length;
        c.write(d);
      });
      c.on('end', () => c.end());
      c.on('error', () => {});
    }).listen(spec.port, spec.bind, listening);
  }
}

// Requests one at a time: each waits for its answer (or, UDP, for waitMs) before the next.
// Each UDP request carries its number, so no two are alike.
function ask() {
  const size = Math.max(8, spec.size ?? 32);
  const payload = (i) => {
    const b = Buffer.alloc(size, 0x61);
    b.writeBigUInt64BE(BigInt(i));
    return b;
  };
  let sent = 0;
  let answered = 0;
  if (spec.protocol === 'udp') {
    const sock = dgram.createSocket(spec.dst.includes(':') ? 'udp6' : 'udp4');
    let timer;
    let waiting = -1;
    const next = () => {
      clearTimeout(timer);
      if (sent === spec.count) {
        const sport = sock.address().port;
        sock.close();
        console.log(JSON.stringify({ sent, answered, sport }));
        return;
      }
      waiting = sent++;
      sock.send(payload(waiting), spec.dport, spec.dst);
      timer = setTimeout(next, spec.waitMs ?? 100);
    };
    sock.on('message', (m) => {
      if (m.length >= 8 && Number(m.readBigUInt64BE()) === waiting) {
        answered++;
        waiting = -1;
        setImmediate(next);
      }
    });
    sock.bind(0, next);
    return;
  }
  const c = net.connect({ host: spec.dst, port: spec.dport }, () => {
    c.setNoDelay(true);
    let got = 0;
    const next = () => {
      if (sent === spec.count) {
        const sport = c.localPort;
        c.end();
        c.on('close', () => console.log(JSON.stringify({ sent, answered, sport })));
        return;
      }
      sent++;
      got = 0;
      c.write(payload(sent));
    };
    c.on('data', (d) => {
      got += d.length;
      if (got >= size) {
        answered++;
        next();
      }
    });
    next();
  });
  c.on('error', (e) => {
    console.error(`connect failed: ${e.message}`);
    process.exit(1);
  });
}

({ 'tcp-refused': tcpConnectRefused, 'udp-send': udpSend, 'udp-sink': udpSink, 'tcp-sink': tcpSink, 'tcp-send': tcpSend, echo, ask })[spec.mode]();
