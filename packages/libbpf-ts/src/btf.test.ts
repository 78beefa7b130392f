import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import layoutObject from '../build/bpf/test_layout.bpf.o';
import { Btf, BTF_KIND, type BtfMember } from './btf.ts';
import { BpfObject } from './object.ts';

/** Where each string starts in a string section of `strings`, in order, each ended by a NUL. */
function offsetsOf(strings: readonly string[]): Record<string, number> {
  const offs: Record<string, number> = {};
  let len = 0;
  for (const s of strings) {
    offs[s] = len;
    len += Buffer.byteLength(s) + 1;
  }
  return offs;
}

/** A BTF blob: the header, the type section of `words`, the string section of `strings`. */
function assemble(words: readonly number[], strings: readonly string[]): Uint8Array {
  const typeBytes = Buffer.alloc(words.length * 4);
  words.forEach((w, i) => typeBytes.writeUInt32LE(w >>> 0, i * 4));
  const strBytes = Buffer.concat(strings.map((s) => Buffer.from(`${s}\0`)));
  const hdr = Buffer.alloc(24);
  hdr.writeUInt16LE(0xeb9f, 0);
  hdr.writeUInt8(1, 2);
  hdr.writeUInt32LE(24, 4);
  hdr.writeUInt32LE(0, 8);
  hdr.writeUInt32LE(typeBytes.length, 12);
  hdr.writeUInt32LE(typeBytes.length, 16);
  hdr.writeUInt32LE(strBytes.length, 20);
  return new Uint8Array(Buffer.concat([hdr, typeBytes, strBytes]));
}

/** A BTF blob built by hand: header, types, strings. */
function blob(): Uint8Array {
  const strings = ['', 'int', 'color', 'RED', 'BLUE', 'pair', 'a', 'b', 'targ_x', '.rodata', 'f', 'big', 'nib', 'u32', 'legacy', 'packed', 'holder'];
  const offs = offsetsOf(strings);
  const words: number[] = [];
  const type = (name: string, kind: number, vlen: number, sizeOrType: number, ...extra: number[]) =>
    words.push(offs[name]!, ((kind << 24) | vlen) >>> 0, sizeOrType, ...extra);
  type('int', BTF_KIND.INT, 0, 4, 32); // id 1
  type('color', BTF_KIND.ENUM, 2, 4, offs.RED!, 1, offs.BLUE!, -2 >>> 0); // id 2
  type('pair', BTF_KIND.STRUCT, 2, 8, offs.a!, 1, 0, offs.b!, 1, 32); // id 3
  type('targ_x', BTF_KIND.VAR, 0, 1, 1); // id 4
  type('.rodata', BTF_KIND.DATASEC, 1, 8, 4, 4, 4); // id 5
  type('f', BTF_KIND.FUNC, 0, 0); // id 6
  type('big', BTF_KIND.ENUM64, 1, 8, offs.RED!, 5, 1); // id 7: RED = 2^32 + 5
  // Bitfields without kind_flag (older pahole): an INT whose encoding is 4 bits at bit offset 2.
  type('nib', BTF_KIND.INT, 0, 4, (2 << 16) | 4); // id 8
  type('u32', BTF_KIND.TYPEDEF, 0, 1); // id 9
  type('legacy', BTF_KIND.STRUCT, 2, 8, offs.a!, 8, 32, offs.b!, 9, 0); // id 10
  // With kind_flag: the member offset carries the width in its top byte.
  type('packed', BTF_KIND.STRUCT | 0x80, 2, 4, offs.a!, 1, (3 << 24) | 5, offs.b!, 9, 8); // id 11
  type('', BTF_KIND.ARRAY, 0, 0, 9, 1, 3); // id 12: u32[3]
  type('', BTF_KIND.ARRAY, 0, 0, 12, 1, 2); // id 13: u32[2][3]
  type('', BTF_KIND.PTR, 0, 11); // id 14
  type('holder', BTF_KIND.STRUCT, 3, 40, offs.a!, 13, 0, offs.b!, 14, 192, 0, 11, 256); // id 15: anonymous member last
  return assemble(words, strings);
}

/** A module's split BTF over blob(): its names go on from the base's strings. */
function splitBlob(baseStrLen: number, baseRed: number): Uint8Array {
  const strings = ['', 'mod_drop_reason', 'MOD_DROP_X'];
  const local = offsetsOf(strings);
  // One ENUM, its name and one enumerator from the module's strings, one enumerator from the base's.
  const words = [baseStrLen + local.mod_drop_reason!, ((BTF_KIND.ENUM << 24) | 2) >>> 0, 4, baseStrLen + local.MOD_DROP_X!, 0x30001, baseRed, 0x30002];
  return assemble(words, strings);
}

