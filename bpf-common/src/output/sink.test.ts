import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
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

  it('waits for a slow reader of a non-blocking pipe: every byte in order, nothing queued in memory', async () => {
    // The reader starts reading only after the writer has filled the pipe (as a bench or `| jq` behind
    // a burst); its end of the pipe is made by node, non-blocking, as stdout's becomes.
    const reader = spawn('sh', ['-c', 'sleep 0.3; sha256sum'], { stdio: ['pipe', 'pipe', 'inherit'] });
    const fd = (reader.stdin as unknown as { _handle: { fd: number } })._handle.fd;
    // fdinfo's flags are octal; O_NONBLOCK is 04000.
    expect(parseInt(/^flags:\s+(\d+)/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))![1]!, 8) & 0o4000).toBe(0o4000);
    let digest = '';
    reader.stdout.on('data', (d: Buffer) => (digest += d.toString()));
    const sink = new Sink('json', fd);
    const hash = createHash('sha256');
    const external = process.memoryUsage().external;
    for (let i = 0; i < 40_000; i++) {
      const line = `{"type":"event","tool":"t","time":"x","i":${i},"pad":"${'x'.repeat(100)}"}\n`;
      hash.update(line);
      sink.event(line);
    }
    sink.flush();
    // About 5 MB went through a pipe that holds a few hundred KB: held back, not kept.
    expect(process.memoryUsage().external - external).toBeLessThan(2 << 20);
    reader.stdin.end();
    await new Promise((r) => reader.once('exit', r));
    expect(digest.split(' ')[0]).toBe(hash.digest('hex'));
  });

  it('serializes bigints exactly', () => {
    expect(toJson({ a: 5n, b: 1n << 64n })).toBe('{"a":5,"b":"18446744073709551616"}');
  });
});
