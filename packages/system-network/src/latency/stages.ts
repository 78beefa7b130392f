/** The stages of bpf/system_network_latency.h by slot, per direction, and the hooks that stamp them. */
import { DIRECTIONS, LAT_STAGES, type Dir } from '../layout.ts';

export interface StageInfo {
  name: string;
  /** Hook names (as in hooks.ts) that stamp the stage; any one of them is enough. */
  hooks: string[];
  /** What the stage means, for --help and the stage list. */
  what: string;
}

/** Stage names by slot, per direction (bpf/system_network_latency.h), and the hooks that stamp each. */
export const STAGES: Record<Dir, StageInfo[]> = {
  rx: [
    { name: 'device', hooks: ['net:netif_receive_skb'], what: 'the device hands the packet to the stack' },
    { name: 'ip_rcv', hooks: ['ip_rcv', 'ipv6_rcv'], what: 'IP receive (function hook)' },
    { name: 'ip_local_deliver', hooks: ['ip_local_deliver', 'ip6_input'], what: 'routed to this host (function hook)' },
    { name: 'l4_rcv', hooks: ['tcp_v4_rcv', 'udp_rcv', 'tcp_v6_rcv', 'udpv6_rcv'], what: 'TCP/UDP receive (function hook)' },
    { name: 'socket_queue', hooks: ['sock:sk_data_ready'], what: 'queued to the socket' },
    { name: 'read', hooks: ['skb:skb_copy_datagram_iovec', 'sock:sock_recv_length'], what: 'read by the application (TCP: the copy; UDP: the recv call)' },
  ],
  tx: [
    { name: 'socket_send', hooks: ['tcp:tcp_sendmsg_locked', 'syscalls:sys_enter_send*'], what: 'the application sends (TCP: the data enters the socket; UDP: sendto/sendmsg/sendmmsg begins)' },
    { name: 'ip_xmit', hooks: ['__ip_queue_xmit', 'ip6_xmit', 'ip_send_skb', 'ip6_send_skb'], what: 'IP transmit (function hook)' },
    { name: 'ip_output', hooks: ['ip_output', 'ip6_output'], what: 'IP output, after netfilter LOCAL_OUT (function hook)' },
    { name: 'dev_queue', hooks: ['net:net_dev_queue'], what: 'dev_queue_xmit: handed to the device layer' },
    { name: 'qdisc_enqueue', hooks: ['qdisc:qdisc_enqueue'], what: 'queued in the root qdisc' },
    { name: 'qdisc_dequeue', hooks: ['qdisc:qdisc_dequeue'], what: 'taken off the qdisc' },
    { name: 'start_xmit', hooks: ['net:net_dev_start_xmit'], what: 'the driver starts sending' },
    { name: 'xmit', hooks: ['net:net_dev_xmit'], what: 'the driver accepted it' },
  ],
};

/** The stages the default mode passes (the others need --stages). RX device is then the kernel's
 * software RX timestamp rather than net:netif_receive_skb. */
export const DEFAULT_STAGES: Record<Dir, string[]> = {
  rx: ['device', 'socket_queue', 'read'],
  tx: ['socket_send', 'dev_queue', 'xmit'],
};

export function stageName(dir: Dir, slot: number): string {
  return STAGES[dir][slot]?.name ?? `stage${slot}`;
}

/** Histogram map index → (direction, from, to); from = to = LAT_E2E is end to end. */
export function histIndex(i: number): { dir: Dir; from: number; to: number } {
  const dir = DIRECTIONS[Math.floor(i / (LAT_STAGES * LAT_STAGES))]!;
  const rest = i % (LAT_STAGES * LAT_STAGES);
  return { dir, from: Math.floor(rest / LAT_STAGES), to: rest % LAT_STAGES };
}
