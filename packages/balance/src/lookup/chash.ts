/**
 * Consistent hashing: every server owns as many points on a 32-bit ring as its effective
 * weight (16 per unit of user weight), point j of the server with id p sitting at
 * `avalanche(p × 4096 + j)`. A hash goes to the server owning the nearest point, before
 * or after it (before wins a tie). Changing one server's weight or state only moves its
 * own points, so most keys keep their server. `avalanche` is a bijection, so two points
 * never share a position.
 *
 * When a hashing algorithm finds no key, the ring is walked point after point from where
 * the previous walk stopped (HAProxy's fallback to round robin on the ring).
 *
 * Lookups are O(log points); changing a server is O(points).
 */

import type { Farm } from '../farm.ts';
import { avalanche } from '../hash.ts';
import { WEIGHT_SCALE } from '../server.ts';
import type { Slot } from '../slot.ts';
import type { Lookup } from './lookup.ts';

/** Point j of server `puid`: positions are spread by the avalanche mix. */
export function pointKey(puid: number, j: number): number {
  return avalanche((Math.imul(puid, 4096) + j) >>> 0);
}

class Ring {
  keys = new Uint32Array(0);
  owners: Slot[] = [];

  get size(): number {
    return this.keys.length;
  }

  /** First index whose key is ≥ hash (size if none). */
  lowerBound(hash: number): number {
    const keys = this.keys;
    let lo = 0;
    let hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (keys[mid]! < hash) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Removes `slot`'s points j ≥ count. */
  removePoints(slot: Slot, count: number): void {
    const keys = this.keys;
    const owners = this.owners;
    let removed = 0;
    for (let i = 0; i < keys.length; i++) if (owners[i] === slot) removed++;
    removed -= count;
    if (removed <= 0) return;
    const nk = new Uint32Array(keys.length - removed);
    const no: Slot[] = new Array<Slot>(nk.length);
    // a server's point j is recognised by its key: keep those below `count`
    const keep = new Set<number>();
    for (let j = 0; j < count; j++) keep.add(pointKey(slot.puid, j));
    let w = 0;
    for (let i = 0; i < keys.length; i++) {
      if (owners[i] === slot && !keep.has(keys[i]!)) continue;
      nk[w] = keys[i]!;
      no[w] = owners[i]!;
      w++;
    }
    this.keys = nk;
    this.owners = no;
  }

  /** Adds `slot`'s points from..count-1. */
  addPoints(slot: Slot, from: number, count: number): void {
    const add = count - from;
    if (add <= 0) return;
    const fresh = new Uint32Array(add);
    for (let j = from; j < count; j++) fresh[j - from] = pointKey(slot.puid, j);
    fresh.sort();
    const keys = this.keys;
    const owners = this.owners;
    const nk = new Uint32Array(keys.length + add);
    const no: Slot[] = new Array<Slot>(nk.length);
    let i = 0;
    let k = 0;
    let w = 0;
    while (i < keys.length || k < add) {
      if (k >= add || (i < keys.length && keys[i]! < fresh[k]!)) {
        nk[w] = keys[i]!;
        no[w++] = owners[i++]!;
      } else {
        nk[w] = fresh[k++]!;
        no[w++] = slot;
      }
    }
    this.keys = nk;
    this.owners = no;
  }
}

export class ChashLookup implements Lookup {
  private readonly farm: Farm;
  private readonly act = new Ring();
  private readonly bck = new Ring();
  /** Where the last ring walk stopped: a ring and a point (its key), or none. */
  private lastRing: Ring | null = null;
  private lastKey = 0;
  private lastPos = -1;

  constructor(farm: Farm) {
    this.farm = farm;
    for (const slot of farm.slots) {
      slot.pointsCap = slot.initialWeight * WEIGHT_SCALE;
      if (!slot.curUsable) continue;
      this.ring(slot).addPoints(slot, 0, slot.nextEweight);
      slot.points = slot.nextEweight;
    }
  }

