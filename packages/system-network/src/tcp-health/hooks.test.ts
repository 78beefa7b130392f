import { describe, expect, it } from 'vitest';
import { ALL_TCP_HEALTH_HOOKS, probeHook, tcpHealthHooks, writeHook } from './hooks.ts';

describe('tcp_health_summary hooks', () => {
  it('the per-packet tcp:tcp_probe only with --window; every other hook always', () => {
    expect(tcpHealthHooks(false)).not.toContain(probeHook);
    expect(tcpHealthHooks(true)).toEqual(ALL_TCP_HEALTH_HOOKS);
    expect(tcpHealthHooks(false)).toHaveLength(ALL_TCP_HEALTH_HOOKS.length - 1);
  });

  it('each hook has the three tracepoint flavours, BTF first; tcp_sendmsg_locked only the BTF ones (its record has no socket)', () => {
    for (const h of ALL_TCP_HEALTH_HOOKS) {
      const names = h.flavours.map((f) => f.name);
      expect(names, h.name).toEqual(h === writeHook ? ['tp_btf', 'raw_tp'] : ['tp_btf', 'raw_tp', 'tracepoint']);
      const stem = h.name.split(':')[1]!;
      expect(h.flavours.map((f) => f.programs), h.name).toEqual(names.map((n) => [`${stem}_${n === 'tracepoint' ? 'tp' : n}`]));
    }
    // Only RTT samples from reads and writes are optional: a kernel without them still answers the rest.
    expect(ALL_TCP_HEALTH_HOOKS.filter((h) => h.optional).map((h) => h.name)).toEqual(['tcp:tcp_rcv_space_adjust', 'tcp:tcp_sendmsg_locked']);
  });
});
