/**
 * First available: servers ordered by id; the lowest id below its `maxconn` takes the
 * request, so traffic packs onto as few servers as possible. Weights only matter in
 * that a weight of 0 takes nothing.
 */

import type { Slot } from '../slot.ts';
import { OrderedLookup } from './ordered.ts';

export class FasLookup extends OrderedLookup {
  protected keyOf(slot: Slot): number {
    return slot.puid;
  }

  protected reposition(slot: Slot): void {
    const heap = slot.tree;
    if (heap === null) return;
    slot.inHeap?.remove(slot);
    heap.insert(slot, slot.puid);
  }
}
