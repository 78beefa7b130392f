import { describe, expect, it } from 'vitest';
import { listText } from './netstrata.ts';
import { doctor, renderDoctor } from './doctor.ts';

describe('netstrata', () => {
  it('lists every tool with its question', () => {
    const text = listText();
    expect(text).toMatch(/^packet_drop_summary\s+Where and why does the kernel drop packets\?$/m);
    expect(text).toMatch(/^packet_drop_details\s+Which packets does the kernel drop\?$/m);
  });

  it.runIf(process.getuid?.() === 0)('doctor asks the kernel and names the flavour each tool would use', () => {
    const r = doctor();
    expect(r.features.btf.answer).toBe('yes');
    expect(r.features.tp_btf.answer).toBe('yes');
    expect(r.tools.find((t) => t.name === 'packet_drop_summary')!.hooks[0]!.flavour).toBe('tp_btf');
    for (const t of r.tools) expect(t.runs).toBe(true);
    const text = renderDoctor(r);
    expect(text).toMatch(/packet_drop_summary\s+skb:kfree_skb: uses tp_btf/);
    // Every flavour not chosen is listed with why it is out or that it is a fallback.
    expect(text).toMatch(/fentry\s+(unavailable: .+|fallback, available)/);
    expect(text).toMatch(/kprobe\s+(unavailable: .+|fallback, available)/);
  });
});
