import { describe, expect, it } from 'vitest';
import { countEvents, subscribed } from './events.ts';

describe('--confirmed events', () => {
  it("counts conntrack -E's NEW lines, and notices lost events", () => {
    const out = [
      '    [NEW] icmp     1 29 src=127.0.0.1 dst=127.0.0.1 type=8 code=0 id=9601 [UNREPLIED] src=127.0.0.1 dst=127.0.0.1 type=0 code=0 id=9601',
      '    [NEW] udp      17 30 src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1',
      '',
    ].join('\n');
    expect(countEvents(out, '')).toEqual({ confirmed: 2, overrun: false });
    expect(countEvents('', 'WARNING: We have hit ENOBUFS! We are losing events.\n')).toEqual({ confirmed: 0, overrun: true });
  });

  it('a process without a subscribed netfilter socket is not subscribed', () => {
    expect(subscribed(process.pid)).toBe(false);
    expect(subscribed(0)).toBe(false);
  });
});
