/** Hooks of tcp_health_summary, with their flavours in order of preference. Each runs per event (a
 * state change, a retransmission, a reset, a drop, a read or write call), except tcp:tcp_probe
 * (--window), which runs for every segment an established socket receives. */
import { kernelBtf, tracepointFlavours, type Hook } from '@netstrata/bpf-common';

const tp = (name: string, optional = false): Hook => ({ name, flavours: tracepointFlavours(name), ...(optional ? { optional } : {}) });

export const stateHook = tp('sock:inet_sock_set_state');
export const retransmitHook = tp('tcp:tcp_retransmit_skb');
export const synackHook = tp('tcp:tcp_retransmit_synack');
export const sendResetHook = tp('tcp:tcp_send_reset');
export const receiveResetHook = tp('tcp:tcp_receive_reset');
/** bpf-common's netstrata/kfree_skb_flavours.h: only the tracepoint flavours carry the reason. */
export const dropHook = tp('skb:kfree_skb');
/** RTT samples from reads: once per chunk a reader takes from the socket's queue. */
export const readHook = tp('tcp:tcp_rcv_space_adjust', true);
/** RTT samples from writes (newer kernels, and only the BTF flavours carry the socket). */
export const writeHook: Hook = { name: 'tcp:tcp_sendmsg_locked', optional: true, flavours: tracepointFlavours('tcp:tcp_sendmsg_locked').filter((f) => f.name !== 'tracepoint') };
/** --window: every segment an established socket receives. */
export const probeHook = tp('tcp:tcp_probe');

export const ALL_TCP_HEALTH_HOOKS: Hook[] = [stateHook, retransmitHook, synackHook, sendResetHook, receiveResetHook, dropHook, readHook, writeHook, probeHook];

export const tcpHealthHooks = (window: boolean): Hook[] => ALL_TCP_HEALTH_HOOKS.filter((h) => h !== probeHook || window);

const hasMember = (record: string, member: string) => kernelBtf().structMembers(record)?.some((m) => m.name === member) ?? false;

/** What this kernel's tracepoints pass (asked of its BTF, not of its version): tcp_retransmit_skb's
 * err (it then fires for failed attempts too) and tcp_send_reset's reason. */
export const tcpHealthKernelRodata = () => ({
  targ_retrans_err: hasMember('trace_event_raw_tcp_retransmit_skb', 'err'),
  targ_rst_reason: hasMember('trace_event_raw_tcp_send_reset', 'reason'),
});

/** enum sk_rst_reason's names on this kernel (prefix removed); empty where it has none. */
export function resetReasons(): (code: number) => string {
  const values = kernelBtf().enumValues('sk_rst_reason') ?? new Map<number, string>();
  return (code) => values.get(code)?.replace(/^SK_RST_REASON_/, '') ?? (values.size ? `UNKNOWN_${code}` : 'NOT_SPECIFIED');
}
