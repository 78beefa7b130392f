/* The programs of both latency tools: thin handlers around the stage cores of latency_stages.h, in
 * every flavour of every hook (tp_btf, raw_tp and the classic tracepoint; fentry and kprobe for the
 * function stages). The user side keeps one flavour per hook and turns the others off before load. */
#ifndef LATENCY_FLAVOURS_H
#define LATENCY_FLAVOURS_H

#include "netstrata/flavours.h"
#include "latency_stages.h"
/* skb:kfree_skb with its reason, around on_drop (only the tracepoint flavours are used). */
#include "netstrata/kfree_skb_flavours.h"

NST_TP_FLAVOURS(net, netif_receive_skb, (struct sk_buff *skb), on_netif_receive_skb(ctx, skb),
		net_dev_template, on_netif_receive_skb(args, (struct sk_buff *)BPF_CORE_READ(args, skbaddr)))
NST_TP_FLAVOURS(sock, sk_data_ready, (const struct sock *sk), on_sk_data_ready(ctx, sk),
		sk_data_ready, on_sk_data_ready(args, (const struct sock *)BPF_CORE_READ(args, skaddr)))
NST_TP_FLAVOURS(skb, skb_copy_datagram_iovec, (const struct sk_buff *skb, int len), on_skb_copy_datagram_iovec(ctx, skb),
		skb_copy_datagram_iovec, on_skb_copy_datagram_iovec(args, BPF_CORE_READ(args, skbaddr)))
NST_TP_FLAVOURS(sock, sock_recv_length, (struct sock *sk, int ret, int flags), on_sock_recv_length(ctx, sk, ret, flags),
		sock_msg_length, on_sock_recv_length(args, (struct sock *)BPF_CORE_READ(args, sk), BPF_CORE_READ(args, ret),
						     BPF_CORE_READ(args, flags)))
NST_TP_FLAVOURS(net, net_dev_queue, (struct sk_buff *skb), on_net_dev_queue(ctx, skb),
		net_dev_template, on_net_dev_queue(args, (struct sk_buff *)BPF_CORE_READ(args, skbaddr)))
NST_TP_FLAVOURS(qdisc, qdisc_enqueue, (struct Qdisc *q, const struct netdev_queue *txq, struct sk_buff *skb),
		on_qdisc_enqueue(ctx, skb),
		qdisc_enqueue, on_qdisc_enqueue(args, (const struct sk_buff *)BPF_CORE_READ(args, skbaddr)))
NST_TP_FLAVOURS(qdisc, qdisc_dequeue, (struct Qdisc *q, const struct netdev_queue *txq, int packets, struct sk_buff *skb),
		on_qdisc_dequeue(ctx, skb, packets),
		qdisc_dequeue, on_qdisc_dequeue(args, (struct sk_buff *)BPF_CORE_READ(args, skbaddr), BPF_CORE_READ(args, packets)))
NST_TP_FLAVOURS(net, net_dev_start_xmit, (const struct sk_buff *skb, const struct net_device *dev),
		on_net_dev_start_xmit(ctx, skb),
		net_dev_start_xmit, on_net_dev_start_xmit(args, BPF_CORE_READ(args, skbaddr)))
NST_TP_FLAVOURS(net, net_dev_xmit, (struct sk_buff *skb, int rc, struct net_device *dev, unsigned int len),
		on_net_dev_xmit(ctx, skb, rc),
		net_dev_xmit, on_net_dev_xmit(args, (const struct sk_buff *)BPF_CORE_READ(args, skbaddr), BPF_CORE_READ(args, rc)))
NST_TP_FLAVOURS(skb, consume_skb, (struct sk_buff *skb, void *location), on_consume(ctx, skb),
		consume_skb, on_consume(args, (const struct sk_buff *)BPF_CORE_READ(args, skbaddr)))

/* Kernels without those two socket tracepoints (6.1 has neither): the callback every UDP and TCP
 * socket calls when data is queued (sock_def_readable, sk->sk_data_ready), and the end of a UDP read
 * that took one datagram (skb_consume_udp; a peek passes a negative length). */