describe('Btf', () => {
  const btf = Btf.parse(blob());

  it("reads a module's split BTF: names from its own strings and from the kernel's", () => {
    const base = blob();
    const strLen = new DataView(base.buffer, base.byteOffset).getUint32(20, true);
    // 'RED' is the base's fourth string: '' int color RED.
    const red = 1 + 4 + 6;
    const split = Btf.parseSplit(splitBlob(strLen, red), btf);
    expect(split.enumValues('mod_drop_reason')).toEqual(new Map([[0x30001, 'MOD_DROP_X'], [0x30002, 'RED']]));
    expect(split.enumNames()).toEqual(['mod_drop_reason']);
    expect(split.enumerator('MOD_DROP_X')).toBe(0x30001);
  });

  it('reads enums, signed and 64-bit', () => {
    expect(btf.enumValues('color')).toEqual(new Map([[1, 'RED'], [-2, 'BLUE']]));
    expect(btf.enumValues('big')).toEqual(new Map([[2 ** 32 + 5, 'RED']]));
    expect(btf.enumValues('nope')).toBeUndefined();
    expect(btf.enumNames().sort()).toEqual(['big', 'color']);
  });

  it('reads datasec variables, struct sizes, functions', () => {
    expect(btf.datasecVariables('.rodata')).toEqual([{ name: 'targ_x', offset: 4, size: 4 }]);
    expect(btf.structSize('pair')).toBe(8);
    expect(btf.hasType('pair', 'struct')).toBe(true);
    expect(btf.hasType('pair', 'union')).toBe(false);
    expect(btf.funcNames()).toEqual(new Set(['f']));
  });

  it('reads member layouts, bitfields with and without kind_flag', () => {
    const legacy = btf.structMembers('legacy')!;
    expect(legacy.map(({ name, offset, bitOffset, bitSize, size }) => ({ name, offset, bitOffset, bitSize, size }))).toEqual([
      { name: 'a', offset: 4, bitOffset: 34, bitSize: 4, size: 4 },
      { name: 'b', offset: 0, bitOffset: 0, bitSize: 0, size: 4 },
    ]);
    expect(legacy[1]!.type).toEqual({ id: 1, kind: 'int', name: 'int', typedef: 'u32', size: 4, signed: false });
    expect(btf.structMembers('packed')!.map(({ name, offset, bitOffset, bitSize }) => ({ name, offset, bitOffset, bitSize }))).toEqual([
      { name: 'a', offset: 0, bitOffset: 5, bitSize: 3 },
      { name: 'b', offset: 1, bitOffset: 8, bitSize: 0 },
    ]);
    const [grid, ptr, anon] = btf.structMembers('holder')!;
    expect(grid).toMatchObject({ name: 'a', size: 24, type: { kind: 'array', count: 2, element: { kind: 'array', count: 3, size: 12, element: { kind: 'int', typedef: 'u32' } } } });
    expect(ptr).toMatchObject({ name: 'b', offset: 24, size: 8, type: { kind: 'ptr', target: { id: 11, kind: 'struct', name: 'packed', size: 4 } } });
    expect(anon).toMatchObject({ name: '', offset: 32, type: { kind: 'struct', id: 11 } });
    expect(btf.structMembers('holder', { flatten: true })!.map((m) => [m.name, m.bitOffset])).toEqual([['a', 0], ['b', 192], ['a', 261], ['b', 264]]);
    expect(btf.typeMembers(14)).toBeUndefined(); // a pointer has no members
    expect(btf.typeMembers(999)).toBeUndefined();
    expect(btf.structMembers('color')).toBeUndefined();
  });

  it('refuses what is not BTF', () => {
    expect(() => Btf.parse(new Uint8Array(32))).toThrow(/not BTF/);
  });

  it.runIf(existsSync('/sys/kernel/btf/vmlinux'))('reads the running kernel', () => {
    const k = Btf.vmlinux();
    expect(k.enumValues('skb_drop_reason')!.size).toBeGreaterThan(50);
    expect(k.hasType('sk_buff', 'struct')).toBe(true);
    // NET_RX_SOFTIRQ lives in an anonymous enum: found by enumerator name alone.
    expect(k.enumerator('NET_RX_SOFTIRQ')).toBeTypeOf('number');
    expect(k.enumerator('NO_SUCH_ENUMERATOR_HERE')).toBeUndefined();
    // The whole anonymous enum around an enumerator: the softirq vectors, counted by NR_SOFTIRQS.
    const vecs = k.enumContaining('NR_SOFTIRQS')!;
    expect(vecs.find((m) => m.name === 'NET_RX_SOFTIRQ')!.value).toBe(k.enumerator('NET_RX_SOFTIRQ'));
    expect(vecs.find((m) => m.name === 'NR_SOFTIRQS')!.value).toBe(vecs.length - 1);
    expect(k.enumContaining('NO_SUCH_ENUMERATOR_HERE')).toBeUndefined();
    // Arguments of a function, as fentry's trampoline limit needs them.
    expect(k.funcParamCount('ip_rcv')).toBe(4);
    expect(k.funcParamCount('ip6_xmit')).toBe(7);
    expect(k.funcParamCount('no_such_function_here')).toBeUndefined();
  });
});

