/**
 * Names of drop reasons from the running kernel's BTF: numbering differs between kernels, so a
 * table in our code would lie somewhere. Subsystem reasons (the high 16 bits name a subsystem)
 * come from the subsystem's own enum when the kernel has it.
 */
import { Btf } from '@netstrata/libbpf-ts';
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

  /**
   * The reasons `btf` names. A subsystem's reasons (openvswitch's, mac80211's) are the enum whose
   * values carry the subsystem's id in their high 16 bits: in the kernel's BTF, or in its module's
   * (`module(name)`, asked for the first word of the subsystem's name: openvswitch, mac80211) when the
   * module defines them and is loaded.
   */
  static fromBtf(btf: Btf, module: (name: string) => Btf | undefined = () => undefined): DropReasons {
    const core = btf.enumValues('skb_drop_reason');
    if (!core) return new DropReasons(new Map());
    const subsys = new Map<number, Map<number, string>>();
    // enum skb_drop_reason_subsys { SKB_DROP_REASON_SUBSYS_CORE, _MAC80211_UNUSABLE, _OPENVSWITCH, ... }
    const ids = btf.enumValues('skb_drop_reason_subsys');
    if (ids) {
      for (const [id, idName] of ids) {
        if (id === 0 || idName.endsWith('_NUM')) continue;
        const tag = idName.replace('SKB_DROP_REASON_SUBSYS_', '').toLowerCase();
        const values = subsystemReasons(btf, id);
        if (values) {
          subsys.set(id, values);
          continue;
        }
        const mod = module(tag.split('_')[0]!);
        const inModule = mod ? subsystemReasons(mod, id) : undefined;
        if (inModule) subsys.set(id, inModule);
      }
    }
    return new DropReasons(core, subsys);
  }

  /** The running kernel's reasons (its BTF is parsed once per process: kernelBtf). */
  static fromKernel(): DropReasons {
    const kernel = kernelBtf();
    return DropReasons.fromBtf(kernel, (name) => Btf.module(name, kernel));
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
    const want = name.toUpperCase().replace(PREFIX, '');
    const core = this.byName.get(want);
    if (core !== undefined) return core;
    for (const values of this.subsys.values()) for (const [v, n] of values) if (n === want) return v;
    return undefined;
  }

  /** Every name: the core reasons, then the subsystems'. */
  names(): string[] {
    return [...this.byName.keys(), ...[...this.subsys.values()].flatMap((m) => [...m.values()])];
  }
}

/** The reasons of subsystem `id` in any `*_drop_reason` enum of `btf`: those whose values carry the
 * id in their high 16 bits (the enum's own markers, __FOO and FOO_MAX, left out). */
function subsystemReasons(btf: Btf, id: number): Map<number, string> | undefined {
  for (const name of btf.enumNames()) {
    if (!name.endsWith('_drop_reason') || name === 'skb_drop_reason') continue;
    const mine = [...btf.enumValues(name)!].filter(([v, n]) => v >>> SUBSYS_SHIFT === id && !n.startsWith('__') && !n.endsWith('_MAX'));
    if (mine.length) return new Map(mine);
  }
  return undefined;
}
