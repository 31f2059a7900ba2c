/**
 * Servers kept in one ordered set per group (active, backup), the first one that is not
 * at its connection limit taking the request. `leastconn` orders by load over weight,
 * `first` by id. A server that is usable but at its limit is skipped; the server to
 * avoid (a redispatch) is taken only when nothing else can be.
 */

import type { Farm } from '../farm.ts';
import { Heap } from '../heap.ts';
import type { Slot } from '../slot.ts';
import type { Lookup } from './lookup.ts';

export abstract class OrderedLookup implements Lookup {
  protected readonly farm: Farm;
  private readonly act: Heap;
  private readonly bck: Heap;

  constructor(farm: Farm) {
    this.farm = farm;
    this.act = new Heap(farm.slots.length);
    this.bck = new Heap(farm.slots.length);
    for (const slot of farm.slots) {
      if (!slot.curUsable) continue;
      slot.tree = this.heap(slot);
      slot.tree.insert(slot, this.keyOf(slot, slot.nextEweight));
    }
  }

  /** The ordering key of `slot` with effective weight `eweight` (unsigned 32 bits). */
  protected abstract keyOf(slot: Slot, eweight: number): number;

  next(avoid: Slot | null): Slot | null {
    const farm = this.farm;
    let heap: Heap;
    if (farm.actCount > 0) heap = this.act;
    else if (farm.firstBackup !== null) return farm.firstBackup;
    else if (farm.bckCount > 0) heap = this.bck;
    else return null;
    let avoided: Slot | null = null;
    // the head is nearly always the answer: look at it before starting a scan
    const head = heap.first();
    if (head === null) return null;
    if (!head.full() && head !== avoid) return head;
    heap.scanStart();
    for (let s = heap.scanNext(); s !== null; s = heap.scanNext()) {
      if (s.full()) continue;
      if (s !== avoid) return s;
      avoided = s;
    }
    return avoided;
  }

  update(slot: Slot): void {
    const was = slot.curUsable;
    const will = slot.nextUsable;
    if (!was && !will) return;
    if (was && !will) {
      slot.inHeap?.remove(slot);
      slot.tree = null;
      return;
    }
    // coming up, or a new weight: (re)queued at the end of its equals
    slot.inHeap?.remove(slot);
    slot.tree = this.heap(slot);
    slot.tree.insert(slot, this.keyOf(slot, slot.nextEweight));
  }

  byHash(): Slot | null {
    throw new Error('no hash lookup in an ordered set');
  }

  taken(slot: Slot): void {
    this.reposition(slot);
  }

  released(slot: Slot): void {
    this.reposition(slot);
  }

  /** `served` changed. */
  protected abstract reposition(slot: Slot): void;

  private heap(slot: Slot): Heap {
    return slot.backup ? this.bck : this.act;
  }
}
