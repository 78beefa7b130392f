import { describe, expect, it } from 'vitest';
import { ATTACHED_BY_TOOL, type FlavourOutcome } from '@netstrata/bpf-common/testing';
import { hookCell, renderMatrix, replaceMatrix, MATRIX_END, MATRIX_START } from './matrix.ts';

const o = (flavour: string, result: FlavourOutcome['result'], reason: string, variant = ''): FlavourOutcome => ({
  kernel: 'k',
  pkg: 'p',
  tool: 'latency',
  variant,
  hook: 'sock:sk_data_ready',
  flavour,
  result,
  reason,
});

describe('kernel support matrix', () => {
  it('names the flavour that attached first, and what it fell back from with the reasons grouped', () => {
    const missing = 'no sock:sk_data_ready tracepoint in this kernel';
    expect(hookCell([o('tp_btf', 'not available', missing), o('raw_tp', 'not available', missing), o('fentry', 'attached', 'loaded and attached'), o('kprobe', 'attached', 'loaded and attached')])).toBe(
      `**fentry** (fell back; tp_btf, raw_tp: ${missing})`,
    );
    expect(hookCell([o('tp_btf', 'attached', 'loaded and attached')])).toBe('**tp_btf**');
    expect(hookCell([o('uprobe', 'loaded', ATTACHED_BY_TOOL)])).toBe('**uprobe** (loads; the tool attaches it at run time)');
    expect(hookCell([o('fentry', 'refused', 'fentry: EPERM'), o('kprobe', 'loaded', 'not attached: kprobe: no')])).toBe('not available (fentry: fentry: EPERM; kprobe: not attached: kprobe: no)');
  });

  it('one row per tool and hook, one column per kernel, variants left out', () => {
    const table = renderMatrix([
      { title: 'host', outcomes: [o('tp_btf', 'attached', 'ok'), o('tp_btf', 'refused', 'x', '(targ_stages=true)')] },
      { title: 'old', outcomes: [o('tp_btf', 'not available', 'gone'), o('fentry', 'attached', 'ok')] },
      { title: 'untested', outcomes: [] },
    ]);
    expect(table.split('\n')).toEqual([
      '| tool | hook | host | old | untested |',
      '|---|---|---|---|---|',
      '| latency | sock:sk_data_ready | **tp_btf** | **fentry** (fell back; tp_btf: gone) | not tested |',
    ]);
  });

  it('replaces its block, or adds one', () => {
    const doc = `# K\n\n${MATRIX_START}\nold\n${MATRIX_END}\n\n## After\n`;
    expect(replaceMatrix(doc, 'new')).toBe(`# K\n\n${MATRIX_START}\nnew\n${MATRIX_END}\n\n## After\n`);
    expect(replaceMatrix('# K\n', 'new')).toBe(`# K\n\n${MATRIX_START}\nnew\n${MATRIX_END}\n`);
  });
});
