import { performance } from 'node:perf_hooks';

/**
 * A date in milliseconds on a monotonic clock ("tick"), or TICK_ETERNITY for "never".
 * Infinity compares after every finite tick, so `expire <= now` needs no special case.
 */
export const TICK_ETERNITY: number = Number.POSITIVE_INFINITY;

/** Where the scheduler reads the time. Must never go backwards. */
export interface Clock {
  now(): number;
}

/** A clock that moves only when told to, for tests. */
export interface ManualClock extends Clock {
  /** Moves the clock forward by `ms` (>= 0) and returns the new time. */
  advance(ms: number): number;
  /** Sets the time; throws if it would go backwards. */
  set(tick: number): void;
}

/** Whole milliseconds since the process started (performance.now(), floored). */
export const realClock: Clock = {
  now(): number {
    return Math.floor(performance.now());
  },
};

class Manual implements ManualClock {
  #now: number;

  constructor(start: number) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  advance(ms: number): number {
    if (!(ms >= 0)) throw new RangeError(`cannot advance a clock by ${ms} ms`);
    this.#now += ms;
    return this.#now;
  }

  set(tick: number): void {
    if (!(tick >= this.#now)) throw new RangeError(`clock cannot go back from ${this.#now} to ${tick}`);
    this.#now = tick;
  }
}

export function createManualClock(start = 0): ManualClock {
  return new Manual(start);
}
