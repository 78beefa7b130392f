/** The connection tracking table: entries in use against its limit, and the new connections it
 * already refused. */
import { rule } from './findings.ts';

/** Share of nf_conntrack_max in use from which the table is reported (a burst of new flows then fills it). */
export const CONNTRACK_WARN = 0.8;
/** Share from which it is reported as critical: new flows are about to be dropped. */
export const CONNTRACK_CRITICAL = 0.95;

export const conntrackTable = rule(
  {
    name: 'conntrack-table',
    scope: 'netns',
    title: 'the conntrack table has room: nf_conntrack_count stays below 80 % of nf_conntrack_max, and no new connection was dropped for want of room',
    source: 'Documentation/networking/nf_conntrack-sysctl.rst (nf_conntrack_count, nf_conntrack_max, nf_conntrack_buckets)',
  },
  (facts, c) => {
    const ct = c.need(facts.ns.conntrack);
    if (!ct) return;
    c.check('conntrack');
    const from = facts.ns.conntrack.from;
    const share = ct.max > 0 ? ct.count / ct.max : 0;
    const pct = Math.round(share * 1000) / 10;
    const evidence = [
      { name: 'net.netfilter.nf_conntrack_count', value: ct.count },
      { name: 'net.netfilter.nf_conntrack_max', value: ct.max },
      { name: `${from}: drop`, value: ct.drop },
      { name: `${from}: early_drop`, value: ct.earlyDrop },
    ];
    const refused = ct.drop + ct.earlyDrop;
    const fix = `sysctl -w net.netfilter.nf_conntrack_max=${Math.max(ct.max * 2, Math.ceil(ct.count / 0.5))} (a table at most half full; on kernels where only the initial namespace may set it, set it there), and shorten the timeouts of what fills it (net.netfilter.nf_conntrack_*_timeout)`;
    if (ct.max > 0 && share >= CONNTRACK_WARN) {
      c.find({
        severity: share >= CONNTRACK_CRITICAL ? 'critical' : 'warning',
        subject: 'conntrack',
        about: {},
        summary: `conntrack table ${pct} % full (${ct.count} of ${ct.max} entries)${refused ? `; ${refused} new connections already refused` : ''}`,
        why: 'When the table is full the kernel first evicts an entry that has not seen a reply (early_drop); when it finds none it drops the packet that would create a new connection (drop reason NETFILTER_DROP, counter drop; the kernel log says "table full, dropping packet"). New connections then time out or retransmit their first packet, a latency of seconds.',
        fix,
        evidence,
      });
    } else if (refused) {
      c.find({
        severity: 'warning',
        subject: 'conntrack',
        about: {},
        summary: `conntrack refused ${refused} new connections for want of room (now ${pct} % full: ${ct.count} of ${ct.max})`,
        why: 'The table was full at some time since the namespace was made: the kernel evicted unreplied entries (early_drop) or dropped the packets of new connections (drop). A burst of new flows can fill it again.',
        fix,
        evidence,
      });
    }
  },
);
