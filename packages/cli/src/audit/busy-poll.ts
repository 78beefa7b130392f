/** Busy polling (net.core.busy_read, busy_poll) and per-device NAPI interrupt deferral
 * (napi_defer_hard_irqs, gro_flush_timeout). */
import { aboutDevice, rule } from './findings.ts';

/** The largest value Documentation/admin-guide/sysctl/net.rst recommends for busy_read and busy_poll
 * (50 for a few sockets, 100 for several hundred; beyond that, epoll). */
export const BUSY_POLL_RECOMMENDED_MAX_US = 100;

export const busyPoll = rule(
  {
    name: 'busy-poll',
    scope: 'host',
    title: 'net.core.busy_read and net.core.busy_poll are off, or within the values the kernel documentation recommends',
    source: 'Documentation/admin-guide/sysctl/net.rst (busy_read, busy_poll); Documentation/networking/napi.rst (busy polling); socket(7) (SO_BUSY_POLL)',
  },
  (facts, c) => {
    for (const key of ['net.core.busy_read', 'net.core.busy_poll']) {
      const r = facts.host.sysctls[key];
      if (!r) continue;
      const v = c.need(r);
      if (v === undefined) continue;
      c.check(key);
      if (v === 0) continue;
      const over = v > BUSY_POLL_RECOMMENDED_MAX_US;
      const what = key.endsWith('busy_read') ? 'every blocking socket read' : 'every poll() and select() on busy-polling sockets';
      c.find({
        severity: over ? 'warning' : 'info',
        subject: key,
        about: {},
        summary: over ? `busy polling for up to ${v} µs, above the ${BUSY_POLL_RECOMMENDED_MAX_US} µs the kernel documentation recommends` : `busy polling is on: up to ${v} µs`,
        why: `${what[0]!.toUpperCase()}${what.slice(1)} with no data spins on the device queue for up to ${v} µs instead of sleeping. It trims the wake-up latency of those sockets, but the spinning takes CPU time that vCPU threads, vhost workers and softirqs on the same CPUs then wait for.`,
        fix: `sysctl -w ${key}=${over ? 50 : 0}${over ? '' : ' (or keep it, if the latency gain is wanted)'}`,
        evidence: [{ name: r.from, value: v }],
      });
    }
  },
);

export const napiDefer = rule(
  {
    name: 'napi-defer',
    scope: 'netns',
    title: "a device's napi_defer_hard_irqs and gro_flush_timeout work together, and hold packets no longer than they say",
    source: 'Documentation/networking/napi.rst (IRQ mitigation: napi_defer_hard_irqs, gro_flush_timeout); Documentation/ABI/testing/sysfs-class-net',
  },
  (facts, c) => {
    for (const d of c.need(facts.ns.devices) ?? []) {
      const defer = c.need(d.napiDeferHardIrqs);
      const timeout = c.need(d.groFlushTimeout);
      if (defer === undefined || timeout === undefined) continue;
      c.check(d.name);
      const evidence = [
        { name: d.napiDeferHardIrqs.from, value: defer },
        { name: d.groFlushTimeout.from, value: timeout },
      ];
      if (defer > 0 && timeout === 0) {
        c.find({
          severity: 'warning',
          ...aboutDevice(d.name),
          summary: `napi_defer_hard_irqs is ${defer} but gro_flush_timeout is 0: interrupts are never deferred`,
          why: 'Deferring hard interrupts re-arms a timer of gro_flush_timeout ns instead of the device interrupt; with no timeout there is no timer, so the setting does nothing and the device interrupts as before.',
          fix: `echo 20000 > /sys/class/net/${d.name}/gro_flush_timeout (or echo 0 > /sys/class/net/${d.name}/napi_defer_hard_irqs)`,
          evidence,
        });
      } else if (timeout > 0) {
        const us = timeout / 1000;
        c.find({
          severity: 'info',
          ...aboutDevice(d.name),
          summary: `gro_flush_timeout is ${us} µs${defer > 0 ? ` with napi_defer_hard_irqs ${defer}` : ''}: received packets can wait that long`,
          why: `GRO keeps packets it has not flushed until the timer fires instead of at the end of each poll${defer > 0 ? ', and with deferral the device interrupt stays off while polls find work, so a packet waits for the next timer poll' : ''}: fewer interrupts and larger GRO packets, for up to ${us} µs more receive latency per packet.`,
          fix: `echo 0 > /sys/class/net/${d.name}/gro_flush_timeout${defer > 0 ? ` && echo 0 > /sys/class/net/${d.name}/napi_defer_hard_irqs` : ''} (or keep it, if the interrupt savings are wanted)`,
          evidence,
        });
      }
    }
  },
);
