/**
 * One coarse timer wheel for the timeouts of every HTTP connection.
 *
 * An entry carries one absolute deadline (`expire`, ms on the wheel's clock). Moving a
 * deadline later is a field write: the entry stays in its slot and is re-filed when the
 * slot comes round, so re-arming on every read or write costs nothing. Slots are
 * intrusive doubly-linked lists (no allocation to arm or disarm). The wheel ticks every
 * RESOLUTION ms only while it holds entries; `now` is refreshed once per tick, and
 * `expire` values are computed from it, so deadlines are exact to about one tick.
 */

const RESOLUTION = 16;
const SLOTS = 256;
const MASK = SLOTS - 1;

/** Something with a deadline. `onExpire` is called once the deadline has passed. */
export interface WheelEntry {
  /** Absolute deadline on the wheel's clock; 0 = none. */
  expire: number;
  wheelNext: WheelEntry | null;
  wheelPrev: WheelEntry | null;
  /** Slot index, -1 when not on the wheel. */
  wheelSlot: number;
  /** The tick the entry is filed for (a deadline moved earlier than it is filed again). */
  wheelTick: number;
  onExpire(now: number): void;
}

export class TimerWheel {
  /** The wheel's clock (ms): performance.now() as of the last tick or arm. */
  now: number;
  private readonly slots: (WheelEntry | null)[];
  private count: number;
  private cursor: number;
  private timer: NodeJS.Timeout | undefined;
  private readonly tickBound: () => void;

  constructor() {
    this.now = performance.now();
    this.slots = new Array<WheelEntry | null>(SLOTS).fill(null);
    this.count = 0;
    this.cursor = Math.floor(this.now / RESOLUTION);
    this.timer = undefined;
    this.tickBound = () => this.tick();
  }

  get size(): number {
    return this.count;
  }

  /**
   * Sets the entry's deadline to `now + ms` (ms > 0) and puts it on the wheel if needed. A later
   * deadline leaves the entry where it is (it is filed again when its slot comes round); an
   * earlier one moves it.
   */
  arm(e: WheelEntry, ms: number): void {
    e.expire = this.now + ms;
    if (e.wheelSlot < 0) this.link(e);
    else if (Math.ceil(e.expire / RESOLUTION) < e.wheelTick) {
      this.unlink(e);
      this.link(e);
    }
  }

  /** Takes the entry off the wheel. */
  disarm(e: WheelEntry): void {
    e.expire = 0;
    if (e.wheelSlot >= 0) this.unlink(e);
  }

  private link(e: WheelEntry): void {
    if (this.count === 0) {
      this.now = performance.now();
      this.cursor = Math.floor(this.now / RESOLUTION);
      if (e.expire < this.now) e.expire = this.now;
    }
    const tickOf = Math.max(Math.ceil(e.expire / RESOLUTION), this.cursor + 1);
    e.wheelTick = tickOf;
    const slot = tickOf & MASK;
    const head = this.slots[slot] ?? null;
    e.wheelPrev = null;
    e.wheelNext = head;
    if (head) head.wheelPrev = e;
    this.slots[slot] = e;
    e.wheelSlot = slot;
    this.count++;
    if (this.timer === undefined) {
      this.timer = setInterval(this.tickBound, RESOLUTION);
      this.timer.unref();
    }
  }

  private unlink(e: WheelEntry): void {
    const slot = e.wheelSlot;
    if (e.wheelPrev) e.wheelPrev.wheelNext = e.wheelNext;
    else this.slots[slot] = e.wheelNext;
    if (e.wheelNext) e.wheelNext.wheelPrev = e.wheelPrev;
    e.wheelNext = null;
    e.wheelPrev = null;
    e.wheelSlot = -1;
    this.count--;
    if (this.count === 0 && this.timer !== undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private tick(): void {
    const now = performance.now();
    this.now = now;
    const target = Math.floor(now / RESOLUTION);
    // a late tick walks every slot it skipped (at most one revolution)
    let steps = Math.min(target - this.cursor, SLOTS);
    while (steps-- > 0 && this.count > 0) {
      this.cursor++;
      const slot = this.cursor & MASK;
      let e = this.slots[slot] ?? null;
      while (e !== null) {
        const next = e.wheelNext;
        if (e.expire <= now) {
          this.unlink(e);
          e.onExpire(now);
        } else {
          // a later deadline (re-armed since) or a later revolution: file it again
          this.unlink(e);
          this.link(e);
        }
        e = next;
      }
    }
    if (this.cursor < target) this.cursor = target;
  }
}
