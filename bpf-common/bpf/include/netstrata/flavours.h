/* One tracepoint hook in each of its flavours, as thin handlers around one core, one line per hook.
 * The user side keeps the flavour the kernel supports and turns the others off before load.
 *
 *   NST_TP_FLAVOURS(category, event, (BTF-typed arguments), core call, record, core call from args)
 *
 * defines <event>_tp_btf on tp_btf/<event> and <event>_raw_tp on raw_tp/<event>, whose core call
 * sees the arguments by name and the program context as `ctx` (BPF_PROG), and <event>_tp on
 * tracepoint/<category>/<event>, whose core call reads `args`, the struct trace_event_raw_<record>,
 * by CO-RE. NST_BTF_FLAVOURS defines only the first two, for a hook whose classic record lacks what
 * the core needs. A hook whose classic flavour needs more than one expression is written out. */
#ifndef NETSTRATA_FLAVOURS_H
#define NETSTRATA_FLAVOURS_H

#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

/* The parenthesised argument list becomes BPF_PROG's own arguments. */
#define NST_EXPAND(...) __VA_ARGS__
#define NST_BPF_PROG(name, ...) BPF_PROG(name, __VA_ARGS__)

#define NST_BTF_FLAVOURS(event, proto, call)						\
	SEC("tp_btf/" #event)								\
	int NST_BPF_PROG(event##_tp_btf, NST_EXPAND proto) { return call; }		\
	SEC("raw_tp/" #event)								\
	int NST_BPF_PROG(event##_raw_tp, NST_EXPAND proto) { return call; }

#define NST_TP_FLAVOURS(category, event, proto, call, record, tp_call)		\
	NST_BTF_FLAVOURS(event, proto, call)						\
	SEC("tracepoint/" #category "/" #event)						\
	int event##_tp(struct trace_event_raw_##record *args) { return tp_call; }

#endif