/** The compact view of a member the layout tests compare: where it is and what C calls its type. */
function row(m: BtfMember): [string, number, number, number, number, string, string, string?] {
  return [m.name, m.offset, m.bitOffset, m.bitSize, m.size, m.type.kind, m.type.name, m.type.typedef];
}

/** BpfObject.open needs no privilege (the kernel is asked nothing before load), and the Btf it gives
 * is a copy that outlives the object. */
function objectBtf(bytes: Uint8Array, name: string): Btf {
  using obj = BpfObject.open(bytes, name);
  return obj.btf();
}

describe('Btf member layouts of a compiled object', () => {
  const btf = objectBtf(layoutObject, 'test_layout');

  // The C ABI's layout of struct layout in bpf/test_layout.bpf.c, worked out by hand there and held
  // to by its _Static_asserts: padding before an 8-aligned u64, a nested struct, a 2-D array,
  // bitfields (one sharing its unit with the byte before it), an anonymous union.
  it('gives offsets, sizes and types as C lays them out', () => {
    expect(btf.structSize('layout')).toBe(56);
    const members = btf.structMembers('layout')!;
    expect(members.map(row)).toEqual([
      ['tag', 0, 0, 0, 1, 'int', 'unsigned char', '__u8'],
      ['bytes', 8, 64, 0, 8, 'int', 'unsigned long long', '__u64'],
      ['inner', 16, 128, 0, 12, 'struct', 'layout_inner', undefined],
      ['grid', 28, 224, 0, 8, 'array', '', undefined],
      ['flags', 36, 288, 3, 4, 'int', 'unsigned int', '__u32'],
      ['level', 36, 291, 5, 4, 'int', 'unsigned int', '__u32'],
      ['mode', 37, 296, 12, 4, 'int', 'unsigned int', '__u32'],
      ['', 40, 320, 0, 8, 'union', '', undefined],
      ['sport', 48, 384, 0, 2, 'int', 'unsigned short', '__be16'],
      ['kind', 50, 400, 0, 1, 'int', 'unsigned char', '__u8'],
      ['code', 51, 408, 4, 2, 'int', 'unsigned short', '__u16'],
      ['dir', 52, 416, 0, 4, 'enum', 'layout_dir', undefined],
    ]);
    const grid = members.find((m) => m.name === 'grid')!.type;
    expect(grid).toMatchObject({ count: 2, size: 8, element: { kind: 'array', count: 4, size: 4, element: { kind: 'int', size: 1, typedef: '__u8' } } });
  });

  it('reaches nested and anonymous members by type id', () => {
    const members = btf.structMembers('layout')!;
    const inner = btf.typeMembers(members.find((m) => m.name === 'inner')!.type.id)!;
    expect(inner.map(row)).toEqual([
      ['port', 0, 0, 0, 2, 'int', 'unsigned short', '__u16'],
      ['proto', 2, 16, 0, 1, 'int', 'unsigned char', '__u8'],
      ['addr', 4, 32, 0, 8, 'array', '', undefined],
    ]);
    expect(inner[2]!.type).toMatchObject({ count: 2, element: { kind: 'int', size: 4, typedef: '__u32' } });
    // Offsets inside an anonymous member are its own; add the member's offset for the outer ones.
    const union = btf.typeMembers(members.find((m) => m.name === '')!.type.id)!;
    expect(union.map((m) => [m.name, m.offset, m.type.kind])).toEqual([['cookie', 0, 'int'], ['', 0, 'struct']]);
    expect(btf.typeMembers(union[1]!.type.id)!.map((m) => [m.name, m.offset])).toEqual([['lo', 0], ['hi', 4]]);
  });

  it('flattens anonymous members into the names C uses, at outer offsets', () => {
    const flat = btf.structMembers('layout', { flatten: true })!;
    expect(flat.map((m) => [m.name, m.offset])).toEqual([
      ['tag', 0], ['bytes', 8], ['inner', 16], ['grid', 28], ['flags', 36], ['level', 36], ['mode', 37],
      ['cookie', 40], ['lo', 40], ['hi', 44], ['sport', 48], ['kind', 50], ['code', 51], ['dir', 52],
    ]);
  });
});

