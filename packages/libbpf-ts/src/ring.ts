/**
 * Reads a BPF ring buffer straight from its mmapped pages. libbpf's ring_buffer__consume with a JS
 * callback crosses the FFI per record and does not return while records keep coming; reading the
 * memory in JS is an order of magnitude faster and lets us bound the work per event-loop turn.
 *
 * Layout (kernel/bpf/ringbuf.c): page 0 is consumer_pos (RW for us); page 1 is producer_pos; the
 * data area follows and is mapped twice in a row, so a record that wraps is contiguous here.
 * Each record: u32 len (bit 31 busy, bit 30 discard), u32 page offset, payload padded to 8 bytes.
 *
 * A turn reads every record available (up to its budget) and advances consumer_pos once, so the
 * kernel sees the space come back in one store. Records are handed over as an offset into one view
 * of the whole data area: no object is made per record (a DataView per record costs more than
 * reading the record's scalars); `recordView` makes one for callers that want it.
 */
import { BpfError } from './errors.ts';
import type { BpfMap } from './map.ts';
import type { Owned } from './object.ts';
import { errno, mmapFailed, MAP_SHARED, n, pageSize, PROT_READ, PROT_WRITE, view, type Ptr } from './native.ts';

const BUSY = 0x80000000;
const DISCARD = 0x40000000;
const HDR = 8;
const RINGBUF_MAP_TYPE = 27;

/** Called once per record: its `length` payload bytes start at `offset` of `ring`, a view of the
 * whole data area. The memory is the kernel's: it is reused as soon as the turn returns. */
export type RecordCallback = (ring: DataView, offset: number, length: number) => void;

/** One record as a DataView of its own (an allocation: the hot paths read `ring` at `offset`). */
export const recordView = (ring: DataView, offset: number, length: number): DataView => new DataView(ring.buffer, ring.byteOffset + offset, length);

export interface RingReaderOptions {
  /** Records delivered per event-loop turn before yielding (default 8192). */
  budget?: number;
  /** Poll period while idle, in ms: wake-ups are coalesced to this (default 5). */
  intervalMs?: number;
}

export class RingReader implements Owned {
  private consumerPage: Ptr | undefined;
  private dataPages: Ptr | undefined;
  private consumer!: DataView; // consumer_pos
  private producer!: DataView; // producer_pos
  private data!: DataView; // data area, 2 × size
  private readonly size: number;
  private readonly mask: number;
  private readonly page: number;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private closed = false;
  private delivered = 0;
  private readonly budget: number;
  private readonly intervalMs: number;

  constructor(
    private readonly map: BpfMap,
    private readonly onRecord: RecordCallback,
    opts: RingReaderOptions = {},
  ) {
    if (map.type !== RINGBUF_MAP_TYPE) throw new BpfError(`ring reader on ${map.name}`, 22, '', 'invalid', `map ${map.name} is not a ring buffer`);
    this.budget = opts.budget ?? 8192;
    this.intervalMs = opts.intervalMs ?? 5;
    this.page = pageSize();
    this.size = map.maxEntries;
    this.mask = this.size - 1;
    const fd = map.fd;
    this.consumerPage = n.mmap(null, this.page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0n);
    if (mmapFailed(this.consumerPage)) {
      const e = errno();
      this.consumerPage = undefined;
      throw new BpfError(`mmap ring buffer ${map.name}`, e, '', 'other');
    }
    this.dataPages = n.mmap(null, this.page + 2 * this.size, PROT_READ, MAP_SHARED, fd, BigInt(this.page));
    if (mmapFailed(this.dataPages)) {
      const e = errno();
      this.dataPages = undefined;
      this.unmap();
      throw new BpfError(`mmap ring buffer ${map.name}`, e, '', 'other');
    }
    this.consumer = new DataView(view(this.consumerPage, this.page));
    const whole = view(this.dataPages, this.page + 2 * this.size);
    this.producer = new DataView(whole, 0, this.page);
    this.data = new DataView(whole, this.page, 2 * this.size);
    map.owner.own(this);
  }

  /** Records delivered so far. */
  get records(): number {
    return this.delivered;
  }

  start(): void {
    if (this.closed || this.timer) return;
    this.timer = setInterval(() => this.turn(), this.intervalMs);
  }

  private turn(): void {
    if (this.closed || this.immediate) return;
    const n = this.consume(this.budget);
    // A full budget means more is waiting: continue on the next turn instead of the next tick.
    if (n >= this.budget) this.immediate = setImmediate(() => {
      this.immediate = undefined;
      this.turn();
    });
  }

  /** Everything available now, synchronously. */
  drain(): number {
    return this.consume(Number.MAX_SAFE_INTEGER);
  }

  private consume(budget: number): number {
    if (this.closed) return 0;
    const data = this.data;
    const mask = this.mask;
    const onRecord = this.onRecord;
    // Positions are byte counters; 2^53 of them is years of records at any rate: numbers are exact.
    let cons = Number(this.consumer.getBigUint64(0, true));
    // x86 and arm64 loads of producer_pos are ordered before the header loads that depend on it
    // by the data dependency through `cons < prod`; the kernel publishes with smp_store_release.
    const prod = Number(this.producer.getBigUint64(0, true));
    let got = 0;
    try {
      while (cons < prod && got < budget) {
        const off = cons & mask; // ToInt32 keeps the low 32 bits: enough for a mask below 2^31
        const len = data.getUint32(off, true);
        if (len & BUSY) break;
        const payload = len & 0x3fffffff;
        // Step past the record first, so one that makes onRecord throw is not delivered again.
        cons += (payload + HDR + 7) & ~7;
        if (!(len & DISCARD)) {
          got++;
          onRecord(data, off + HDR, payload);
          if (this.closed) return got; // onRecord may have closed us
        }
      }
    } finally {
      if (!this.closed) this.consumer.setBigUint64(0, BigInt(cons), true);
      this.delivered += got;
    }
    return got;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
  }

  private unmap(): void {
    if (this.consumerPage !== undefined) n.munmap(this.consumerPage, this.page);
    if (this.dataPages !== undefined) n.munmap(this.dataPages, this.page + 2 * this.size);
    this.consumerPage = undefined;
    this.dataPages = undefined;
  }

  close(): void {
    if (this.closed) return;
    this.stop();
    this.closed = true;
    // Drop every view before unmapping: touching one afterwards would crash the process.
    this.consumer = this.producer = this.data = undefined as unknown as DataView;
    this.unmap();
    this.map.owner.disown(this);
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
