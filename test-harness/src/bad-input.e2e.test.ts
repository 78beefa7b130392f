/**
 * Bad input, across every tool: a malformed address, prefix, port, protocol, interval, threshold,
 * an unknown interface, namespace or process, conflicting or unknown options, a stray argument,
 * a missing privilege. Each is exit status 2, one line on stderr that names the problem, nothing
 * on stdout, and not one bpf(2) call: rejected before anything is loaded.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, TOOL_LIST, bpfState, programsAddedSince, requireRoot, runToolOnce, toolPath, type Netns } from './index.ts';

const run = requireRoot('bad-input tests');

// lock_wait_summary needs a live process mapping the C library; the other cases a lab namespace.
let target: ChildProcess | undefined;
let lab: Lab | undefined;
let ns: Netns | undefined;
beforeAll(() => {
  if (!run) return;
  target = spawn('sleep', ['600'], { stdio: 'ignore' });
  lab = Lab.create();
  ns = lab.netns('x');
});
afterAll(() => {
  target?.kill('SIGKILL');
  lab?.destroy();
});

interface Case {
  /** The tool's key (toolPath). */
  tool: string;
  /** Arguments; functions see the lab namespace and the target pid. */
  args: (string | (() => string))[];
  message: RegExp;
  unprivileged?: boolean;
}

const PID = () => String(target!.pid);
const NS = () => ns!.name;
// No process has this id (pid_max is at most 2^22).
const NO_PID = '999999999';

