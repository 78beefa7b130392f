/** What both latency tools read of the session machinery (bpf/latency_stages.h). */
import { perCpuEntries, type BpfObject } from '@netstrata/bpf-common';
import { DIRECTIONS, carrying, fifoPending, keyDir, latCarry, latFifo, latKey, latSession, u32, type Dir } from '../layout.ts';

/** The session maps, checked against the declared structs before load. */
export const SESSION_MAPS = {
  sessions: { key: latKey, value: latSession },
  fifos: { key: 8, value: latFifo },
  carry: { key: 4, value: latCarry },
  counts: { key: 4, value: 8 },
} as const;

/** Sessions still open, per direction: in the LRU map, and followed datagrams in socket FIFOs. */
export function inFlight(obj: BpfObject): Record<Dir, number> {
  const out: Record<Dir, number> = { rx: 0, tx: 0 };
  for (const k of obj.map('sessions').keys()) out[keyDir(k)]++;
  for (const [, v] of obj.map('fifos').entries()) out.rx += fifoPending(v);
  // And the sessions each CPU is carrying.
  for (const [k, copies] of perCpuEntries(obj.map('carry'))) {
    const dir = DIRECTIONS[u32(k)] ?? 'rx';
    for (const c of copies) if (carrying(c)) out[dir]++;
  }
  return out;
}
