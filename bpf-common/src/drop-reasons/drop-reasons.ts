/**
 * Names of drop reasons from the running kernel's BTF: numbering differs between kernels, so a
 * table in our code would lie somewhere. Subsystem reasons (the high 16 bits name a subsystem)
 * come from the subsystem's own enum when the kernel has it.
 */
import type { Btf } from '@netstrata/libbpf-ts';
import { kernelBtf } from '../features/kernel-btf.ts';

const PREFIX = 'SKB_DROP_REASON_';
const SUBSYS_SHIFT = 16;

export class DropReasons {
  private readonly byCode: Map<number, string>;
  private readonly byName: Map<string, number>;
  private readonly subsys: Map<number, Map<number, string>>;

  constructor(core: Map<number, string>, subsys = new Map<number, Map<number, string>>()) {
    this.byCode = new Map([...core].map(([v, n]) => [v, n.startsWith(PREFIX) ? n.slice(PREFIX.length) : n]));
    this.byName = new Map([...this.byCode].map(([v, n]) => [n, v]));
    this.subsys = subsys;
  }

  static fromBtf(btf: Btf): DropReasons {
    const core = btf.enumValues('skb_drop_reason');
    if (!core) return new DropReasons(new Map());
    const subsys = new Map<number, Map<number, string>>();
    // enum skb_drop_reason_subsys { SKB_DROP_REASON_SUBSYS_CORE, _MAC80211_UNUSABLE, _OPENVSWITCH, ... }
    const ids = btf.enumValues('skb_drop_reason_subsys');
    if (ids) {
      const enums = btf.enumNames().filter((n) => n.endsWith('_drop_reason') && n !== 'skb_drop_reason');
      for (const [id, idName] of ids) {
        const tag = idName.replace('SKB_DROP_REASON_SUBSYS_', '').toLowerCase();
        const match = enums.find((e) => tag.split('_').some((part) => part.length > 2 && e.startsWith(part)));
        const values = match ? btf.enumValues(match) : undefined;
        if (values && id !== 0) subsys.set(id, values);
      }
    }
    return new DropReasons(core, subsys);
  }

  /** The running kernel's reasons (its BTF is parsed once per process: kernelBtf). */
  static fromKernel(): DropReasons {
    return DropReasons.fromBtf(kernelBtf());
  }

  get size(): number {
    return this.byCode.size;
  }

  name(code: number): string {
    const core = this.byCode.get(code);
    if (core) return core;
    const sub = code >>> SUBSYS_SHIFT;
    const name = this.subsys.get(sub)?.get(code);
    if (name) return name;
    return `UNKNOWN_${code}`;
  }

  code(name: string): number | undefined {
    return this.byName.get(name.toUpperCase().replace(PREFIX, ''));
  }

  names(): string[] {
    return [...this.byName.keys()];
  }
}
