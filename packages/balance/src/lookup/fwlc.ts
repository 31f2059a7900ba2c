/**
 * Least connections: servers ordered by `(served + 1) × 4096 / effective weight`, idle
 * servers (key 0) first whatever their weight. A server whose key changes goes after
 * the servers with the same key, so equally loaded servers take turns.
 */

import type { Slot } from '../slot.ts';
import { OrderedLookup } from './ordered.ts';

const EWEIGHT_MAX = 4096;

function loadKey(served: number, eweight: number): number {
  if (served <= 0) return 0;
  return Math.floor((((served + 1) * EWEIGHT_MAX) >>> 0) / (eweight || 1));
}

export class FwlcLookup extends OrderedLookup {
  protected keyOf(slot: Slot, eweight: number): number {
    return loadKey(slot.server.served, eweight);
  }

  protected reposition(slot: Slot): void {
    const eweight = slot.curEweight;
    const key = loadKey(slot.server.served, eweight);
    // unchanged key: the server keeps its place among its equals
    if (slot.inHeap !== null && eweight !== 0 && slot.key === key) return;
    if (slot.tree === null) return;
    if (slot.inHeap === null || slot.key !== key) {
      const heap = slot.tree;
      slot.inHeap?.remove(slot);
      heap.insert(slot, key);
    }
  }
}