SEC("fentry/sock_def_readable")
int BPF_PROG(sock_def_readable_fentry, struct sock *sk) { return on_sk_data_ready(ctx, sk); }
SEC("kprobe/sock_def_readable")
int BPF_KPROBE(sock_def_readable_kprobe, struct sock *sk) { return on_sk_data_ready(ctx, sk); }
SEC("fentry/skb_consume_udp")
int BPF_PROG(skb_consume_udp_fentry, struct sock *sk, struct sk_buff *skb, int len) { return on_sock_recv_length(ctx, sk, len, 0); }
SEC("kprobe/skb_consume_udp")
int BPF_KPROBE(skb_consume_udp_kprobe, struct sock *sk, struct sk_buff *skb, int len) { return on_sock_recv_length(ctx, sk, len, 0); }

/* The classic tracepoint does not carry the socket: tp_btf and raw_tp only. */
NST_BTF_FLAVOURS(tcp_sendmsg_locked, (const struct sock *sk), on_tcp_sendmsg_locked(sk))

/* System call tracepoints exist only in the classic flavour. Entry only: a packet checks at the
 * device that its thread is still inside the call. */
#define LAT_SEND_SYSCALL(name)								\
	SEC("tracepoint/syscalls/sys_enter_" #name)					\
	int sys_enter_##name##_tp(struct trace_event_raw_sys_enter *ctx) { return on_send_enter(ctx->id); }
LAT_SEND_SYSCALL(sendto)
LAT_SEND_SYSCALL(sendmsg)
LAT_SEND_SYSCALL(sendmmsg)

/* Function stages, as fentry (BPF trampoline) and kprobe; `skb` names the sk_buff argument. */
#define LAT_FN(func, core, stage, skbarg, ...)						\
	SEC("fentry/" #func)								\
	int BPF_PROG(func##_fentry, __VA_ARGS__) { return core(ctx, skbarg, stage); }	\
	SEC("kprobe/" #func)								\
	int BPF_KPROBE(func##_kprobe, __VA_ARGS__) { return core(ctx, skbarg, stage); }

LAT_FN(ip_rcv, on_rx_fn, LAT_RX_IP, skb, struct sk_buff *skb)
LAT_FN(ipv6_rcv, on_rx_fn, LAT_RX_IP, skb, struct sk_buff *skb)
LAT_FN(ip_local_deliver, on_rx_fn, LAT_RX_LOCAL, skb, struct sk_buff *skb)
LAT_FN(ip6_input, on_rx_fn, LAT_RX_LOCAL, skb, struct sk_buff *skb)
LAT_FN(tcp_v4_rcv, on_rx_fn, LAT_RX_L4, skb, struct sk_buff *skb)
LAT_FN(udp_rcv, on_rx_fn, LAT_RX_L4, skb, struct sk_buff *skb)
LAT_FN(tcp_v6_rcv, on_rx_fn, LAT_RX_L4, skb, struct sk_buff *skb)
LAT_FN(udpv6_rcv, on_rx_fn, LAT_RX_L4, skb, struct sk_buff *skb)
LAT_FN(__ip_queue_xmit, on_tx_fn, LAT_TX_IP, skb, struct sock *sk, struct sk_buff *skb)
LAT_FN(ip6_xmit, on_tx_fn, LAT_TX_IP, skb, const struct sock *sk, struct sk_buff *skb)
LAT_FN(ip_send_skb, on_tx_fn, LAT_TX_IP, skb, struct net *net, struct sk_buff *skb)
LAT_FN(ip6_send_skb, on_tx_fn, LAT_TX_IP, skb, struct sk_buff *skb)
LAT_FN(ip_output, on_tx_fn, LAT_TX_OUTPUT, skb, struct net *net, struct sock *sk, struct sk_buff *skb)
LAT_FN(ip6_output, on_tx_fn, LAT_TX_OUTPUT, skb, struct net *net, struct sock *sk, struct sk_buff *skb)

#endif
