import { describe, expect, it } from 'vitest';
import { got, unread } from './facts.ts';
import { device, facts } from './fixture.ts';
import { offloads } from './offloads.ts';

describe('offloads', () => {
  it('an offload turned off where the device supports it is a finding; one fixed off is not', () => {
    const d = device('eth0', { off: ['generic-receive-offload'], fixedOff: ['tcp-segmentation-offload'] });
    const r = offloads.check(facts({ ns: { devices: got('d', [d]) } }));
    expect(r.findings.map((f) => [f.subject, f.summary, f.fix])).toEqual([['eth0', 'generic-receive-offload is off (the device supports it)', 'ethtool -K eth0 gro on']]);
    expect(r.findings[0]!.evidence).toEqual([{ name: 'ethtool -k eth0: generic-receive-offload', value: 'off' }]);
  });

  it("a TAP's TSO and checksum offloads are its reader's to set: only GRO and GSO are judged", () => {
    const tap = device('tap0', { tun: 'tap', off: ['tcp-segmentation-offload', 'tx-checksumming', 'rx-checksumming', 'generic-segmentation-offload'] });
    const r = offloads.check(facts({ ns: { devices: got('d', [tap]) } }));
    expect(r.findings.map((f) => f.summary)).toEqual(['generic-segmentation-offload is off (the device supports it)']);
  });

  it("a veth's GRO is off by design (on switches it to NAPI mode): not judged; its other offloads are", () => {
    const veth = device('veth0', { kind: got('ip -d -j link show', 'veth'), off: ['generic-receive-offload', 'generic-segmentation-offload'] });
    const r = offloads.check(facts({ ns: { devices: got('d', [veth]) } }));
    expect(r.findings.map((f) => f.summary)).toEqual(['generic-segmentation-offload is off (the device supports it)']);
    // Without the kind, GRO cannot be judged, and that is said.
    const unknown = device('x0', { kind: unread('ip', 'ip is not installed'), off: ['generic-receive-offload'] });
    const u = offloads.check(facts({ ns: { devices: got('d', [unknown]) } }));
    expect(u.findings).toEqual([]);
    expect(u.unread).toEqual([{ rule: 'offloads', scope: 'netns', what: 'ip', reason: 'ip is not installed' }]);
  });

  it('lo is not judged; a device whose features cannot be read is named', () => {
    const r = offloads.check(facts({ ns: { devices: got('d', [device('lo', { off: ['generic-receive-offload'] }), device('eth0', { features: unread('ethtool', 'ethtool is not installed') })]) } }));
    expect(r.findings).toEqual([]);
    expect(r.checked).toEqual([]);
    expect(r.unread.map((u) => u.what)).toEqual(['ethtool']);
  });
});
