/**
 * Summary tools left running on a host whose threads and flows come and go: more threads and flows
 * than the tools' tables hold pass by while they run. Rows the tool has reported and that went idle
 * make room: every thread and flow is still counted, nothing evicted. (Keys that come faster than
 * a read make an LRU table evict, each eviction counted: loss-and-bounds.e2e.test.ts.)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { OffcpuRow, ThreadRow } from '@netstrata/cpu';
import { Lab, mapEntries, mapsHeldBy, requireRoot, sendUdp, startTool, toolPath, twoHosts, type RunningTool, type ToolRecord } from './index.ts';

const run = requireRoot('endurance tests');
const THREADS = fileURLToPath(new URL('../agents/threads.py', import.meta.url));

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

const finalOf = (records: ToolRecord[]) => {
  const fin = records.filter((r) => r.type === 'final');
  expect(fin).toHaveLength(1);
  return fin[0]!;
};

/** A process that starts N short threads for each line written to it, one after another. */
function threadMaker() {
  const c = spawn('python3', [THREADS], { stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(c);
  let out = '';
  const waiters: (() => void)[] = [];
  c.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    for (const w of waiters.splice(0)) w();
  });
  let done = 0;
  return {
    pid: c.pid!,
    async threads(n: number): Promise<void> {
      done++;
      c.stdin!.write(`${n}\n`);
      while (out.split('\n').filter((l) => l.startsWith('done ')).length < done) await new Promise<void>((r) => waiters.push(r));
    },
  };
}

/** Resolves after the tool has printed two more interval records than it has now: one read
 * counts what was just made, the next finds those rows idle and removes them. */
async function afterTwoReads(tool: RunningTool): Promise<void> {
  const now = (await tool.intervals(0)).length;
  await tool.intervals(now + 2);
}

/** A table of the running tool, by name: its entries and size. */
function table(pid: number, name: string): { entries: number; maxEntries: number } {
  const m = mapsHeldBy(pid).find((x) => x.name === name);
  expect(m, `the tool holds a map named ${name}`).toBeDefined();
  return { entries: mapEntries(m!.id), maxEntries: m!.maxEntries };
}

