import { describe, expect, it } from 'vitest';
import { timeOfDay } from '../time/clock.ts';
import { dropEventHeadText, locationText } from './render.ts';

describe('locationText', () => {
  it('writes the offset in hex after the symbol', () => {
    expect(locationText({ symbol: 'nf_hook_slow', offset: 0x7d })).toBe('nf_hook_slow+0x7d');
    expect(locationText({ symbol: '?', offset: 0 })).toBe('?+0x0');
  });
});

describe('dropEventHeadText', () => {
  const time = '2024-05-01T10:20:30.123456789Z';
  const e = { time, cpu: 3, reason: 'NETFILTER_DROP', location: { symbol: 'nft_do_chain', offset: 0x46f, address: '0xffffffff81000000' }, device: 'eth0', ifindex: 2, netns: 4026531840 };

  it('time with microseconds, CPU, reason, location, device and namespace', () => {
    expect(dropEventHeadText(e)).toBe(`${timeOfDay(time, true)} CPU3 NETFILTER_DROP at nft_do_chain+0x46f dev eth0 netns 4026531840`);
    expect(timeOfDay(time, true)).toMatch(/^\d\d:\d\d:\d\d\.123456$/);
  });

  it('a device without a name by its ifindex, none as no dev', () => {
    expect(dropEventHeadText({ ...e, device: '' })).toMatch(/ at nft_do_chain\+0x46f ifindex 2 netns 4026531840$/);
    expect(dropEventHeadText({ ...e, device: '', ifindex: 0 })).toMatch(/ at nft_do_chain\+0x46f no dev netns 4026531840$/);
  });
});
