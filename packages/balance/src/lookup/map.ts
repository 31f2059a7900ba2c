/**
 * The static map: a table with one entry per unit of effective weight (the user weight
 * divided by the weights' GCD), filled so that
 * each server's entries are spread evenly (each round, every server's score grows by its
 * weight and the best score takes the entry and pays the total back; ties go to the
 * server declared first). `static-rr` walks the table in order; map-based hashing picks
 * entry `hash % total weight`. The table is rebuilt when a server starts or stops taking
 * traffic (O(total weight × servers), as in HAProxy); picking is O(1).
 */

import type { Farm } from '../farm.ts';
import type { Slot } from '../slot.ts';
import type { Lookup } from './lookup.ts';

export class MapLookup implements Lookup {
  private readonly farm: Farm;
  private table: (Slot | null)[];
  /** Next entry for `static-rr`. */
  private rrIdx = 0;
  /** Scratch: usable servers of the group being mapped. */
  private members: Slot[] = [];

  constructor(farm: Farm) {
    this.farm = farm;
    let act = 0;
    let bck = 0;
    for (const slot of farm.slots) {
      if (slot.backup) bck += slot.nextEweight;
      else act += slot.nextEweight;
    }
    this.table = new Array<Slot | null>(Math.max(act, bck, 1)).fill(null);
    this.rebuild();
  }

  update(slot: Slot): void {
    // weights are static: only a server starting or stopping to take traffic changes the map
    if (slot.curUsable === slot.nextUsable) return;
    this.rebuild();
  }

  next(avoid: Slot | null): Slot | null {
    const total = this.farm.totWeight;
    if (total === 0) return null;
    if (this.rrIdx < 0 || this.rrIdx >= total) this.rrIdx = 0;
    const start = this.rrIdx;
    let idx = start;
    let avoided: Slot | null = null;
    let avoidedIdx = 0;
    do {
      const srv = this.table[idx++]!;
      if (!srv.full()) {
        avoided = srv;
        avoidedIdx = idx;
        if (srv !== avoid) {
          this.rrIdx = idx;
          return srv;
        }
      }
      if (idx === total) idx = 0;
    } while (idx !== start);
    if (avoided !== null) this.rrIdx = avoidedIdx;
    return avoided;
  }

  byHash(hash: number): Slot | null {
    const total = this.farm.totWeight;
    return total === 0 ? null : this.table[(hash >>> 0) % total]!;
  }

  taken(): void {}

  released(): void {}

  private rebuild(): void {
    const farm = this.farm;
    if (farm.totUsed === 0) return;
    const total = farm.totWeight;
    const backup = farm.actCount === 0;
    const members = this.members;
    members.length = 0;
    for (const slot of farm.slots) {
      slot.wscore = 0;
      if (slot.backup === backup && slot.nextUsable) members.push(slot);
    }
    if (total > this.table.length) {
      // weights above the initial ones (not possible with static weights, kept for safety)
      this.table = new Array<Slot | null>(total).fill(null);
    }
    const m = members.length;
    for (let o = 0; o < total; o++) {
      let best: Slot | null = null;
      let max = 0;
      for (let i = 0; i < m; i++) {
        const cur = members[i]!;
        if (total === 1) {
          best = cur;
          break;
        }
        cur.wscore = (cur.wscore + cur.nextEweight) >>> 0;
        const v = Math.floor(((cur.wscore + total) >>> 0) / total);
        if (best === null || v > max) {
          max = v;
          best = cur;
        }
      }
      this.table[o] = best;
      if (best !== null) best.wscore = (best.wscore - total) >>> 0;
    }
  }
}
