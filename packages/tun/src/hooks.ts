/** Hooks of the tun tools, with their flavours in order of preference. */
import { existsSync } from 'node:fs';
import { functionFlavours, kernelBtf, moduleMissing, tracepointFlavours, type Hook, type HookFlavour } from '@netstrata/bpf-common';

/** The TAP's private structs (tun_struct, tun_file) are in the kernel's BTF, or in the tun module's
 * once it is loaded (the first TAP or TUN device loads it). */
export function tunTypes(): true | string {
  if (existsSync('/sys/kernel/btf/tun') || kernelBtf().hasType('tun_struct', 'struct')) return true;
  return moduleMissing('tun', 'no TAP or TUN device yet: modprobe tun, or start a VM');
}

const needingTun = (f: HookFlavour): HookFlavour => ({
  ...f,
  available: () => {
    const tp = f.available?.() ?? true;
    return tp === true ? tunTypes() : tp;
  },
});

/** A transmit into a TAP: tun_net_xmit itself where the kernel can hook functions (it runs for
 * TAP/TUN packets only), else net:net_dev_start_xmit, which runs for every device's packets just
 * before the driver's transmit. The programs walk the TAP's private structs. */
export const startXmitHook: Hook = {
  name: 'tun_net_xmit',
  flavours: [...functionFlavours('tun_net_xmit'), ...tracepointFlavours('net:net_dev_start_xmit')].map(needingTun),
};
/** Drops by TAP/TUN devices, with the kernel's reason (bpf-common's netstrata/kfree_skb_flavours.h;
 * only the tracepoint flavours carry the reason). */
export const dropHook: Hook = { name: 'skb:kfree_skb', flavours: tracepointFlavours('skb:kfree_skb') };
/** --dwell: the reader copies the packet out of the TAP (tun_put_user). */
export const copyHook: Hook = { name: 'skb:skb_copy_datagram_iovec', flavours: tracepointFlavours('skb:skb_copy_datagram_iovec') };

export const tunRingHooks = (dwell: boolean): Hook[] => [startXmitHook, dropHook, ...(dwell ? [copyHook] : [])];

/** A read from a TAP queue, for the reader named in tun_ring_details' events: tun_recvmsg (vhost-net
 * reads through the TAP's socket) and tun_chr_read_iter (a process reads /dev/net/tun) where the
 * kernel can hook functions, which run for TAP reads only; else skb:skb_copy_datagram_iovec, which
 * runs for every packet any socket reads, the TAP's picked out. */
export const readHook: Hook = {
  name: 'tun_recvmsg/tun_chr_read_iter',
  flavours: [...functionFlavours('tun_recvmsg', 'tun_chr_read_iter'), ...tracepointFlavours('skb:skb_copy_datagram_iovec')].map(needingTun),
};

export const tunDetailsHooks = (all: boolean): Hook[] => [dropHook, readHook, ...(all ? [startXmitHook] : [])];
