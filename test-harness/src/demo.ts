/**
 * The demo: a routed lab with known faults, packet_drop_summary over live traffic for a few
 * seconds, then what was injected beside what the tool found. Removes the lab on any exit.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Lab, sweepStaleLabs } from './lab.ts';
import { routed } from './topology.ts';
import { sendUdp, startSink } from './traffic.ts';

const SUMMARY = fileURLToPath(new URL('../../packages/packet-drop/dist/packet_drop_summary.js', import.meta.url));

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('the demo builds network namespaces and loads BPF programs: run it as root');
  if (!existsSync(SUMMARY)) throw new Error('packet_drop_summary is not built: run npm run build');
  sweepStaleLabs();
  using lab = Lab.create();
  const { a, r, b } = routed(lab);
  r.nft('table inet demo {\n  chain c {\n    type filter hook forward priority 0; policy accept;\n    udp dport 5353 drop\n  }\n}\n');
  const sink = await startSink(b.ns, { protocol: 'udp', bind: b.v4, port: 8080 });

  const injected = [
    ['UDP to a closed port on b (10.201.2.1:7000)', 'NO_SOCKET', '__udp4_lib_rcv', 200],
    ['firewall on router r drops UDP to :5353', 'NETFILTER_DROP', 'nft_do_chain', 150],
    ['TTL 1 through router r', 'IP_INHDR', 'ip_forward', 100],
    ['destination r has no route to (10.201.99.1)', 'IP_INNOROUTES', 'ip_error', 50],
  ] as const;

  console.log('netstrata demo: hosts a and b routed through r, in network namespaces');
  console.log(`  a ${a.v4}  —  r  —  b ${b.v4}`);
  console.log('Starting packet_drop_summary, then sending traffic: 300 good packets and these faults:');
  for (const [what, , , n] of injected) console.log(`  ${String(n).padStart(4)} × ${what}`);
  console.log('');

  const dir = mkdtempSync(join(tmpdir(), 'nst-demo-'));
  const ready = join(dir, 'ready');
  const tool = spawn(
    process.execPath,
    [SUMMARY, '--ip', '10.201.0.0/16', '--group-by', 'reason,location,device', '--interval', '2', '--duration', '5', '--ready-file', ready],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  const exited = new Promise<number>((res) => tool.once('exit', (code) => res(code ?? 1)));
  while (!existsSync(ready)) {
    if (tool.exitCode !== null) throw new Error('packet_drop_summary exited before it was ready');
    await new Promise((res) => setTimeout(res, 20));
  }
  sendUdp(a.ns, { dst: b.v4, dport: 8080, count: 300 });
  sendUdp(a.ns, { dst: b.v4, dport: 7000, count: 200 });
  sendUdp(a.ns, { dst: b.v4, dport: 5353, count: 150 });
  sendUdp(a.ns, { dst: b.v4, dport: 8080, count: 100, ttl: 1 });
  sendUdp(a.ns, { dst: '10.201.99.1', dport: 8080, count: 50 });
  const code = await exited;
  rmSync(dir, { recursive: true, force: true });
  const delivered = await sink.stop();
  console.log('');
  console.log(`Injected (ground truth); ${delivered} of 300 good packets were delivered:`);
  for (const [what, reason, location, n] of injected) console.log(`  ${String(n).padStart(4)}  ${reason.padEnd(15)} ${location.padEnd(16)} ${what}`);
  console.log('');
  console.log('Removing the lab.');
  if (code !== 0) process.exitCode = code;
}

main().catch((err: unknown) => {
  console.error(`demo: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
