import { type Clock, TICK_ETERNITY } from './clock.ts';
import { PollerError } from './errors.ts';
import { type LagFigures, LoopMeter } from './meter.ts';
import { Scheduler } from './scheduler.ts';
import type { Task } from './task.ts';

/** What keeps a stopping process alive (HAProxy's `jobs`). */
export type JobKind = 'listener' | 'connection' | 'check' | 'other';

/*
 * Loop states:
 *
 *            run()                  softStop() / close()
 *   idle ──────────────▶ running ──────────────────────▶ stopping
 *    │ │                    │                               │
 *    │ │ softStop()         │ hardStop(), destroy(),        │ jobs - unstoppable == 0 ──▶ 'soft-stop'
 *    │ └──▶ stopping        │ a task or hook throws         │ hard-stop-after expires ──▶ 'hard-stop-after'
 *    │      (not turning;   │                               │ hardStop(), destroy()   ──▶ 'hard-stop' / 'destroy'
 *    │      run() turns it  │                               │
 *    │      as above)       ▼                               ▼
 *    └── close(), destroy() ──────────────────────────▶ stopped  (final; run() settled, onExit called)
 */
export type LoopState = 'idle' | 'running' | 'stopping' | 'stopped';

/** Why the loop ended. */
export type ExitReason = 'soft-stop' | 'hard-stop-after' | 'hard-stop' | 'destroy';

export interface LoopExit {
  readonly reason: ExitReason;
  /** The error given to destroy(), or thrown by a task or hook; null otherwise. */
  readonly error: Error | null;
}

export interface JobOptions {
  /** A job that does not hold the process when stopping (HAProxy's unstoppable_jobs). */
  unstoppable?: boolean;
}

export interface RunLoopOptions {
  /** The scheduler to drive; a new one over `clock` by default. */
  scheduler?: Scheduler;
  /** Clock of the scheduler created when none is given. */
  clock?: Clock;
  /** After softStop(), end the loop this many ms later even if jobs remain. */
  hardStopAfter?: number;
  /** Most tasks run per turn before Node gets to poll I/O (tune.runqueue-depth). */
  batchSize?: number;
  /** Called at the start of every turn, in order (e.g. () => signalQueue.process()). */
  beforeTurn?: ReadonlyArray<() => void>;
  /** Called once when the loop ends, after run() is settled. Must not throw. */
  onExit?: (exit: LoopExit) => void;
}

export interface LoopStats {
  readonly state: LoopState;
  readonly stopping: boolean;
  /** Clock time since run(), 0 before. */
  readonly uptimeMs: number;
  readonly turns: number;
  readonly tasksRun: number;
  readonly runQueue: number;
  readonly timers: number;
  readonly jobs: number;
  readonly unstoppableJobs: number;
  readonly jobsByKind: Readonly<Record<JobKind, number>>;
  /** Event-loop idle time in % over the last one or two seconds. */
  readonly idlePct: number;
  /** Event-loop delay over the last complete second. */
  readonly lagMs: LagFigures;
}

const DEFAULT_BATCH_SIZE = 200;
// setTimeout's largest delay; used to keep the process alive when no timer is armed.
const MAX_TIMER_DELAY = 2 ** 31 - 1;

function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

function checkKind(counts: Record<JobKind, number>, kind: string): void {
  if (!Object.hasOwn(counts, kind))
    throw new PollerError('HAP_ERR_INVALID_ARG', `unknown job kind '${kind}'`);
}

/**
 * HAProxy's run_poll_loop on Node's event loop. Each turn runs the beforeTurn hooks,
 * wakes the tasks whose timers expired and runs at most `batchSize` queued tasks,
 * then either yields with setImmediate (work left) or sleeps on ONE Node timer set
 * for the earliest expiry. The loop holds the process alive until it is stopped.
 */
export class RunLoop {
  readonly scheduler: Scheduler;
  readonly #batchSize: number;
  readonly #hardStopAfter: number;
  readonly #beforeTurn: Array<() => void>;
  readonly #onExit: ((exit: LoopExit) => void) | null;
  readonly #hardStopTask: Task<RunLoop>;
  readonly #meter: LoopMeter;
  readonly #jobsByKind: Record<JobKind, number>;
  readonly #stopped: Promise<void>;
  #resolveStopped: () => void;
  #state: LoopState;
  #started: boolean;
  #stopRequested: boolean;
  #exit: LoopExit | null;
  #jobs: number;
  #unstoppable: number;
  #timer: NodeJS.Timeout | null;
  #timerAt: number;
  #immediate: NodeJS.Immediate | null;
  #inTurn: boolean;
  #turnWanted: boolean;
  #turns: number;
  #startedAt: number;
  #run: Promise<LoopExit> | null;
  #resolveRun: (exit: LoopExit) => void;
  #rejectRun: (err: Error) => void;