const hasVmlinux = existsSync('/sys/kernel/btf/vmlinux');
const hasBpftool = spawnSync('bpftool', ['version']).status === 0;
if (hasVmlinux && !hasBpftool) console.warn('skipping the comparison of vmlinux layouts with bpftool: bpftool is not installed');

describe.runIf(hasVmlinux)('Btf member layouts of the running kernel', () => {
  const k = () => Btf.vmlinux();
  const member = (struct: string, name: string) => k().structMembers(struct, { flatten: true })!.find((m) => m.name === name)!;

  // Bit offsets of bitfields are the little-endian ones (x86_64 and arm64 alike).
  it('knows the wire headers, whose layout the wire fixes', () => {
    // Base int names are the compiler's ('short unsigned int' from GCC): check size and sign instead.
    expect(member('ethhdr', 'h_proto')).toMatchObject({ offset: 12, bitOffset: 96, bitSize: 0, size: 2, type: { kind: 'int', typedef: '__be16', signed: false } });
    expect(member('ethhdr', 'h_dest').type).toMatchObject({ kind: 'array', count: 6, size: 6, element: { kind: 'int', size: 1 } });
    expect(member('iphdr', 'saddr')).toMatchObject({ offset: 12, size: 4, type: { kind: 'int', typedef: '__be32', signed: false } });
    expect(member('iphdr', 'daddr')).toMatchObject({ offset: 16, size: 4 });
    expect(member('iphdr', 'protocol')).toMatchObject({ offset: 9, size: 1 });
    expect(member('iphdr', 'ihl')).toMatchObject({ offset: 0, bitOffset: 0, bitSize: 4, size: 1 });
    expect(member('iphdr', 'version')).toMatchObject({ offset: 0, bitOffset: 4, bitSize: 4, size: 1 });
    expect(member('tcphdr', 'doff')).toMatchObject({ offset: 12, bitOffset: 100, bitSize: 4 });
    expect(member('udphdr', 'len')).toMatchObject({ offset: 4, size: 2, type: { typedef: '__be16' } });
    expect(k().structMembers('no_such_struct_here')).toBeUndefined();
  });

  it('describes pointers by their target', () => {
    expect(member('sk_buff', 'dev').type).toMatchObject({ kind: 'ptr', size: 8, target: { kind: 'struct', name: 'net_device' } });
  });

  // bpftool reads BTF through libbpf: every struct and union of the kernel, member by member, by id.
  it.runIf(hasBpftool)('agrees with bpftool on every struct and union member of the kernel', () => {
    const bpftool = spawnSync('bpftool', ['btf', 'dump', 'file', '/sys/kernel/btf/vmlinux'], { encoding: 'utf8', maxBuffer: 256 << 20 });
    expect(bpftool.status, bpftool.stderr).toBe(0);
    let id = 0;
    let want: { name: string; bitOffset: number; bitSize: number }[] = [];
    let checked = 0;
    const flush = () => {
      if (!id) return;
      const got = k().typeMembers(id)!.map(({ name, bitOffset, bitSize }) => ({ name, bitOffset, bitSize }));
      expect(got, `type ${id}`).toEqual(want);
      checked += got.length;
      id = 0;
    };
    for (const line of bpftool.stdout.split('\n')) {
      const head = /^\[(\d+)\] (STRUCT|UNION) /.exec(line);
      if (head) {
        flush();
        id = Number(head[1]);
        want = [];
        continue;
      }
      const m = id ? /^\t'(.*)' type_id=\d+ bits_offset=(\d+)(?: bitfield_size=(\d+))?$/.exec(line) : null;
      if (m) want.push({ name: m[1] === '(anon)' ? '' : m[1]!, bitOffset: Number(m[2]), bitSize: Number(m[3] ?? 0) });
      else flush();
    }
    flush();
    expect(checked).toBeGreaterThan(10_000);
  });
});
