/**
 * Accept rates and their limits (HAProxy's global `maxconnrate`, `maxsessrate`,
 * `maxsslrate` and a frontend's `rate-limit sessions`).
 *
 * A rate is counted over a sliding second the way HAProxy's frequency counters do: the
 * events of the current one-second period plus those of the previous period weighted by
 * the part of it still inside the window. A limit is reached when that figure is at the
 * limit; the listeners it holds stop handing connections over ('limited') and are woken
 * by one timer per limit, set for the first millisecond at which the window has room.
 */
import type { Listener } from './listener.ts';

/** The length of a rate's period, in ms: rates are per second. */
export const RATE_PERIOD_MS = 1000;

const P = RATE_PERIOD_MS;

/** A monotonic clock in whole milliseconds (what the counters are fed with). */
export function nowMs(): number {
  return Math.floor(performance.now());
}

// The window seen at a date, without rotating the counter (no allocation per call).
let viewPast = 0;
let viewCurr = 0;
let viewRemain = 0;

/**
 * Events per second over a sliding window (HAProxy's `freq_ctr` on a one-second period).
 * Dates are milliseconds from `nowMs()`.
 */
export class RateCounter {
  /** Start of the current period. */
  tick: number;
  /** Events in the current period. */
  curr: number;
  /** Events in the previous period. */
  prev: number;

  constructor() {
    // long ago: the first event opens a period of its own, whatever the clock reads
    this.tick = -1e9;
    this.curr = 0;
    this.prev = 0;
  }

  /** Counts one event at `now`; returns the events of the current period (what maxima keep). */
  add(now: number): number {
    if (now - this.tick >= P) {
      // the current period becomes the previous one; two periods without an event forget both
      let tick = this.tick + P;
      this.prev = this.curr;
      if (now - tick >= P) {
        this.prev = 0;
        tick = now;
      }
      this.tick = tick;
      this.curr = 0;
    }
    return ++this.curr;
  }

  /** Sets viewPast/viewCurr/viewRemain: the window at `now`. */
  private view(now: number): void {
    let remain = this.tick + P - now;
    let past = this.prev;
    let curr = this.curr;
    if (remain < 0) {
      // past the current period: it is the previous one now, if not older
      remain += P;
      past = remain >= 0 ? curr : 0;
      curr = 0;
    }
    viewPast = past;
    viewCurr = curr;
    viewRemain = remain;
  }

  /**
   * The rate at `now`, rounded down (`show info` ConnRate and friends). A single event of
   * the previous period still reads 1 until the window has no event left, so that a very
   * low rate does not flap between 0 and 1 (HAProxy does the same).
   */
  read(now: number): number {
    this.view(now);
    if (viewCurr === 0 && viewPast <= 1) return viewPast;
    return Math.floor((viewPast * viewRemain + viewCurr * P) / P);
  }

  /** How many events may still happen at `now` under `max` per second (0: the limit is reached). */
  remain(max: number, now: number): number {
    this.view(now);
    const avg = Math.floor((viewPast * viewRemain + viewCurr * P) / P);
    return avg >= max ? 0 : max - avg;
  }

  /**
   * Milliseconds from `now` until one more event fits under `max` per second (0: it fits
   * now). The window empties as time passes, so this is the first date at which the
   * weighted count drops under the limit.
   */
  delay(max: number, now: number): number {
    if (max <= 0 || this.remain(max, now) > 0) return 0;
    // the period containing `now`, as the window sees it
    let start = this.tick;
    let past = this.prev;
    let curr = this.curr;
    if (now - start >= P) {
      start += P;
      past = curr;
      curr = 0;
      if (now - start >= P) return 0; // everything aged out (remain() said otherwise: not reached)
    }
    const end = start + P;
    // within this period: past × (end − t) + curr × P < max × P
    if (curr < max && past > 0) {
      const t = Math.floor((end * past - (max - curr) * P) / past) + 1;
      if (t <= end) return Math.max(1, t - now);
    }
    // within the next one, where this period's count is the past: curr × (end + P − t) < max × P
    if (curr === 0) return Math.max(1, end + 1 - now);
    const t = Math.max(end + 1, Math.floor(((end + P) * curr - max * P) / curr) + 1);
    return Math.max(1, t - now);
  }
}

/** Where a rate counts its events: each connection handed over, or each one the handler kept. */
export type RateEvent = 'connection' | 'session';

/**
 * A per-second limit shared by listeners. `max` 0 means no limit: the rate is still
 * counted (`rate()`, `peak`), nothing is held.
 *
 * - `connection` rates count every connection handed to `onAccept` (HAProxy's connection
 *   rate, and a frontend's session rate, which counts before the tcp-request rules).
 * - `session` rates count a connection once `onAccept` kept it (did not return `false`):
 *   HAProxy's process-wide session and SSL session rates.
 */
export class RateLimit {
  /** Events per second before the listeners are held; 0 = no limit (a 32-bit unsigned value). */
  max: number;
  readonly counts: RateEvent;
  readonly counter: RateCounter;
  /** The most events counted in one period (HAProxy's MaxConnRate / MaxSessRate / MaxSslRate). */
  peak: number;
  /** Listeners held by this limit, woken by its timer. */
  readonly waiting: Set<Listener>;
  private timer: NodeJS.Timeout | null;

  constructor(max: number, counts: RateEvent = 'connection') {
    this.max = max >>> 0;
    this.counts = counts;
    this.counter = new RateCounter();
    this.peak = 0;
    this.waiting = new Set();
    this.timer = null;
  }

  /** The rate now (events over the last second). */
  rate(now: number = nowMs()): number {
    return this.counter.read(now);
  }

  /**
   * Changes the limit at run time (`set rate-limit … global`); 0 removes it. The listeners
   * it held are woken at once and re-check against the new value.
   */
  setMax(max: number): void {
    this.max = max >>> 0;
    this.wake();
  }

  /** @internal Whether one more event fits at `now`. */
  allows(now: number): boolean {
    return this.max === 0 || this.counter.remain(this.max, now) > 0;
  }

  /** @internal Counts one event. */
  count(now: number): void {
    const n = this.counter.add(now);
    if (n > this.peak) this.peak = n;
  }

  /** @internal `l` is held by this limit: wake it when the window has room. */
  hold(l: Listener, now: number): void {
    this.waiting.add(l);
    if (this.timer === null) this.timer = setTimeout(onRateTimer, this.counter.delay(this.max, now), this);
  }

  /** @internal `l` no longer waits (unbound). */
  forget(l: Listener): void {
    this.waiting.delete(l);
    if (this.waiting.size === 0 && this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
  }

  /** Wakes every held listener now (each one re-checks, and may be held again). */
  private wake(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.waiting.size === 0) return;
    const ls = [...this.waiting];
    this.waiting.clear();
    for (const l of ls) l.rateAllows();
  }

  /** @internal The timer fired. */
  fired(): void {
    this.timer = null;
    this.wake();
  }
}

function onRateTimer(limit: RateLimit): void {
  limit.fired();
}
