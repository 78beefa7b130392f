/** A BpfLink is one attachment; its object destroys it on close if the caller has not. */
import { n, type Ptr } from './native.ts';

export class BpfLink {
  private ptr: Ptr | undefined;

  constructor(ptr: Ptr, private readonly onClose: (l: BpfLink) => void) {
    this.ptr = ptr;
  }

  get destroyed(): boolean {
    return this.ptr === undefined;
  }

  destroy(): void {
    if (this.ptr === undefined) return;
    n.bpf_link__destroy(this.ptr);
    this.ptr = undefined;
    this.onClose(this);
  }

  close(): void {
    this.destroy();
  }

  [Symbol.dispose](): void {
    this.destroy();
  }
}
