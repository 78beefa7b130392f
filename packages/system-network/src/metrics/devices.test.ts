import { describe, expect, it } from 'vitest';
import { parseNamespace } from './devices.ts';

const CT_HEADER = 'entries  clashres found new invalid ignore delete chainlength insert insert_failed drop early_drop icmp_error  expect_new expect_create expect_delete search_restart';
const zeros = `${CT_HEADER}\n${new Array(17).fill('00000000').join(' ')}\n`;

describe('one namespace reading', () => {
  it('splits one namespace reading into links, qdiscs and conntrack', () => {
    const links = JSON.stringify([{ ifindex: 2, ifname: 'eth0', stats64: { rx: { bytes: 10, packets: 1 }, tx: { bytes: 10, packets: 1, errors: 0, dropped: 0 } } }]);
    const qdiscs = JSON.stringify([{ kind: 'tbf', handle: '8001:', dev: 'eth0', root: true, bytes: 0, packets: 0, drops: 0, overlimits: 0, requeues: 0, backlog: 0, qlen: 0 }]);
    const sep = '@@netstrata@@\n';
    const r = parseNamespace(`${links}\n${sep}${qdiscs}\n${sep}${zeros}${sep}0\n${sep}65536\n`, 5);
    expect(r.devices.map((d) => d.name)).toEqual(['eth0']);
    expect(r.qdiscs.map((q) => [q.device, q.ifindex, q.kind])).toEqual([['eth0', 2, 'tbf']]);
    expect(r.conntrack).toMatchObject([{ netns: 5, entries: 0, max: 65536 }]);
    // No conntrack and no tc: devices only.
    expect(parseNamespace(`${links}\n${sep}${sep}${sep}${sep}`, 5)).toMatchObject({ qdiscs: [], conntrack: [] });
  });
});