const CASES: Case[] = [
  // packet_drop_summary
  { tool: 'packetDropSummary', args: ['--src-ip', '10.0.0.300'], message: /^--src-ip: '10\.0\.0\.300' is not an IPv4 or IPv6 address/ },
  { tool: 'packetDropSummary', args: ['--ip', '10.0.0.0/abc'], message: /^--ip: '10\.0\.0\.0\/abc' .*malformed prefix length/ },
  { tool: 'packetDropSummary', args: ['--ip', '10.0.0.1/33'], message: /^--ip: '10\.0\.0\.1\/33' has prefix length 33, IPv4 allows 1-32$/ },
  { tool: 'packetDropSummary', args: ['--group-by', 'reason,bogus'], message: /^--group-by: 'bogus' is not one of reason, location, stack, device, flow$/ },
  { tool: 'packetDropSummary', args: ['--group-by', ''], message: /^--group-by: give at least one of reason, location, stack, device, flow$/ },
  { tool: 'packetDropSummary', args: ['--reason', 'NOT_A_REASON'], message: /^--reason: 'NOT_A_REASON' is not a drop reason of this kernel/ },
  { tool: 'packetDropSummary', args: ['--interval', 'soon'], message: /^--interval: 'soon' is not a number$/ },
  { tool: 'packetDropSummary', args: ['--top', '0'], message: /^--top: '0' must be at least 1$/ },
  { tool: 'packetDropSummary', args: ['--src-ip', '10.0.0.1', '--src-ip', '10.0.0.2'], message: /^--src-ip: given more than once$/ },
  { tool: 'packetDropSummary', args: ['--output'], message: /^--output: needs a value$/ },
  { tool: 'packetDropSummary', args: ['--netns', '123456789'], message: /^--netns: no network namespace has inode 123456789$/ },
  // packet_drop_details
  { tool: 'packetDropDetails', args: ['--dst-ip', 'fd00::/129'], message: /^--dst-ip: 'fd00::\/129' has prefix length 129, IPv6 allows 1-128$/ },
  { tool: 'packetDropDetails', args: ['--src-ip', '10.0.0.1', '--dst-ip', 'fd00::1'], message: /^--src-ip\/--dst-ip\/--ip: mix IPv4 and IPv6; one family per run$/ },
  { tool: 'packetDropDetails', args: ['--src-port', '70000'], message: /^--src-port: '70000' must be at most 65535$/ },
  { tool: 'packetDropDetails', args: ['--protocol', 'sctp'], message: /^--protocol: 'sctp' is not one of tcp, udp, icmp$/ },
  { tool: 'packetDropDetails', args: ['--protocol', 'icmp', '--dst-port', '53'], message: /^--protocol icmp: ICMP has no ports/ },
  { tool: 'packetDropDetails', args: ['--ring-size', '100'], message: /^--ring-size: must be a power of two$/ },
  { tool: 'packetDropDetails', args: ['--ring-size', '32'], message: /^--ring-size: '32' must be at least 64$/ },
  { tool: 'packetDropDetails', args: ['--stack=maybe'], message: /^--stack: 'maybe' is not true or false/ },
  { tool: 'packetDropDetails', args: ['--no-such-flag'], message: /^unknown option --no-such-flag$/ },
  { tool: 'packetDropDetails', args: ['extra-positional'], message: /^unexpected argument 'extra-positional' \(options start with --\)$/ },
  // system_network_metrics_summary
  { tool: 'systemNetworkMetricsSummary', args: ['--prometheus', '99999'], message: /^--prometheus: '99999' has a port out of range 1\.\.65535$/ },
  { tool: 'systemNetworkMetricsSummary', args: ['--prometheus', 'foo:80'], message: /^--prometheus: 'foo:80' has 'foo', which is not an IPv4 or IPv6 address$/ },
  { tool: 'systemNetworkMetricsSummary', args: ['--src-ip', '10.0.0.1'], message: /^unknown option --src-ip$/ },
  { tool: 'systemNetworkMetricsSummary', args: ['--napi=maybe'], message: /^--napi: 'maybe' is not true or false/ },
  { tool: 'systemNetworkMetricsSummary', args: ['--interface', 'nosuchdev0'], message: /^--interface: no device 'nosuchdev0' in this network namespace$/ },
  { tool: 'systemNetworkMetricsSummary', args: ['--interface', 'a/b'], message: /^--interface: not a valid device name$/ },
  { tool: 'systemNetworkMetricsSummary', args: ['--netns', 'nosuchns'], message: /^--netns: no network namespace 'nosuchns'/ },
  // system_network_latency_summary
  { tool: 'systemNetworkLatencySummary', args: ['--direction', 'up'], message: /^--direction: "up" is not one of "rx", "tx", "both"$/ },
  { tool: 'systemNetworkLatencySummary', args: ['--dst-port', '65536'], message: /^--dst-port: '65536' must be at most 65535$/ },
  { tool: 'systemNetworkLatencySummary', args: ['--port', 'http'], message: /^--port: 'http' is not a number$/ },
  { tool: 'systemNetworkLatencySummary', args: ['--netns', '123', '--interface', 'lo'], message: /^--netns: no network namespace has inode 123$/ },
  { tool: 'systemNetworkLatencySummary', args: ['--src-ip', '10.0.0.0/8', '--ip', 'fd00::/8'], message: /^--src-ip\/--dst-ip\/--ip: mix IPv4 and IPv6/ },
  { tool: 'systemNetworkLatencySummary', args: ['--max-sessions', '10'], message: /^--max-sessions: '10' must be at least 64$/ },
  { tool: 'systemNetworkLatencySummary', args: ['--interval', '-1'], message: /^--interval: '-1' must be greater than 0$/ },
  { tool: 'systemNetworkLatencySummary', args: ['--sample', '0'], message: /^--sample: '0' must be at least 1$/ },
  { tool: 'systemNetworkLatencySummary', args: ['--sample', '2.5'], message: /^--sample: '2.5' is not a whole number$/ },
  { tool: 'systemNetworkLatencySummary', args: ['--sample', 'all'], message: /^--sample: 'all' is not a number$/ },
  // system_network_latency_details
  { tool: 'systemNetworkLatencyDetails', args: ['--latency-threshold-us', '-1'], message: /^--latency-threshold-us: '-1' must be at least 0$/ },
  { tool: 'systemNetworkLatencyDetails', args: ['--sample', '-3'], message: /^--sample: '-3' must be at least 1$/ },
  { tool: 'systemNetworkLatencyDetails', args: ['--latency-threshold-us', 'abc'], message: /^--latency-threshold-us: 'abc' is not a number$/ },
  { tool: 'systemNetworkLatencyDetails', args: ['--latency-threshold-us'], message: /^--latency-threshold-us: needs a value$/ },
  { tool: 'systemNetworkLatencyDetails', args: ['--ring-size', '96'], message: /^--ring-size: must be a power of two$/ },
  { tool: 'systemNetworkLatencyDetails', args: ['--duration', '-5'], message: /^--duration: '-5' must be at least 0$/ },
  { tool: 'systemNetworkLatencyDetails', args: ['--netns', NS, '--interface', 'nosuchdev0'], message: /^--interface: no device 'nosuchdev0' in network namespace nstlab\w+-x$/ },
  // packet_path_summary, packet_path_details
  { tool: 'packetPathSummary', args: [], message: /^--rx-interface: required \(where requests enter this host\)$/ },
  { tool: 'packetPathSummary', args: ['--rx-interface', 'lo', '--tx-interface', 'lo'], message: /^--tx-interface: lo is also the --rx-interface/ },
  { tool: 'packetPathSummary', args: ['--rx-interface', 'lo', '--tx-interface', 'lo', '--interface', 'lo'], message: /^unknown option --interface$/ },
  { tool: 'packetPathDetails', args: ['--rx-interface', 'lo', '--tx-interface', 'nosuchdev0'], message: /^--tx-interface: no device 'nosuchdev0'/ },
  { tool: 'packetPathDetails', args: ['--timeout-ms', '5'], message: /^--timeout-ms: at least 10$/ },
  // icmp_rtt_details
  { tool: 'icmpRttDetails', args: [], message: /^--tx-interface: required/ },
  { tool: 'icmpRttDetails', args: ['--tx-interface', 'lo', '--latency-threshold-us', '-1'], message: /^--latency-threshold-us: '-1' must be at least 0$/ },
  // softirq_latency_summary
  { tool: 'softirqLatencySummary', args: ['--cpu', '9999'], message: /^--cpu: CPU 9999 does not exist here \(CPUs 0-\d+\)$/ },
  { tool: 'softirqLatencySummary', args: ['--cpu', '1-0'], message: /^--cpu: '1-0': the range runs backwards$/ },
  { tool: 'softirqLatencySummary', args: ['--vector', 'bogus'], message: /^--vector: unknown softirq 'bogus' \(this kernel has .*net_rx/ },
  { tool: 'softirqLatencySummary', args: ['--top', '2.5'], message: /^--top: '2\.5' is not a whole number$/ },
  // sched_latency_summary
  { tool: 'schedLatencySummary', args: ['--pid', NO_PID], message: /^--pid: no process 999999999$/ },
  { tool: 'schedLatencySummary', args: ['--tid', '0'], message: /^--tid: '0' must be greater than 0$/ },
  { tool: 'schedLatencySummary', args: ['--comm', 'a*b'], message: /^--comm: 'a\*b' is not a name prefix: only a trailing \* is understood$/ },
  { tool: 'schedLatencySummary', args: ['--comm', 'abcdefghijklmnopq'], message: /^--comm: 'abcdefghijklmnopq' is longer than a thread name \(15 bytes\)$/ },
  { tool: 'schedLatencySummary', args: ['--no-preempted=yes'], message: /^--no-preempted: 'yes' is not true or false/ },
  // offcpu_summary
  { tool: 'offcpuSummary', args: ['--user-threads-only', '--kernel-threads-only'], message: /^--user-threads-only and --kernel-threads-only exclude each other$/ },
  { tool: 'offcpuSummary', args: ['--state', 'Z'], message: /^--state: 'Z' is not one of R, S, D, I, T, P$/ },
  { tool: 'offcpuSummary', args: ['--min-block-us', '-3'], message: /^--min-block-us: '-3' must be at least 0$/ },
  { tool: 'offcpuSummary', args: ['--min-block-us', '100', '--max-block-us', '10'], message: /^--max-block-us: 10 is below --min-block-us 100$/ },
  { tool: 'offcpuSummary', args: ['--pid', 'abc'], message: /^--pid: 'abc' is not a number$/ },
  // lock_wait_summary
  { tool: 'lockWaitSummary', args: [], message: /^--pid: required \(the process whose locks to watch\)$/ },
  { tool: 'lockWaitSummary', args: ['--pid', NO_PID], message: /^--pid: no process 999999999$/ },
  { tool: 'lockWaitSummary', args: ['--pid', '1.5'], message: /^--pid: '1\.5' is not a whole number$/ },
  { tool: 'lockWaitSummary', args: ['--pid', PID, '--min-wait-us', '-1'], message: /^--min-wait-us: '-1' must be at least 0$/ },
  { tool: 'lockWaitSummary', args: ['--pid', '2'], message: /^--pid: process 2 maps no library with pthread_mutex_lock/ },
  // A user without privileges, every tool (lock_wait_summary cannot even read its target's maps).
  ...TOOL_LIST.filter((t) => t.name !== 'lock_wait_summary').map(
    (t): Case => ({ tool: t.key, args: [], message: /^needs root \(or CAP_BPF and CAP_PERFMON\) to load BPF programs; run it with sudo$/, unprivileged: true }),
  ),
  { tool: 'lockWaitSummary', args: ['--pid', PID], message: /^--pid: cannot read the memory map of process \d+ \(permission denied\): run as root$/, unprivileged: true },
];

/** Binary names by key, from the registry: what each line of stderr starts with. */
const NAMES: Record<string, string> = Object.fromEntries(TOOL_LIST.map((t) => [t.key, t.name]));

describe.runIf(run)('bad input: one line naming the problem, exit 2, nothing loaded', () => {
  it('the corpus covers every tool', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(40);
    expect(new Set(CASES.map((c) => c.tool))).toEqual(new Set(Object.keys(NAMES)));
    // Distinct invocations: no case is another one run twice.
    const keys = CASES.map((c) => `${c.tool} ${c.unprivileged ? 'unprivileged ' : ''}${c.args.map((a) => (typeof a === 'string' ? a : a.name)).join(' ')}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('the bpf(2) trace sees a valid invocation load (the check below can fail)', () => {
    const r = runToolOnce(toolPath('packetDropSummary'), ['--duration', '0.1'], { traceBpf: true });
    expect(r.exitCode).toBe(0);
    expect(r.bpfCalls).toEqual(expect.arrayContaining(['BPF_MAP_CREATE', 'BPF_PROG_LOAD']));
  });

  for (const c of CASES) {
    const shown = c.args.map((a) => (typeof a === 'string' ? (a === '' ? "''" : a) : `<${a.name}>`)).join(' ');
    it(`${NAMES[c.tool]}${c.unprivileged ? ' (unprivileged)' : ''} ${shown}`, () => {
      const before = bpfState();
      const args = c.args.map((a) => (typeof a === 'string' ? a : a()));
      const r = runToolOnce(toolPath(c.tool), args, { unprivileged: c.unprivileged, traceBpf: true });
      expect(r.exitCode).toBe(2);
      const lines = r.stderr.split('\n').filter((l) => l !== '');
      expect(lines).toHaveLength(1);
      const prefix = `${NAMES[c.tool]}: `;
      expect(lines[0]!.startsWith(prefix)).toBe(true);
      expect(lines[0]!.slice(prefix.length)).toMatch(c.message);
      expect(r.stdout).toBe('');
      // Not one bpf(2) call: no feature probe, no map, no program, not even for a moment.
      expect(r.bpfCalls).toEqual([]);
      expect(programsAddedSince(before).filter((n) => OURS.test(n))).toEqual([]);
    });
  }
});

// Names (as the kernel truncates them) of our programs and feature probes: what a leak would show.
const OURS = /^(kfree_skb_|probe_|netif_receive|sk_data_ready|skb_copy_datag|sock_recv_lengt|net_dev_|qdisc_|consume_skb_|tcp_sendmsg_loc|sys_enter_|sys_exit_|softirq_|sched_|offcpu_|lock_|futex_|mutex_|rwlock_)/;
