/**
 * Every flavour of every packet-drop program against this kernel's verifier. Flavours this kernel
 * can attach are tested end to end in test-harness; here each must load, or be refused for the
 * reason the kernel's feature probe gives.
 */
import { describe, expect, it } from 'vitest';
import { BpfObject, Btf } from '@netstrata/libbpf-ts';
import { verifyFlavour } from '@netstrata/bpf-common';
import summary from '../build/bpf/packet_drop_summary.bpf.o';
import details from '../build/bpf/packet_drop_details.bpf.o';
import { kfreeSkbHook } from './hooks.ts';
import { DROP_KEY_SIZE } from './layout.ts';

const isRoot = process.getuid?.() === 0;
if (!isRoot && process.env.CI) throw new Error('verifier tests need root on CI');
if (!isRoot) console.warn('skipping packet-drop verifier tests: not root');

/** A function taking struct sk_buff * first, present on every kernel: a stand-in fentry target. */
const FENTRY_STAND_IN = 'consume_skb';

describe.runIf(isRoot)('packet-drop programs pass the verifier', () => {
  for (const [objName, bytes] of [['packet_drop_summary', summary], ['packet_drop_details', details]] as const) {
    for (const flavour of kfreeSkbHook.flavours) {
      it(`${objName}: ${flavour.name}`, () => {
        using obj = BpfObject.open(bytes, objName);
        if (flavour.needs === 'fentry' && !Btf.vmlinux().funcNames().has('kfree_skb')) {
          obj.program(flavour.programs[0]!).setAttachTarget(FENTRY_STAND_IN);
        }
        expect(verifyFlavour(obj, flavour)).not.toHaveProperty('error');
      });
    }
  }

  it('decoders agree with the object on record sizes', () => {
    using s = BpfObject.open(summary, 'packet_drop_summary');
    expect(s.map('drops').keySize).toBe(DROP_KEY_SIZE);
    expect(s.btf().structSize('drop_key')).toBe(DROP_KEY_SIZE);
  });
});
