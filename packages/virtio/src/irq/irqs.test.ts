import { describe, expect, it } from 'vitest';
import { parseInterrupts, virtioNetIrqs } from './irqs.ts';

const TEXT = `           CPU0       CPU1
 24:          1          0  IO-APIC   5-edge      ACPI:Ged
 28:          0          0 PCI-MSIX-0000:00:01.0   0-edge      virtio0-config
 31:       2205       2576 PCI-MSIX-0000:00:01.0   3-edge      virtio0-stats
 37:          0          0 PCI-MSIX-0000:00:03.0   0-edge      virtio2-config
 38:      30677      39783 PCI-MSIX-0000:00:03.0   1-edge      virtio2-input.0
 39:      53453          0 PCI-MSIX-0000:00:03.0   2-edge      virtio2-output.0
 40:          7          0 PCI-MSIX-0000:00:04.0   1-edge      virtio3-virtqueues
 11:         12          3   IO-APIC  11-fasteoi   virtio5, uhci_hcd:usb1
NMI:          0          0   Non-maskable interrupts
LOC:     123456     654321   Local timer interrupts
`;

describe('parseInterrupts', () => {
  it('reads each numbered line: its irq, its handlers and its runs per CPU', () => {
    const lines = parseInterrupts(TEXT);
    expect(lines).toHaveLength(8);
    expect(lines.find((l) => l.irq === 38)).toEqual({ irq: 38, names: ['virtio2-input.0'], perCpu: [30677, 39783] });
    expect(lines.find((l) => l.irq === 11)!.names).toEqual(['virtio5', 'uhci_hcd:usb1']);
  });
});

describe('virtioNetIrqs', () => {
  it("keeps the NICs' vectors by name, with their role and queue; other virtio devices' are left out", () => {
    const nics = new Set(['virtio2', 'virtio3', 'virtio5']);
    const irqs = virtioNetIrqs(parseInterrupts(TEXT), (v) => nics.has(v));
    expect(irqs).toEqual([
      { irq: 37, name: 'virtio2-config', virtio: 'virtio2', role: 'config', queue: null },
      { irq: 38, name: 'virtio2-input.0', virtio: 'virtio2', role: 'rx', queue: 0 },
      { irq: 39, name: 'virtio2-output.0', virtio: 'virtio2', role: 'tx', queue: 0 },
      { irq: 40, name: 'virtio3-virtqueues', virtio: 'virtio3', role: 'shared', queue: null },
      { irq: 11, name: 'virtio5', virtio: 'virtio5', role: 'shared', queue: null },
    ]);
  });
});
