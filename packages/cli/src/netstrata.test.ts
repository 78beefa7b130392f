import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { requireRoot } from '@netstrata/bpf-common/testing/root';
import { listText } from './netstrata.ts';
import { doctor, renderDoctor } from './doctor.ts';
import { kvmLoaded, vhostTypes } from '@netstrata/vhost';
import { virtioNet } from '@netstrata/virtio';

describe('netstrata', () => {
  it('lists every tool with its question', () => {
    const text = listText();
    expect(text).toMatch(/^packet_drop_summary\s+Where and why does the kernel drop packets\?$/m);
    expect(text).toMatch(/^packet_drop_details\s+Which packets does the kernel drop\?$/m);
    expect(text).toMatch(/^system_network_latency_summary\s+Where in the host stack do packets spend their time\?$/m);
    expect(text).toMatch(/^system_network_latency_details\s+.+\?$/m);
    expect(text).toMatch(/^system_network_metrics_summary\s+How is the host's network doing\?$/m);
    expect(text).toMatch(/^softirq_latency_summary\s+How late do softirqs run, and how long do they take\?$/m);
    expect(text).toMatch(/^sched_latency_summary\s+How long do chosen threads wait for a CPU once they can run\?$/m);
    expect(text).toMatch(/^offcpu_summary\s+Where do threads spend their time off CPU, and why\?$/m);
    expect(text).toMatch(/^lock_wait_summary\s+Which user-space locks does a process wait on, and for how long\?$/m);
  });

  it.runIf(requireRoot('doctor test'))('doctor asks the kernel and names the flavour each tool would use', () => {
    const r = doctor();
    expect(r.features.btf.answer).toBe('yes');
    expect(r.features.tp_btf.answer).toBe('yes');
    expect(r.tools.find((t) => t.name === 'packet_drop_summary')!.hooks[0]!.flavour).toBe('tp_btf');
    // Every tool runs, but those whose hooks are all in a module this kernel lacks, or that it cannot
    // hook (the vhost tools, where vhost is not loaded or there are no function hooks; the virtio
    // tools outside a guest with a virtio-net NIC; kvm_irqfd_summary without KVM; the OVS tools,
    // where openvswitch is not loaded, and the megaflow one without function hooks).
    const functionHooks = r.features.fentry.answer === 'yes' || r.features.kprobe.answer === 'yes';
    const ovs = existsSync('/sys/module/openvswitch');
    const cannot = [
      ...(functionHooks && vhostTypes() === true ? [] : ['vhost_signal_summary', 'vhost_queue_details']),
      ...(kvmLoaded() === true ? [] : ['kvm_irqfd_summary']),
      ...(virtioNet() === true ? [] : ['virtnet_poll_summary', 'virtnet_irq_summary']),
      ...(ovs ? [] : ['ovs_upcall_latency_summary']),
      ...(ovs && functionHooks ? [] : ['ovs_megaflow_details']),
    ];
    expect(r.tools.filter((t) => !t.runs).map((t) => t.name)).toEqual(cannot);
    const text = renderDoctor(r);
    expect(text).toMatch(/packet_drop_summary: runs\n    skb:kfree_skb: uses tp_btf; fallback raw_tp, tracepoint/);
    // Every flavour not chosen is listed as a fallback or with why it is out.
    const drop = text.split('\n').find((l) => l.includes('skb:kfree_skb: uses'))!;
    for (const f of ['fentry', 'kprobe']) expect(drop).toMatch(new RegExp(`(fallback [^;]*${f}|unavailable .*${f}: )`));
    // Optional stages a kernel cannot hook do not stop a tool; they are named as such.
    const lat = r.tools.find((t) => t.name === 'system_network_latency_summary')!;
    expect(lat.hooks.find((h) => h.hook === 'net:netif_receive_skb')!.flavour).toBe('tp_btf');
    for (const h of lat.hooks.filter((x) => !x.flavour)) expect(h.optional).toBe(true);
    if (r.features.fentry.answer === 'no' && r.features.kprobe.answer === 'no') {
      expect(text).toMatch(/system_network_latency_summary: runs\n[\s\S]*optional, not used: ip_rcv, ipv6_rcv, /);
    }
  });
});

describe('netstrata --help', () => {
  it('breaks its description at word boundaries only, in 80 columns (what a pipe gets)', () => {
    const bin = fileURLToPath(new URL('../dist/netstrata.js', import.meta.url));
    const out = execFileSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
    const text = out.split('\n\n')[1]!;
    expect(text.replace(/\n/g, ' ')).toBe('Find where packets are dropped and delayed on Linux hosts that run virtual machines.');
    expect(text.split('\n').length).toBeGreaterThan(1);
    for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
  });
});
