import {
  type ELDHistogram,
  type EventLoopUtilization,
  monitorEventLoopDelay,
  performance,
} from 'node:perf_hooks';

/** Event-loop delay in milliseconds. */
export interface LagFigures {
  readonly mean: number;
  readonly max: number;
  readonly p99: number;
}

const WINDOW_MS = 1000;
const ZERO_LAG: LagFigures = Object.freeze({ mean: 0, max: 0, p99: 0 });

function lagOf(histogram: ELDHistogram): LagFigures {
  if (histogram.count === 0) return ZERO_LAG;
  // The histogram counts nanoseconds.
  return {
    mean: histogram.mean / 1e6,
    max: histogram.max / 1e6,
    p99: histogram.percentile(99) / 1e6,
  };
}

/**
 * Load figures of the Node event loop while a RunLoop runs, over fixed windows of
 * one second: idle % comes from Node's event-loop utilization (time spent waiting
 * in the poll phase, as HAProxy's idle % is time spent in epoll_wait), lag from
 * monitorEventLoopDelay. Both are process-wide, which is what they mean for a
 * single-threaded server. Reported over the last complete window plus the current
 * one (so between one and two seconds), or since start before the first second.
 */
export class LoopMeter {
  #histogram: ELDHistogram | null;
  #windowStart: number;
  #eluWindow: EventLoopUtilization | null;
  #eluPrevWindow: EventLoopUtilization | null;
  #lastLag: LagFigures | null;
  #finalIdle: number;

  constructor() {
    this.#histogram = null;
    this.#windowStart = 0;
    this.#eluWindow = null;
    this.#eluPrevWindow = null;
    this.#lastLag = null;
    this.#finalIdle = Number.NaN;
  }

  start(): void {
    if (this.#histogram !== null) return;
    this.#histogram = monitorEventLoopDelay({ resolution: 10 });
    this.#histogram.enable();
    this.#windowStart = performance.now();
    this.#eluWindow = performance.eventLoopUtilization();
  }

  stop(): void {
    const histogram = this.#histogram;
    if (histogram === null) return;
    this.#finalIdle = this.idlePct();
    this.#lastLag = lagOf(histogram);
    histogram.disable();
    this.#histogram = null;
  }

  /** Closes the current window once it is a second old; cheap to call every turn. */
  rotate(): void {
    const histogram = this.#histogram;
    if (histogram === null) return;
    const now = performance.now();
    if (now - this.#windowStart < WINDOW_MS) return;
    this.#lastLag = lagOf(histogram);
    histogram.reset();
    this.#eluPrevWindow = this.#eluWindow;
    this.#eluWindow = performance.eventLoopUtilization();
    this.#windowStart = now;
  }

  /** 0..100; 100 before the loop starts. */
  idlePct(): number {
    if (this.#histogram === null) return Number.isNaN(this.#finalIdle) ? 100 : this.#finalIdle;
    const since = this.#eluPrevWindow ?? this.#eluWindow;
    if (since === null) return 100;
    const { utilization } = performance.eventLoopUtilization(since);
    if (!Number.isFinite(utilization)) return 100;
    return Math.min(100, Math.max(0, 100 * (1 - utilization)));
  }

  lag(): LagFigures {
    if (this.#lastLag !== null) return this.#lastLag;
    return this.#histogram === null ? ZERO_LAG : lagOf(this.#histogram);
  }
}
