import { constants } from 'node:os';
import { SignalsError } from './errors.ts';

/** Called once per delivery of `signal`. */
export type SignalListener = (signal: NodeJS.Signals) => void;

/**
 * Where deliveries come from. The queue only needs to be told "signal X arrived";
 * tests replace the process with a manual source.
 */
export interface SignalSource {
  subscribe(signal: NodeJS.Signals, listener: SignalListener): void;
  unsubscribe(signal: NodeJS.Signals, listener: SignalListener): void;
}

/** A source whose deliveries are simulated by calling `raise()`. */
export interface ManualSignalSource extends SignalSource {
  /** Delivers `signal` synchronously to its subscribers; false when nobody listens. */
  raise(signal: NodeJS.Signals): boolean;
  /** Number of subscribers for `signal` (to check that close() let go). */
  listenerCount(signal: NodeJS.Signals): number;
}

/** Signals no process can catch: subscribing would fail deep inside libuv. */
const UNCATCHABLE: ReadonlySet<string> = new Set(['SIGKILL', 'SIGSTOP']);

export function checkSignal(signal: string): asserts signal is NodeJS.Signals {
  if (UNCATCHABLE.has(signal)) {
    throw new SignalsError('HAP_ERR_SIGNAL_UNCATCHABLE', `${signal} cannot be caught`);
  }
  if (!Object.hasOwn(constants.signals, signal)) {
    throw new SignalsError('HAP_ERR_SIGNAL_UNKNOWN', `unknown signal name '${signal}'`);
  }
}

// Node starts with SIGPIPE ignored. Removing the last 'SIGPIPE' listener makes libuv
// restore the *default* disposition (terminate), so a process that once listened
// would then die on the next write to a closed socket. A permanent no-op listener,
// installed before the first real one, keeps SIGPIPE harmless for the process' life.
let sigpipeGuarded = false;
function sigpipeGuard(): void {}

class ProcessSignalSource implements SignalSource {
  subscribe(signal: NodeJS.Signals, listener: SignalListener): void {
    if (signal === 'SIGPIPE' && !sigpipeGuarded) {
      sigpipeGuarded = true;
      process.on('SIGPIPE', sigpipeGuard);
    }
    process.on(signal, listener);
  }

  unsubscribe(signal: NodeJS.Signals, listener: SignalListener): void {
    process.off(signal, listener);
  }
}

/** The real source: the current process' signals through `process.on(signal)`. */
export const processSignalSource: SignalSource = new ProcessSignalSource();

class ManualSource implements ManualSignalSource {
  readonly #listeners: Map<NodeJS.Signals, SignalListener[]>;

  constructor() {
    this.#listeners = new Map();
  }

  subscribe(signal: NodeJS.Signals, listener: SignalListener): void {
    const list = this.#listeners.get(signal);
    if (list === undefined) this.#listeners.set(signal, [listener]);
    else list.push(listener);
  }

  unsubscribe(signal: NodeJS.Signals, listener: SignalListener): void {
    const list = this.#listeners.get(signal);
    if (list === undefined) return;
    const at = list.indexOf(listener);
    if (at !== -1) list.splice(at, 1);
    if (list.length === 0) this.#listeners.delete(signal);
  }

  raise(signal: NodeJS.Signals): boolean {
    const list = this.#listeners.get(signal);
    if (list === undefined) return false;
    // Copy: a listener may unsubscribe while we iterate, as with EventEmitter.
    for (const listener of list.slice()) listener(signal);
    return true;
  }

  listenerCount(signal: NodeJS.Signals): number {
    return this.#listeners.get(signal)?.length ?? 0;
  }
}

/** A fake source for tests: nothing reaches the process, `raise()` simulates a delivery. */
export function createManualSignalSource(): ManualSignalSource {
  return new ManualSource();
}
