/**
 * Weighted round robin with dynamic weights, choosing servers in the same order as
 * HAProxy's "fast weighted round robin".
 *
 * Each group (active, backup) walks a window of positions. A server of effective weight
 * w placed at position p is due again `W / w` positions later (W: the group's total
 * weight), with the remainder carried over so that it gets exactly w turns per W. Three
 * ordered sets hold the servers:
 *
 * ```
 *   init ──(first pick, heaviest first)──▶ curr ──(position beyond the window)──▶ next
 *    ▲                                    │ ▲                                      │
 *    │                                    └─┘ picked: due again W/w later           │
 *    └──────────── window exhausted: "next" becomes "init", window = W ─────────────┘
 * ```
 *
 * `curr` is ordered by due position, then by weight (heavier first); `init` and `next`
 * by weight. A new server is taken from `init` whenever the head of `curr` is not due
 * yet. All arithmetic is unsigned 32-bit, as HAProxy's, so that the order matches even
 * where it wraps.
 */

import type { Farm } from '../farm.ts';
import { Heap } from '../heap.ts';
import { WEIGHT_SCALE } from '../server.ts';
import type { Slot } from '../slot.ts';
import type { Lookup } from './lookup.ts';

/** Largest effective weight (256 × 16). */
const EWEIGHT_MAX = 4096;
/** Positions are scaled by this in `curr`'s key, leaving room for the weight tie-break. */
const POSITION_SCALE = 256;

class Group {
  readonly curr: Heap;
  init: Heap;
  next: Heap;
  /** Current position in the window (signed in HAProxy; compared unsigned). */
  currPos = 0;
  /** Total weight of the current window, and of the next one. */
  currWeight = 0;
  nextWeight = 0;

  constructor(capacity: number) {
    this.curr = new Heap(capacity);
    this.init = new Heap(capacity);
    this.next = new Heap(capacity);
  }
}

export class FwrrLookup implements Lookup {
  private readonly farm: Farm;
  private readonly act: Group;
  private readonly bck: Group;

  constructor(farm: Farm) {
    this.farm = farm;
    const n = farm.slots.length;
    this.act = new Group(n);
    this.bck = new Group(n);
    for (const [g, tot] of [
      [this.act, farm.totAct],
      [this.bck, farm.totBck],
    ] as const) {
      g.currPos = tot;
      g.currWeight = tot;
      g.nextWeight = tot;
    }
    for (const slot of farm.slots) {
      if (slot.curUsable) this.queueByWeight(this.group(slot).init, slot);
    }
  }

  next(avoid: Slot | null): Slot | null {
    const farm = this.farm;
    let g: Group;
    if (farm.actCount > 0) g = this.act;
    else if (farm.firstBackup !== null) return farm.firstBackup;
    else if (farm.bckCount > 0) g = this.bck;
    else return null;

    let switched = false;
    let avoided: Slot | null = null;
    let full: Slot | null = null;
    let chosen: Slot | null = null;
    for (;;) {
      if (g.currWeight === 0) {
        g.currWeight = g.nextWeight;
        g.currPos = g.nextWeight;
      }
      let srv = this.fromGroup(g);
      if (srv === null) {
        if (!switched) {
          switched = true;
          this.switchTrees(g);
          srv = this.fromGroup(g);
        }
        if (srv === null) {
          chosen = avoided; // nothing else: the avoided server, if any
          break;
        }
      }
      this.advance(g, srv);
      srv.inHeap?.remove(srv);
      g.currPos++;
      if (!srv.full()) {
        if (srv !== avoid || avoided !== null) {
          chosen = srv;
          break;
        }
        avoided = srv;
      }
      // saturated or avoided: set aside, put back once the choice is made
      srv.fullNext = full;
      full = srv;
    }
    if (chosen !== null) this.queue(g, chosen);
    while (full !== null) {
      const s: Slot = full;
      full = s.fullNext;
      s.fullNext = null;
      if (s === chosen) continue;
      // after a window switch their place is lost: only their weight counts
      if (switched) this.queueByWeight(g.init, s);
      else this.queue(g, s);
    }
    return chosen;
  }

