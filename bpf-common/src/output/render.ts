/** Text shared by the records of dropped packets (packet_drop_details, conntrack_details). Pure. */
import { timeOfDay } from '../time/clock.ts';

/** A place in the kernel's code: a symbol and the offset into it. */
export interface KernelLocation {
  symbol: string;
  offset: number;
}

/** `symbol+0xoffset`. */
export function locationText(l: KernelLocation): string {
  return `${l.symbol}+0x${l.offset.toString(16)}`;
}

/** The fields a record of one dropped packet carries first: where the drop ran, the packet's
 * device and namespace, the kernel's reason, where it freed the packet, and the packet's length. */
export interface DropEventHead {
  time: string;
  cpu: number;
  pid: number;
  comm: string;
  netns: number;
  ifindex: number;
  device: string;
  reason: string;
  reason_code: number;
  location: KernelLocation & { address: string };
  len: number;
}

/** How a dropped packet's text line begins:
 * `HH:MM:SS.uuuuuu CPUn REASON at symbol+0xoff dev NAME netns N` (`ifindex N` for a device
 * without a name, `no dev` without a device). */
export function dropEventHeadText(e: Pick<DropEventHead, 'time' | 'cpu' | 'reason' | 'location' | 'device' | 'ifindex' | 'netns'>): string {
  const dev = e.device ? `dev ${e.device}` : e.ifindex ? `ifindex ${e.ifindex}` : 'no dev';
  return `${timeOfDay(e.time, true)} CPU${e.cpu} ${e.reason} at ${locationText(e.location)} ${dev} netns ${e.netns}`;
}