  update(slot: Slot): void {
    const want = slot.nextUsable ? slot.nextEweight : 0;
    if (want === slot.points) return;
    const ring = this.ring(slot);
    if (want > slot.pointsCap) {
      // beyond the points prepared at start: all of them are placed again (HAProxy reallocates)
      ring.removePoints(slot, 0);
      if (this.lastRing === ring) this.relocateLast(ring);
      ring.addPoints(slot, 0, want);
      if (this.lastRing === ring) this.lastPos = ring.lowerBound(this.lastKey);
      slot.pointsCap = want;
    } else if (want < slot.points) {
      ring.removePoints(slot, want);
      if (this.lastRing === ring) this.relocateLast(ring);
    } else {
      ring.addPoints(slot, slot.points, want);
      if (this.lastRing === ring) this.lastPos = ring.lowerBound(this.lastKey);
    }
    slot.points = want;
  }

  byHash(hash: number, avoid: Slot | null): Slot | null {
    const farm = this.farm;
    let ring: Ring;
    if (farm.actCount > 0) ring = this.act;
    else if (farm.firstBackup !== null) return farm.firstBackup;
    else if (farm.bckCount > 0) ring = this.bck;
    else return null;
    const n = ring.size;
    if (n === 0) return null;
    const h = hash >>> 0;
    let idx = ring.lowerBound(h);
    if (idx === n) idx = 0;
    const prev = idx === 0 ? n - 1 : idx - 1;
    const keys = ring.keys;
    const dp = (h - keys[prev]!) >>> 0;
    const dn = (keys[idx]! - h) >>> 0;
    if (dp <= dn) idx = prev;
    let srv = ring.owners[idx]!;
    let loops = 0;
    while (srv === avoid) {
      if (++idx === n) {
        idx = 0;
        if (++loops > 1) break;
      }
      srv = ring.owners[idx]!;
    }
    return srv;
  }

  next(avoid: Slot | null): Slot | null {
    const farm = this.farm;
    let ring: Ring;
    if (farm.actCount > 0) ring = this.act;
    else if (farm.firstBackup !== null) return farm.firstBackup;
    else if (farm.bckCount > 0) ring = this.bck;
    else return null;
    const n = ring.size;
    if (n === 0) {
      this.lastRing = null;
      return null;
    }
    let pos = this.lastRing === ring ? this.lastPos : -1;
    let stop = pos;
    let avoided: Slot | null = null;
    let avoidedPos = -1;
    let chosen: Slot | null = null;
    do {
      pos = pos < 0 || pos + 1 >= n ? 0 : pos + 1;
      this.setLast(ring, pos);
      // with no previous stop, only the first point is looked at (as HAProxy does)
      if (stop < 0) stop = pos;
      const s = ring.owners[pos]!;
      if (!s.full()) {
        if (s !== avoid) {
          chosen = s;
          break;
        }
        avoided = s;
        avoidedPos = pos;
      }
    } while (pos !== stop);
    if (chosen === null) {
      chosen = avoided;
      if (avoidedPos < 0) this.lastRing = null;
      else this.setLast(ring, avoidedPos);
    }
    return chosen;
  }

  taken(): void {}

  released(): void {}

  private ring(slot: Slot): Ring {
    return slot.backup ? this.bck : this.act;
  }

  private setLast(ring: Ring, pos: number): void {
    this.lastRing = ring;
    this.lastPos = pos;
    this.lastKey = ring.keys[pos]!;
  }

  /** After points were removed: the walk goes on from the next point that remains. */
  private relocateLast(ring: Ring): void {
    const n = ring.size;
    if (n === 0) {
      this.lastRing = null;
      return;
    }
    let pos = ring.lowerBound(this.lastKey);
    if (pos < n && ring.keys[pos] === this.lastKey) {
      this.lastPos = pos;
      return;
    }
    if (pos === n) pos = 0;
    this.setLast(ring, pos);
  }
}