// Each test waits for the kernel's tables and the tool's sweeps (every 5 s), batch after batch: on a
// loaded machine that takes longer than the default minute, and nothing here is timed.
describe.runIf(run)('endurance: tables make room for new threads and flows', { timeout: 240_000 }, () => {
  it('packet_drop_summary --group-by flow: 12000 flows in three batches through a 10240-group table, each counted; none evicted', async () => {
    using lab = Lab.create();
    const { a, b } = twoHosts(lab);
    await using tool = await startTool(toolPath('packetDropSummary'), ['--netns', b.ns.name, '--group-by', 'flow', '--top', '1', '--interval', '1']);
    let sent = 0;
    for (let batch = 0; batch < 3; batch++) {
      sent += sendUdp(a.ns, { dst: b.v4, dport: 20_000 + batch * 4000, dportCount: 4000, count: 4000 }).sent;
      await afterTwoReads(tool);
    }
    expect(sent).toBe(12_000);
    const drops = table(tool.pid, 'drops');
    expect(drops.maxEntries).toBe(10_240);
    expect(drops.entries).toBeLessThan(drops.maxEntries);
    const res = await tool.stop();
    expect(res.exitCode).toBe(0);
    const intervals = res.records.filter((r) => r.type === 'interval') as (ToolRecord & { drops: number })[];
    const fin = finalOf(res.records) as ToolRecord & { total_drops: number; map_full: number; evicted: number; rows: unknown[]; more_rows: number };
    expect([fin.map_full, fin.evicted]).toEqual([0, 0]);
    expect(fin.total_drops).toBe(sent);
    // Each drop counted once, in the interval that saw it.
    expect(intervals.reduce((s, r) => s + r.drops, 0)).toBe(sent);
  });

  it('sched_latency_summary: 12000 threads in four batches through an 8192-row table, every one counted; none evicted', async () => {
    const maker = threadMaker();
    await using tool = await startTool(toolPath('schedLatencySummary'), ['--pid', String(maker.pid), '--top', '100000', '--interval', '1']);
    for (let batch = 0; batch < 4; batch++) {
      await maker.threads(3000);
      await afterTwoReads(tool);
    }
    expect(table(tool.pid, 'waits').maxEntries).toBe(8192);
    const res = await tool.stop();
    expect(res.exitCode).toBe(0);
    // Each thread was woken to run once when it started (sched_wakeup_new) and once after its
    // sleep: at least two wakeups each, every one counted in the interval that saw it. (Thread ids
    // may be reused on a host with a small pid_max: count wakeups, not distinct threads.)
    const wakeups = (threads: ThreadRow[]) => threads.filter((t) => t.tid !== maker.pid).reduce((s, t) => s + t.wakeups, 0);
    const intervalWakeups = res.records.filter((r) => r.type === 'interval').reduce((s, r) => s + wakeups(r.threads as ThreadRow[]), 0);
    expect(intervalWakeups).toBeGreaterThanOrEqual(2 * 12_000);
    // The total since start keeps rows removed from the kernel up to the table's size: a part of them.
    expect(wakeups(finalOf(res.records).threads as ThreadRow[])).toBeLessThanOrEqual(intervalWakeups);
    const fin = finalOf(res.records);
    expect([fin.map_full, fin.evicted]).toEqual([0, 0]);
  });

  it('sched_latency_summary: rows of exited threads are removed between reads; 9000 threads through an 8192-row table with no read at all, none evicted', async () => {
    const maker = threadMaker();
    await using tool = await startTool(toolPath('schedLatencySummary'), ['--pid', String(maker.pid), '--top', '100000', '--interval', '3600']);
    for (let batch = 0; batch < 3; batch++) {
      await maker.threads(3000);
      // The threads have exited: their rows leave the table within a few seconds.
      while (table(tool.pid, 'waits').entries > 10) await new Promise((r) => setTimeout(r, 500));
    }
    const res = await tool.stop();
    expect(res.exitCode).toBe(0);
    expect(res.records.filter((r) => r.type === 'interval')).toHaveLength(0);
    const fin = finalOf(res.records);
    expect([fin.map_full, fin.evicted]).toEqual([0, 0]);
  });

  it('offcpu_summary: 9000 threads that each sleep 1 ms in select(2): rows and stacks removed as threads exit, every sleep reported once', async () => {
    const maker = threadMaker();
    await using tool = await startTool(toolPath('offcpuSummary'), ['--pid', String(maker.pid), '--state', 'S', '--min-block-us', '0', '--top', '100000', '--interval', '1']);
    for (let batch = 0; batch < 3; batch++) {
      await maker.threads(3000);
      await afterTwoReads(tool);
    }
    // Every thread has exited; its rows went idle and were removed, and their stacks with them.
    const offcpu = table(tool.pid, 'offcpu');
    expect(offcpu.maxEntries).toBe(16_384);
    expect(offcpu.entries).toBeLessThan(100);
    expect(table(tool.pid, 'stacks').entries).toBeLessThan(100);
    const res = await tool.stop();
    expect(res.exitCode).toBe(0);
    const fin = finalOf(res.records);
    expect([fin.map_full, fin.evicted, fin.stack_failed]).toEqual([0, 0, 0]);
    // The threads' sleeps, on their stack through select(2), each counted in the one interval that
    // saw it: one each, but for a sleep whose 1 ms had passed before it could block (the thread
    // preempted on its way in).
    const count = (rows: OffcpuRow[], f: (r: OffcpuRow) => boolean) => rows.filter(f).reduce((s, r) => s + r.count, 0);
    const select = (r: OffcpuRow) => r.tid !== maker.pid && r.kernel_stack.some((f) => /^do_select/.test(f));
    const sleeps = res.records.filter((r) => r.type === 'interval').reduce((s, r) => s + count(r.rows as OffcpuRow[], select), 0);
    expect(sleeps).toBeGreaterThan(8900);
    expect(sleeps).toBeLessThanOrEqual(9000);
  });
});
