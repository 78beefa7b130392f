/**
 * Agreement of a TypeScript struct declaration with the C struct in an object's BTF, member by
 * member. Opening an object only parses its ELF, so this runs without privileges.
 */
import type { Btf, BtfType } from '@netstrata/libbpf-ts';
import { StructLayout, type FieldType, type Fields } from './struct.ts';

/** Every way `layout` disagrees with `struct layout.cName` in `btf`; empty when they agree. */
export function layoutMismatches(layout: StructLayout<Fields>, btf: Btf): string[] {
  const out: string[] = [];
  const where = `struct ${layout.cName}`;
  const members = btf.structMembers(layout.cName);
  if (!members) return [`${where}: not in the object's BTF (declare it with NST_BTF_TYPE)`];
  const size = btf.structSize(layout.cName);
  if (size !== layout.size) out.push(`${where}: ${size} bytes in C, ${layout.size} declared`);
  const named = members;
  for (const [i, m] of layout.members.entries()) {
    const c = named[i];
    if (!c) {
      out.push(`${where}.${m.name}: C has no member at position ${i}`);
      continue;
    }
    const at = `${where}.${m.name}`;
    if (c.name !== m.name) out.push(`${at}: C has '${c.name}' in its place`);
    if (c.bitSize) out.push(`${at}: C declares a bitfield`);
    if (c.offset !== m.offset) out.push(`${at}: at offset ${c.offset} in C, ${m.offset} declared`);
    if (c.size !== m.size) out.push(`${at}: ${c.size} bytes in C, ${m.size} declared`);
    out.push(...typeMismatches(at, m.type, c.type, btf));
  }
  if (named.length > layout.members.length) out.push(`${where}: C has ${named.length} members, ${layout.members.length} declared (first missing: ${named[layout.members.length]!.name})`);
  return out;
}

function typeMismatches(at: string, t: FieldType, c: BtfType, btf: Btf): string[] {
  if (typeof t === 'string') return c.kind === 'int' || c.kind === 'enum' ? [] : [`${at}: a ${c.kind} in C, ${t} declared`];
  if (t instanceof StructLayout) {
    if (c.kind !== 'struct' || c.name !== t.cName) return [`${at}: ${c.kind} ${c.name ?? ''} in C, struct ${t.cName} declared`];
    return layoutMismatches(t, btf);
  }
  if (c.kind !== 'array') return [`${at}: a ${c.kind} in C, an array declared`];
  if ('array' in t) {
    if (c.count !== t.length) return [`${at}: ${c.count} elements in C, ${t.length} declared`];
    return c.element && c.element.kind !== 'int' && c.element.kind !== 'enum' ? [`${at}: elements are ${c.element.kind} in C`] : [];
  }
  return [];
}