  update(slot: Slot): void {
    const was = slot.curUsable;
    const will = slot.nextUsable;
    if (!was && !will) return;
    if (!was) {
      this.up(slot);
      return;
    }
    if (!will) {
      this.down(slot);
      return;
    }

    const g = this.group(slot);
    g.nextWeight = g.nextWeight - slot.curEweight + slot.nextEweight;
    if (slot.tree === g.init) {
      slot.inHeap?.remove(slot);
      this.queueByWeight(g.init, slot);
    } else if (slot.tree === null) {
      this.takeOut(g, slot);
      slot.npos = this.entryPosition(g, slot);
      this.queue(g, slot);
    } else {
      // in the current window or waiting for the next: move its due position
      this.takeOut(g, slot);
      const previous = slot.npos;
      const step = Math.floor((g.nextWeight >>> 0) / slot.nextEweight);
      slot.npos = (slot.lpos + step) >>> 0;
      slot.rweight = 0;
      if (slot.npos > previous) slot.npos = previous;
      if (slot.npos < (g.currPos + 2) >>> 0) slot.npos = (g.currPos + step) >>> 0;
      slot.inHeap?.remove(slot);
      this.queue(g, slot);
    }
  }

  byHash(): Slot | null {
    throw new Error('roundrobin has no hash lookup');
  }

  taken(): void {}

  released(): void {}

  private group(slot: Slot): Group {
    return slot.backup ? this.bck : this.act;
  }

  private up(slot: Slot): void {
    const g = this.group(slot);
    g.nextWeight += slot.nextEweight;
    this.takeOut(g, slot);
    slot.npos = this.entryPosition(g, slot);
    this.queue(g, slot);
  }

  private down(slot: Slot): void {
    const g = this.group(slot);
    g.nextWeight -= slot.curEweight;
    slot.inHeap?.remove(slot);
    slot.tree = null;
  }

  /** Where a server coming (back) up enters the window: spread over what is left of it. */
  private entryPosition(g: Group, slot: Slot): number {
    const left = (g.nextWeight + g.currWeight - g.currPos) >>> 0;
    return (g.currPos + Math.floor(left / slot.nextEweight)) >>> 0;
  }

  /** The head of `curr` if it is due, else a server from `init`, else the head of `curr` anyway. */
  private fromGroup(g: Group): Slot | null {
    const s1 = g.curr.first();
    if (s1 !== null && s1.curEweight !== 0 && s1.npos <= g.currPos >>> 0) return s1;
    const s2 = g.init.first();
    if (s2 !== null && s2.curEweight !== 0) {
      s2.npos = 0;
      s2.rweight = 0;
      return s2;
    }
    return s1;
  }

  /** Consumes one turn of `slot`: its next due position moves W / w further. */
  private advance(g: Group, slot: Slot): void {
    const w = slot.curEweight;
    if (w === 0) return;
    if (slot.npos === 0) slot.npos = g.currPos >>> 0; // first turn ever
    const total = g.nextWeight >>> 0;
    slot.lpos = slot.npos;
    slot.npos = (slot.npos + Math.floor(total / w)) >>> 0;
    slot.rweight = (slot.rweight + (total % w)) >>> 0;
    if (slot.rweight >= w) {
      slot.rweight -= w;
      slot.npos = (slot.npos + 1) >>> 0;
    }
  }

  /** Adjusts the position of a server leaving its tree, depending on which tree it was in. */
  private takeOut(g: Group, slot: Slot): void {
    if (slot.tree === g.init) {
      slot.npos = 0;
      slot.rweight = 0;
    } else if (slot.tree === g.next) {
      slot.npos = (slot.npos + g.currWeight) >>> 0;
    } else if (slot.tree === null) {
      slot.npos = g.currPos >>> 0;
    }
  }

  private switchTrees(g: Group): void {
    const t = g.init;
    g.init = g.next;
    g.next = t;
    g.currWeight = g.nextWeight;
    g.currPos = g.currWeight;
  }

  private queueByWeight(heap: Heap, slot: Slot): void {
    slot.inHeap?.remove(slot);
    heap.insert(slot, EWEIGHT_MAX - slot.nextEweight);
    slot.tree = heap;
  }

  /** Puts a server back after a turn: in the current window if it is due within it, else in `next`. */
  private queue(g: Group, slot: Slot): void {
    slot.inHeap?.remove(slot);
    if (!slot.nextUsable) {
      slot.tree = null;
      return;
    }
    const cw = g.currWeight;
    if (slot.nextEweight <= 0 || slot.npos >= (2 * cw) >>> 0 || slot.npos >= (cw + g.nextWeight) >>> 0) {
      slot.npos = (slot.npos - cw) >>> 0;
      this.queueByWeight(g.next, slot);
      return;
    }
    const tieBreak = Math.floor(((EWEIGHT_MAX + slot.rweight - slot.nextEweight) >>> 0) / WEIGHT_SCALE);
    g.curr.insert(slot, POSITION_SCALE * slot.npos + tieBreak);
    slot.tree = g.curr;
  }
}
