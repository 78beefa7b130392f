// Inside a test guest: vhost-net with no VM. A TAP in a namespace, the vhost-guest agent as the
// guest's driver behind it (its RX and TX virtqueues in the agent's memory), and traffic both ways:
// RX: N datagrams the namespace sends to the "VM" (-> the TAP's transmit -> its ring -> vhost
// handle_rx -> the agent's RX ring); TX: N frames the agent sends (-> vhost handle_tx -> the TAP's
// receive). Prints one JSON line: the agent's counters and the TAP's own before and after.
// Usage: node vhost-lab.mjs AGENT_BINARY N [agent options...]
import { execFileSync, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const [agent, nArg, ...agentArgs] = process.argv.slice(2);
const N = Number(nArg);
const NS = 'nstvh';
const TAP = 'nstvtap';
const HOST_IP = '10.253.0.1';
const VM_IP = '10.253.0.2';
const VM_MAC = '02:4e:53:00:02:02';
const traffic = fileURLToPath(new URL('../agents/traffic.mjs', import.meta.url));

const run = (cmd, args) => execFileSync(cmd, args, { encoding: 'utf8' });
const ip = (...args) => run('ip', ['-n', NS, ...args]);
const tapStats = () => JSON.parse(ip('-s', '-j', 'link', 'show', 'dev', TAP))[0].stats64;

function cleanup() {
  execFileSync('ip', ['netns', 'del', NS], { stdio: 'ignore' });
}

for (const m of ['tun', 'vhost_net']) run('modprobe', [m]);
try {
  cleanup();
} catch {
  // none left from an earlier run
}
run('ip', ['netns', 'add', NS]);
process.on('exit', () => {
  try {
    cleanup();
  } catch {}
});
run('ip', ['netns', 'exec', NS, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
ip('tuntap', 'add', 'dev', TAP, 'mode', 'tap', 'vnet_hdr');
ip('addr', 'add', `${HOST_IP}/24`, 'dev', TAP);
ip('link', 'set', TAP, 'up');
ip('neigh', 'replace', VM_IP, 'lladdr', VM_MAC, 'dev', TAP, 'nud', 'permanent');
const tapMac = JSON.parse(ip('-j', 'link', 'show', 'dev', TAP))[0].address;

const child = spawn('ip', ['netns', 'exec', NS, agent, TAP, ...agentArgs], { stdio: ['pipe', 'pipe', 'inherit'] });
const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
const next = async () => {
  const r = await lines.next();
  if (r.done) throw new Error('vhost-guest exited');
  return JSON.parse(r.value);
};
const command = async (line) => {
  child.stdin.write(`${line}\n`);
  return next();
};
const ready = await next();

// RX: the namespace sends N datagrams to the "VM"; wait until the agent has taken them all.
const before = tapStats();
const sent = JSON.parse(run('ip', ['netns', 'exec', NS, 'node', traffic, JSON.stringify({ mode: 'udp-send', dst: VM_IP, dport: 9, count: N })]));
let rx = await command('stats');
for (let i = 0; i < 200 && rx.rx.used < N; i++) {
  await new Promise((r) => setTimeout(r, 50));
  rx = await command('stats');
}

// TX: the agent sends N UDP frames from the "VM" to the namespace (an unbound port: counted by the
// TAP's receive; the ICMP errors the stack answers with go to the RX ring, after the RX counts).
const mac = (s) => s.split(':').join('');
const ipHex = (s) => s.split('.').map((x) => Number(x).toString(16).padStart(2, '0')).join('');
const payload = '6e'.repeat(16);
const udp = `2710` + `0009` + (8 + 16).toString(16).padStart(4, '0') + '0000' + payload;
const ipv4 = (() => {
  const h = '45' + '00' + (20 + 8 + 16).toString(16).padStart(4, '0') + '0000' + '4000' + '40' + '11' + '0000' + ipHex(VM_IP) + ipHex(HOST_IP);
  let sum = h.match(/.{4}/g).reduce((a, w) => a + parseInt(w, 16), 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
  return h.slice(0, 20) + (~sum & 0xffff).toString(16).padStart(4, '0') + h.slice(24);
})();
const frame = mac(tapMac) + mac(VM_MAC) + '0800' + ipv4 + udp;
const mid = tapStats();
const tx = await command(`tx ${N} ${frame}`);
let end = tapStats();
for (let i = 0; i < 200 && end.rx.packets - mid.rx.packets < N; i++) {
  await new Promise((r) => setTimeout(r, 50));
  end = tapStats();
}
const last = await command('quit');
console.log(
  JSON.stringify({
    ready,
    sent: sent.sent,
    rx: rx.rx,
    tx: last.tx,
    txSent: tx.tx,
    tap: {
      tx_packets: mid.tx.packets - before.tx.packets,
      tx_dropped: mid.tx.dropped - before.tx.dropped,
      rx_packets: end.rx.packets - mid.rx.packets,
    },
  }),
);
