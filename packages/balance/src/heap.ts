import type { Slot } from './slot.ts';

let insertions = 0;

/**
 * An indexed binary min-heap of server records ordered by `(key, insertion order)`:
 * among equal keys the one inserted first comes first, which is how HAProxy's trees
 * order duplicates. Insert and remove are O(log n), the first is O(1); an ordered scan
 * (`scanStart` / `scanNext`) visits the records in order in O(k log k) for the first k,
 * without allocating: its scratch space is sized once.
 */
export class Heap {
  private items: (Slot | null)[];
  private n = 0;
  private scratch: Int32Array;
  private scratchLen = 0;

  constructor(capacity: number) {
    this.items = new Array<Slot | null>(Math.max(1, capacity)).fill(null);
    this.scratch = new Int32Array(Math.max(1, capacity));
  }

  get size(): number {
    return this.n;
  }

  first(): Slot | null {
    return this.n > 0 ? this.items[0]! : null;
  }

  /** Inserts `slot` with `key` (it must not be in a heap); it goes after records with the same key. */
  insert(slot: Slot, key: number): void {
    slot.key = key >>> 0;
    slot.seq = ++insertions;
    slot.inHeap = this;
    if (this.n === this.items.length) this.grow();
    const pos = this.n++;
    this.items[pos] = slot;
    slot.heapPos = pos;
    this.up(pos);
  }

  /** Removes `slot` if this heap holds it; otherwise does nothing. */
  remove(slot: Slot): void {
    if (slot.inHeap !== this) return;
    const pos = slot.heapPos;
    const last = this.items[--this.n]!;
    this.items[this.n] = null;
    slot.inHeap = null;
    slot.heapPos = -1;
    if (last === slot) return;
    this.items[pos] = last;
    last.heapPos = pos;
    this.down(pos);
    this.up(last.heapPos);
  }

  /** Starts an ordered scan; `scanNext()` then returns the records smallest first, then null. */
  scanStart(): void {
    this.scratchLen = 0;
    if (this.n > 0) this.scratchPush(0);
  }

  scanNext(): Slot | null {
    if (this.scratchLen === 0) return null;
    const s = this.scratch;
    const top = s[0]!;
    const last = s[--this.scratchLen]!;
    if (this.scratchLen > 0) {
      // sift `last` down from the root of the scratch heap
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= this.scratchLen) break;
        const r = l + 1;
        const c = r < this.scratchLen && this.less(s[r]!, s[l]!) ? r : l;
        if (!this.less(s[c]!, last)) break;
        s[i] = s[c]!;
        i = c;
      }
      s[i] = last;
    }
    const l = 2 * top + 1;
    if (l < this.n) this.scratchPush(l);
    if (l + 1 < this.n) this.scratchPush(l + 1);
    return this.items[top]!;
  }

  private scratchPush(pos: number): void {
    const s = this.scratch;
    let i = this.scratchLen++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(pos, s[p]!)) break;
      s[i] = s[p]!;
      i = p;
    }
    s[i] = pos;
  }

  /** Whether the record at heap position a orders before the one at b. */
  private less(a: number, b: number): boolean {
    const x = this.items[a]!;
    const y = this.items[b]!;
    return x.key < y.key || (x.key === y.key && x.seq < y.seq);
  }

  private up(pos: number): void {
    const items = this.items;
    const slot = items[pos]!;
    while (pos > 0) {
      const p = (pos - 1) >> 1;
      const parent = items[p]!;
      if (!(slot.key < parent.key || (slot.key === parent.key && slot.seq < parent.seq))) break;
      items[pos] = parent;
      parent.heapPos = pos;
      pos = p;
    }
    items[pos] = slot;
    slot.heapPos = pos;
  }

  private down(pos: number): void {
    const items = this.items;
    const n = this.n;
    const slot = items[pos]!;
    for (;;) {
      const l = 2 * pos + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      let child = items[l]!;
      if (r < n) {
        const right = items[r]!;
        if (right.key < child.key || (right.key === child.key && right.seq < child.seq)) {
          c = r;
          child = right;
        }
      }
      if (!(child.key < slot.key || (child.key === slot.key && child.seq < slot.seq))) break;
      items[pos] = child;
      child.heapPos = pos;
      pos = c;
    }
    items[pos] = slot;
    slot.heapPos = pos;
  }

  private grow(): void {
    const bigger = new Array<Slot | null>(this.items.length * 2).fill(null);
    for (let i = 0; i < this.n; i++) bigger[i] = this.items[i]!;
    this.items = bigger;
    const scratch = new Int32Array(bigger.length);
    this.scratch = scratch;
  }
}
