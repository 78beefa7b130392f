import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Sink, toJson } from './sink.ts';

function capture() {
  const writes: string[] = [];
  const out = new Writable({
    write(chunk, _enc, cb) {
      writes.push(chunk.toString());
      cb();
    },
  });
  return { out, writes };
}

describe('Sink', () => {
  it('writes one JSON object per line; events of one turn in one write, reports at once', async () => {
    const { out, writes } = capture();
    const sink = new Sink('json', out);
    for (let i = 0; i < 3; i++) sink.record({ type: 'event', tool: 't', time: 'x', i }, () => '');
    expect(writes).toEqual([]);
    await new Promise((r) => setImmediate(r));
    expect(writes).toHaveLength(1);
    expect(writes[0]!.trim().split('\n').map((l) => JSON.parse(l).i)).toEqual([0, 1, 2]);
    sink.record({ type: 'event', tool: 't', time: 'x', i: 3 }, () => '');
    sink.record({ type: 'final', tool: 't', time: 'x', events: 4 }, () => '');
    // The final record comes right after the events before it, in order, without waiting.
    expect(writes.slice(1).join('').trim().split('\n').map((l) => JSON.parse(l).type)).toEqual(['event', 'final']);
  });

  it('text mode writes what the renderer made', () => {
    const { out, writes } = capture();
    new Sink('text', out).record({ type: 'interval', tool: 't', time: 'x' }, () => 'hello');
    expect(writes).toEqual(['hello\n']);
  });

  it('serializes bigints exactly', () => {
    expect(toJson({ a: 5n, b: 1n << 64n })).toBe('{"a":5,"b":"18446744073709551616"}');
  });
});
