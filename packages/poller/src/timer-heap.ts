/**
 * What the heap needs from an entry. The fields live on the entry itself (a task),
 * so arming, re-arming and cancelling allocate nothing.
 */
export interface TimerNode {
  /** Position in the heap, -1 when not in it. */
  heapIndex: number;
  /** The date this entry is filed under (may be earlier than its real expiry). */
  heapKey: number;
  /** Tie-break among equal keys: older first, so equal dates fire in arming order. */
  heapSeq: number;
}

/**
 * A binary min-heap of timer entries ordered by (heapKey, heapSeq), indexed: every
 * entry knows its slot, so removing or moving one is O(log n) without a search.
 * The scheduler adds laziness on top (see Scheduler.#arm).
 */
export class TimerHeap<T extends TimerNode> {
  readonly #items: T[];
  #seq: number;

  constructor() {
    this.#items = [];
    this.#seq = 0;
  }

  get size(): number {
    return this.#items.length;
  }

  peek(): T | undefined {
    return this.#items[0];
  }

  /** Adds `node` (not in the heap) under `key`. */
  insert(node: T, key: number): void {
    node.heapKey = key;
    node.heapSeq = ++this.#seq;
    node.heapIndex = this.#items.length;
    this.#items.push(node);
    this.#up(node.heapIndex);
  }

  /** Files `node` (in the heap) under a new key, moving it either way. */
  rekey(node: T, key: number): void {
    const earlier = key < node.heapKey;
    node.heapKey = key;
    node.heapSeq = ++this.#seq;
    if (earlier) this.#up(node.heapIndex);
    else this.#down(node.heapIndex);
  }

  remove(node: T): void {
    const at = node.heapIndex;
    const items = this.#items;
    const last = items.pop() as T;
    node.heapIndex = -1;
    if (last === node) return;
    items[at] = last;
    last.heapIndex = at;
    // The entry moved into the hole may belong above or below it.
    this.#up(at);
    this.#down(last.heapIndex);
  }

  /** Drops every entry. */
  clear(): void {
    for (const node of this.#items) node.heapIndex = -1;
    this.#items.length = 0;
  }

  #less(a: T, b: T): boolean {
    return a.heapKey < b.heapKey || (a.heapKey === b.heapKey && a.heapSeq < b.heapSeq);
  }

  #up(index: number): void {
    const items = this.#items;
    const node = items[index] as T;
    let at = index;
    while (at > 0) {
      const parentAt = (at - 1) >> 1;
      const parent = items[parentAt] as T;
      if (!this.#less(node, parent)) break;
      items[at] = parent;
      parent.heapIndex = at;
      at = parentAt;
    }
    items[at] = node;
    node.heapIndex = at;
  }

  #down(index: number): void {
    const items = this.#items;
    const length = items.length;
    const node = items[index] as T;
    let at = index;
    for (;;) {
      const left = 2 * at + 1;
      if (left >= length) break;
      const right = left + 1;
      let child = items[left] as T;
      let childAt = left;
      if (right < length) {
        const r = items[right] as T;
        if (this.#less(r, child)) {
          child = r;
          childAt = right;
        }
      }
      if (!this.#less(child, node)) break;
      items[at] = child;
      child.heapIndex = at;
      at = childAt;
    }
    items[at] = node;
    node.heapIndex = at;
  }
}
