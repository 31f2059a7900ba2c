import { SignalsError } from './errors.ts';
import { checkSignal, processSignalSource, type SignalSource } from './source.ts';

/**
 * Runs from `SignalQueue.process()`, never from the delivery itself. `count` is the
 * number of deliveries of `signal` recorded since its handlers last ran (>= 1).
 */
export type SignalHandler = (signal: NodeJS.Signals, count: number) => void;

export interface SignalQueueOptions {
  /** Where deliveries come from; the current process by default. */
  source?: SignalSource;
}

/*
 * Deliveries are recorded, handlers run later:
 *
 *   OS/source ──deliver──▶ record ──(queue was empty)──▶ onPending hooks (wake the loop)
 *                            │
 *                            ▼
 *              order: [SIGHUP, SIGUSR1]   counts: {SIGHUP: 3, SIGUSR1: 1}
 *                            │
 *   run loop ──process()─────┘──▶ for each queued signal, in first-arrival order:
 *                                   count := counts[sig]; counts[sig] := 0
 *                                   run every handler of sig with (sig, count)
 *
 * A signal sits in the queue at most once (at its first arrival since it was last
 * processed); further deliveries only raise its count. This is HAProxy's model: two
 * SIGUSR1 are one soft stop, ten SIGHUP before the loop gets to them are one dump.
 */
export class SignalQueue {
  readonly #source: SignalSource;
  readonly #handlers: Map<NodeJS.Signals, SignalHandler[]>;
  readonly #counts: Map<NodeJS.Signals, number>;
  #order: NodeJS.Signals[];
  readonly #pendingHooks: Array<() => void>;
  #closed: boolean;
  // One bound listener for every signal: the source tells us which one arrived.
  readonly #onDelivery: (signal: NodeJS.Signals) => void;

  constructor(options: SignalQueueOptions = {}) {
    this.#source = options.source ?? processSignalSource;
    this.#handlers = new Map();
    this.#counts = new Map();
    this.#order = [];
    this.#pendingHooks = [];
    this.#closed = false;
    this.#onDelivery = (signal) => this.#record(signal);
  }

  /** Distinct signals waiting for `process()`. */
  get pending(): number {
    return this.#order.length;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Deliveries of `signal` recorded and not processed yet. */
  count(signal: NodeJS.Signals): number {
    return this.#counts.get(signal) ?? 0;
  }

  /**
   * Adds `handler` for `signal` and starts listening to it if it is the first one.
   * Several handlers per signal run in registration order. Returns a function that
   * removes this registration (idempotent); the last removal stops listening.
   */
  register(signal: NodeJS.Signals, handler: SignalHandler): () => void {
    if (this.#closed) throw new SignalsError('HAP_ERR_SIGNALS_CLOSED', 'signal queue is closed');
    checkSignal(signal);
    const list = this.#handlers.get(signal);
    if (list === undefined) {
      this.#handlers.set(signal, [handler]);
      this.#source.subscribe(signal, this.#onDelivery);
    } else {
      list.push(handler);
    }
    let registered = true;
    return () => {
      if (!registered) return;
      registered = false;
      this.#unregister(signal, handler);
    };
  }

  /**
   * `hook` is called when the queue goes from empty to non-empty, from the delivery
   * callback: it should only schedule a `process()` (wake the loop), not do work.
   * Returns a function that removes the hook.
   */
  onPending(hook: () => void): () => void {
    this.#pendingHooks.push(hook);
    return () => {
      const at = this.#pendingHooks.indexOf(hook);
      if (at !== -1) this.#pendingHooks.splice(at, 1);
    };
  }

  /**
   * Runs the handlers of every signal queued so far, in first-arrival order, and
   * returns how many signals were processed. Signals delivered while handlers run
   * (a handler raising one, say) wait for the next call. If handlers throw, the
   * others still run; the error (or an AggregateError) is thrown at the end.
   */
  process(): number {
    const batch = this.#order;
    if (batch.length === 0) return 0;
    this.#order = [];
    let errors: unknown[] | null = null;
    for (const signal of batch) {
      const count = this.#counts.get(signal) ?? 0;
      // Reset before running so a delivery during the handler is queued afresh.
      this.#counts.set(signal, 0);
      const handlers = this.#handlers.get(signal);
      if (handlers === undefined || count === 0) continue;
      for (const handler of handlers.slice()) {
        try {
          handler(signal, count);
        } catch (err) {
          if (errors === null) errors = [];
          errors.push(err);
        }
      }
    }
    if (errors !== null) {
      if (errors.length === 1) throw errors[0];
      throw new AggregateError(errors, `${errors.length} signal handlers failed`);
    }
    return batch.length;
  }

  /** Stops listening to every signal and drops what is queued. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const signal of this.#handlers.keys()) this.#source.unsubscribe(signal, this.#onDelivery);
    this.#handlers.clear();
    this.#counts.clear();
    this.#order = [];
    this.#pendingHooks.length = 0;
  }

  #record(signal: NodeJS.Signals): void {
    if (this.#closed || !this.#handlers.has(signal)) return;
    const count = this.#counts.get(signal) ?? 0;
    this.#counts.set(signal, count + 1);
    if (count !== 0) return;
    this.#order.push(signal);
    if (this.#order.length === 1) {
      for (const hook of this.#pendingHooks.slice()) hook();
    }
  }

  #unregister(signal: NodeJS.Signals, handler: SignalHandler): void {
    const list = this.#handlers.get(signal);
    if (list === undefined) return;
    const at = list.indexOf(handler);
    if (at !== -1) list.splice(at, 1);
    if (list.length !== 0) return;
    this.#handlers.delete(signal);
    this.#counts.delete(signal);
    const queued = this.#order.indexOf(signal);
    if (queued !== -1) this.#order.splice(queued, 1);
    this.#source.unsubscribe(signal, this.#onDelivery);
  }
}
