/** Hooks of icmp_rtt_details, with their flavours in order of preference: the device tracepoints
 * and the socket and send-call hooks the latency tools use (the same programs' names), function
 * stages where the kernel can hook functions, and the OVS datapath where its module is loaded. */
import { functionFlavours, moduleTracepointFlavours, type FlavourChoice, type Hook } from '@netstrata/bpf-common';
import { netDevXmitHook, netifReceiveSkbHook } from '../hooks.ts';
import { RX_FUNCTION_HOOKS, netDevQueueHook, netDevStartXmitHook, sockDataReadyHook, udpSendHook } from '../latency/hooks.ts';
import { STAGE_NAMES, type StageName } from './layout.ts';

const fn = (name: string): Hook => ({ name, optional: true, flavours: functionFlavours(name) });
const ovs = (event: string): Hook => ({ name: event, flavours: moduleTracepointFlavours('openvswitch', event), optional: true });

export const ipRcvHooks: Hook[] = RX_FUNCTION_HOOKS.filter((h) => h.name === 'ip_rcv' || h.name === 'ipv6_rcv');
export const forwardHooks: Hook[] = ['ip_forward', 'ip6_forward'].map(fn);
export const icmpRcvHooks: Hook[] = ['icmp_rcv', 'icmpv6_rcv'].map(fn);
export const ovsHooks: Hook[] = [ovs('openvswitch:ovs_dp_upcall'), ovs('openvswitch:ovs_do_execute_action')];
/** The pinger's send call: the same system call tracepoints as the latency tools' UDP send stage. */
export const sendHook: Hook = udpSendHook;

const DEVICE_HOOKS = [netifReceiveSkbHook, netDevQueueHook, netDevStartXmitHook, netDevXmitHook];

/** Forwarded pings (--rx-interface) and pings this host sends. */
export function pingHooks(forwarded: boolean): Hook[] {
  return forwarded ? [...DEVICE_HOOKS, ...ipRcvHooks, ...forwardHooks, ...ovsHooks] : [sendHook, ...DEVICE_HOOKS, ...ipRcvHooks, ...icmpRcvHooks, sockDataReadyHook];
}

export const ALL_PING_HOOKS: Hook[] = [sendHook, ...DEVICE_HOOKS, ...ipRcvHooks, ...forwardHooks, ...icmpRcvHooks, sockDataReadyHook, ...ovsHooks];

/** The hooks that stamp each stage (any one is enough). */
export const STAGE_HOOKS: Record<StageName, string[]> = {
  send: [sendHook.name],
  receive: [netifReceiveSkbHook.name],
  ip_rcv: ipRcvHooks.map((h) => h.name),
  forward: forwardHooks.map((h) => h.name),
  ovs_upcall: ['openvswitch:ovs_dp_upcall'],
  ovs: ['openvswitch:ovs_do_execute_action'],
  icmp_rcv: icmpRcvHooks.map((h) => h.name),
  dev_queue: [netDevQueueHook.name],
  start_xmit: [netDevStartXmitHook.name],
  xmit: [netDevXmitHook.name],
  socket: [sockDataReadyHook.name],
};

/** The stages each leg can pass, in path order. */
export function legStageNames(forwarded: boolean): { request: StageName[]; reply: StageName[] } {
  const through: StageName[] = ['receive', 'ip_rcv', 'forward', 'ovs_upcall', 'ovs', 'dev_queue', 'start_xmit', 'xmit'];
  return forwarded
    ? { request: through, reply: through }
    : { request: ['send', 'dev_queue', 'start_xmit', 'xmit'], reply: ['receive', 'ip_rcv', 'icmp_rcv', 'socket'] };
}

/** What a run measures: for each leg, its stages with the flavour of their hooks, and the stages
 * not measured with why (the flavours' reasons, once each). Pure. */
export function stageLines(forwarded: boolean, choices: readonly FlavourChoice[]): string[] {
  const byHook = new Map(choices.map((c) => [c.hook, c]));
  const out: string[] = [];
  const off = new Map<string, Set<StageName>>();
  for (const [leg, names] of Object.entries(legStageNames(forwarded))) {
    const on: string[] = [];
    for (const name of names) {
      const active: string[] = [];
      const why = new Set<string>();
      for (const h of STAGE_HOOKS[name]) {
        const c = byHook.get(h);
        if (c?.chosen) active.push(`${h} ${c.chosen.name}`);
        else if (c) why.add(c.rejected.map((r) => `${r.flavour}: ${r.reason}`).join('; '));
      }
      if (active.length) on.push(`${name} [${active.join(', ')}]`);
      else {
        const w = [...why].join(' | ') || 'no hook';
        off.set(w, (off.get(w) ?? new Set()).add(name));
      }
    }
    out.push(`${leg} stages: ${on.join(' -> ')}`);
  }
  for (const [why, names] of off) out.push(`${names.size > 1 ? 'stages' : 'stage'} ${[...names].join(', ')} not measured: ${why}`);
  return out;
}

export { STAGE_NAMES };
