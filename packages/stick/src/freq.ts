// HAProxy's frequency counter (freq_ctr) over an arbitrary period: the events of the
// current period, those of the previous one, and the start of the current one. A reading
// counts the current period in full plus the previous one weighted by the part of the
// current window still to run, so the figure slides instead of dropping to 0 at each
// period boundary. Dates are HAProxy "ticks": milliseconds on 32 bits, compared with
// wrap-around, so the figures match HAProxy's to the unit even across a wrap.

const u32 = (n: number) => n >>> 0;

export class FreqCounter {
  /** Start of the current period (ms, 32-bit, always even: HAProxy keeps bit 0 as a lock). */
  tick = 0;
  /** Events in the current period. */
  curr = 0;
  /** Events in the previous period. */
  prev = 0;

  /**
   * Adds `inc` events at `now` (ms); returns the current period's count. Rotates the
   * periods when `now` left the current one, forgetting everything after two.
   */
  update(period: number, inc: number, now: number): number {
    const n = u32(now);
    const add = u32(inc); // HAProxy passes the increment as a 32-bit unsigned
    if (u32(n - this.tick) < period) {
      this.curr = u32(this.curr + add);
      return this.curr;
    }
    this.prev = this.curr;
    this.curr = add;
    let tick = u32(this.tick + period);
    if (u32(n - tick) >= period) {
      // at least two periods without an event: the previous one is empty too
      this.prev = 0;
      tick = n;
    }
    this.tick = u32(tick & ~1);
    return add;
  }

  /**
   * The rate over `period` at `now`, in events per period, rounded down. An event
   * seen once in the previous period still reads 1 (not 0) until the current window
   * runs out: HAProxy's anti-flapping rule for low rates.
   */
  read(period: number, now: number): number {
    if (period === 0) return 0; // HAProxy would divide by zero here
    let curr = this.curr;
    let past = this.prev;
    let remain = (this.tick + period - u32(now)) | 0;
    if (remain < 0) {
      // past the current period: it becomes the previous one, if not too old
      remain = (remain + period) | 0;
      past = remain >= 0 ? curr : 0;
      curr = 0;
    }
    if (curr === 0 && past <= 1) return past;
    const total = past * remain + curr * period;
    if (total <= Number.MAX_SAFE_INTEGER) return u32(Math.floor(total / period));
    return Number(
      BigInt.asUintN(32, (BigInt(past) * BigInt(remain) + BigInt(curr) * BigInt(period)) / BigInt(period)),
    );
  }

  /** `set table … data.<rate> <v>`: the value holds for a whole period from `now`, then fades. */
  set(value: number, now: number): void {
    this.tick = u32(u32(now) & ~1);
    this.prev = 0;
    this.curr = u32(value);
  }
}