  constructor(options: RunLoopOptions = {}) {
    const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
    if (!(Number.isInteger(batchSize) && batchSize > 0)) {
      throw new PollerError('HAP_ERR_INVALID_ARG', `batchSize must be a positive integer, got ${batchSize}`);
    }
    const hardStopAfter = options.hardStopAfter ?? TICK_ETERNITY;
    if (!(hardStopAfter >= 0)) {
      throw new PollerError('HAP_ERR_INVALID_ARG', `hardStopAfter must be >= 0, got ${hardStopAfter}`);
    }
    this.scheduler = options.scheduler ?? new Scheduler(options.clock ? { clock: options.clock } : {});
    this.#batchSize = batchSize;
    this.#hardStopAfter = hardStopAfter;
    this.#beforeTurn = options.beforeTurn ? [...options.beforeTurn] : [];
    this.#onExit = options.onExit ?? null;
    this.#hardStopTask = this.scheduler.createTask(RunLoop.#onHardStopAfter, this);
    this.#meter = new LoopMeter();
    this.#jobsByKind = { listener: 0, connection: 0, check: 0, other: 0 };
    this.#resolveStopped = () => {};
    this.#stopped = new Promise((resolve) => {
      this.#resolveStopped = resolve;
    });
    this.#state = 'idle';
    this.#started = false;
    this.#stopRequested = false;
    this.#exit = null;
    this.#jobs = 0;
    this.#unstoppable = 0;
    this.#timer = null;
    this.#timerAt = Number.NaN;
    this.#immediate = null;
    this.#inTurn = false;
    this.#turnWanted = false;
    this.#turns = 0;
    this.#startedAt = 0;
    this.#run = null;
    this.#resolveRun = () => {};
    this.#rejectRun = () => {};
    this.scheduler.setWorkHook(() => this.#onWork());
  }

  get state(): LoopState {
    return this.#state;
  }

  /** True once softStop() or close() was called (stays true). */
  get stopping(): boolean {
    return this.#stopRequested;
  }

  /** How the loop ended, null while it has not. */
  get exit(): LoopExit | null {
    return this.#exit;
  }

  /** All jobs, unstoppable ones included. */
  get jobs(): number {
    return this.#jobs;
  }

  get unstoppableJobs(): number {
    return this.#unstoppable;
  }

  jobsOf(kind: JobKind): number {
    checkKind(this.#jobsByKind, kind);
    return this.#jobsByKind[kind];
  }

  /** Counts one more job of `kind`: the loop will not end on a soft stop while it exists. */
  addJob(kind: JobKind, options?: JobOptions): void {
    checkKind(this.#jobsByKind, kind);
    this.#jobsByKind[kind]++;
    this.#jobs++;
    if (options?.unstoppable === true) this.#unstoppable++;
  }

  /** Releases a job taken with addJob() (same kind and options); may end a stopping loop. */
  releaseJob(kind: JobKind, options?: JobOptions): void {
    checkKind(this.#jobsByKind, kind);
    const unstoppable = options?.unstoppable === true;
    if (this.#jobsByKind[kind] === 0 || (unstoppable && this.#unstoppable === 0)) {
      throw new PollerError(
        'HAP_ERR_JOB_UNDERFLOW',
        `no ${unstoppable ? 'unstoppable ' : ''}${kind} job to release`,
      );
    }
    this.#jobsByKind[kind]--;
    this.#jobs--;
    if (unstoppable) this.#unstoppable--;
    if (this.#state === 'stopping' && this.#jobs === this.#unstoppable) this.wakeup();
  }

  /** Adds a hook run at the start of every turn; returns its remover. */
  onBeforeTurn(hook: () => void): () => void {
    this.#beforeTurn.push(hook);
    return () => {
      const at = this.#beforeTurn.indexOf(hook);
      if (at !== -1) this.#beforeTurn.splice(at, 1);
    };
  }

  /**
   * Starts turning. Resolves with the exit when the loop ends, rejects with the
   * error if it ended by destroy(err) or a throwing task/hook. Calling it again
   * returns the same promise; after the loop was stopped without running, rejects
   * with HAP_ERR_LOOP_STOPPED.
   */
  run(): Promise<LoopExit> {
    if (this.#run !== null) return this.#run;
    if (this.#state === 'stopped') {
      return Promise.reject(new PollerError('HAP_ERR_LOOP_STOPPED', 'the loop was stopped before it ran'));
    }
    this.#run = new Promise<LoopExit>((resolve, reject) => {
      this.#resolveRun = resolve;
      this.#rejectRun = reject;
    });
    this.#started = true;
    this.#startedAt = this.scheduler.now();
    if (this.#state === 'idle') this.#state = 'running';
    this.#meter.start();
    this.#scheduleTurn();
    return this.#run;
  }

  /** Asks for a turn soon (e.g. a signal was queued). No-op unless running. */
  wakeup(): void {
    if (!this.#started || this.#state === 'stopped') return;
    if (this.#inTurn) this.#turnWanted = true;
    else this.#scheduleTurn();
  }

  /**
   * Enters the stopping state: the loop ends once jobs - unstoppableJobs reaches 0,
   * or when hardStopAfter expires. Idempotent. Closing listeners and idle
   * connections is the caller's business (that is what releases the jobs).
   */
  softStop(): void {
    if (this.#stopRequested || this.#state === 'stopped') return;
    this.#stopRequested = true;
    this.#state = 'stopping';
    if (this.#hardStopAfter !== TICK_ETERNITY) {
      this.#hardStopTask.queue(this.scheduler.now() + this.#hardStopAfter);
    }
    this.wakeup();
  }

  /** Ends the loop now ('hard-stop'): the batch in progress completes, nothing after. */
  hardStop(): void {
    this.#finish('hard-stop', null);
  }

  /**
   * Graceful: softStop(), resolved once the loop has ended (however it ends).
   * A loop that never ran ends at once. Idempotent; never rejects.
   */
  close(): Promise<void> {
    if (this.#state !== 'stopped') {
      if (this.#started) this.softStop();
      else this.#finish('soft-stop', null);
    }
    return this.#stopped;
  }

  /**
   * Ends the loop now ('destroy'); run() rejects with `err` when one is given.
   * Idempotent: after the loop ended (by close() or otherwise) it changes nothing.
   */
  destroy(err?: Error): Promise<void> {
    this.#finish('destroy', err ?? null);
    return this.#stopped;
  }

  stats(): LoopStats {
    this.#meter.rotate();
    return {
      state: this.#state,
      stopping: this.#stopRequested,
      uptimeMs: this.#started ? this.scheduler.now() - this.#startedAt : 0,
      turns: this.#turns,
      tasksRun: this.scheduler.tasksRun,
      runQueue: this.scheduler.runQueueLength,
      timers: this.scheduler.timerCount,
      jobs: this.#jobs,
      unstoppableJobs: this.#unstoppable,
      jobsByKind: { ...this.#jobsByKind },
      idlePct: this.#meter.idlePct(),
      lagMs: this.#meter.lag(),
    };
  }

  static #onHardStopAfter(_task: Task<RunLoop>, loop: RunLoop): void {
    loop.#finish('hard-stop-after', null);
  }

  static #onImmediate(loop: RunLoop): void {
    loop.#immediate = null;
    loop.#turn();
  }

  static #onTimer(loop: RunLoop): void {
    loop.#timer = null;
    loop.#timerAt = Number.NaN;
    loop.#turn();
  }

  // A method, not an inline test: TypeScript would keep the narrowing from before
  // the calls that may change the state.
  #isStopped(): boolean {
    return this.#state === 'stopped';
  }

  #onWork(): void {
    // Inside a turn the end of the turn looks again; before run() nothing turns.
    if (!this.#started || this.#inTurn || this.#state === 'stopped') return;
    this.#arm();
  }

  #scheduleTurn(): void {
    if (this.#immediate === null) this.#immediate = setImmediate(RunLoop.#onImmediate, this);
  }

  #turn(): void {
    if (this.#state === 'stopped') return;
    this.#inTurn = true;
    this.#turnWanted = false;
    try {
      const hooks = this.#beforeTurn;
      for (let i = 0; i < hooks.length; i++) {
        (hooks[i] as () => void)();
        if (this.#isStopped()) return;
      }
      const scheduler = this.scheduler;
      scheduler.wakeExpired();
      scheduler.runQueued(this.#batchSize);
    } catch (err) {
      this.#inTurn = false;
      this.#finish('destroy', toError(err));
      return;
    } finally {
      this.#inTurn = false;
    }
    // A hook or task may have ended the loop.
    if (this.#isStopped()) return;
    this.#turns++;
    this.#meter.rotate();
    if (this.#state === 'stopping' && this.#jobs === this.#unstoppable) {
      this.#finish('soft-stop', null);
      return;
    }
    this.#arm();
  }

  /** After a turn or new work: yield if work is left, else sleep until the earliest timer. */
  #arm(): void {
    const scheduler = this.scheduler;
    if (scheduler.runQueueLength > 0 || this.#turnWanted) {
      this.#turnWanted = false;
      this.#scheduleTurn();
      return;
    }
    const next = scheduler.nextExpiry();
    if (this.#timer !== null) {
      if (this.#timerAt === next) return;
      clearTimeout(this.#timer);
    }
    let delay = MAX_TIMER_DELAY;
    if (next !== TICK_ETERNITY)
      delay = Math.min(MAX_TIMER_DELAY, Math.max(0, Math.ceil(next - scheduler.now())));
    this.#timer = setTimeout(RunLoop.#onTimer, delay, this);
    this.#timerAt = next;
  }

  #finish(reason: ExitReason, error: Error | null): void {
    if (this.#state === 'stopped') return;
    this.#state = 'stopped';
    if (this.#timer !== null) clearTimeout(this.#timer);
    if (this.#immediate !== null) clearImmediate(this.#immediate);
    this.#timer = null;
    this.#timerAt = Number.NaN;
    this.#immediate = null;
    this.#hardStopTask.cancel();
    this.#meter.stop();
    const exit: LoopExit = Object.freeze({ reason, error });
    this.#exit = exit;
    this.#resolveStopped();
    if (this.#run !== null) {
      if (error !== null) this.#rejectRun(error);
      else this.#resolveRun(exit);
    }
    this.#onExit?.(exit);
  }
}
