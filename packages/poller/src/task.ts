/**
 * Why a task was woken. Bits: a task woken for several reasons before it runs sees
 * them OR-ed together (HAProxy's TASK_WOKEN_* flags).
 */
export const TASK_WOKEN = Object.freeze({
  /** First run after creation, by convention of the creator. */
  INIT: 0x01,
  /** Its timer expired (set by the scheduler only). */
  TIMER: 0x02,
  /** I/O is ready on something it owns. */
  IO: 0x04,
  /** A signal it handles was delivered. */
  SIGNAL: 0x08,
  /** Another task sent it a message. */
  MSG: 0x10,
  /** A resource it waited for is available. */
  RES: 0x20,
  /** Anything else; the default of `wake()`. */
  OTHER: 0x40,
});

/**
 * The code of a task. A module-level function is enough: it reaches its state
 * through `context` (or `task.context`), so no closure per task is needed.
 * `reasons` holds the TASK_WOKEN bits of this run.
 */
export type TaskHandler<C> = (task: Task<C>, context: C, reasons: number) => void;

/**
 * A unit of work with an optional timer. States (a task may be in both places):
 *
 *              wake()                        run by a turn
 *   (idle) ───────────────▶ run queue ─────────────────────▶ handler(task, ctx, reasons)
 *     │  ▲                     ▲                                      │
 *     │  │ cancel()            │ expire <= now: expire := ETERNITY,   │ may call
 *     │  │                     │ wake(TIMER)                          │ queue() / wake()
 *     ▼  │                     │                                      ▼
 *   queue(expire) ──────▶ timer heap ◀──────────────────────────── queue(expire)
 */
export interface Task<C = unknown> {
  /** The object given to createTask(), passed to every run of the handler. */
  readonly context: C;
  /** When the timer fires (ms tick), TICK_ETERNITY when no timer is armed. */
  readonly expire: number;
  /** Wake reasons accumulated since the last run (0 when not queued). */
  readonly reasons: number;
  /** True while the task waits in the run queue. */
  readonly queued: boolean;
  /** How many times the handler ran. */
  readonly calls: number;
  /** Puts the task in the run queue (once) and records `reason` (TASK_WOKEN bits). */
  wake(reason?: number): void;
  /**
   * Arms the timer for `expire` (ms tick), replacing any previous one;
   * `queue(TICK_ETERNITY)` disarms it. When the timer fires the task is woken with
   * TASK_WOKEN.TIMER and `expire` goes back to TICK_ETERNITY: the handler re-arms.
   */
  queue(expire: number): void;
  /** Disarms the timer and leaves the run queue. The task can be used again. */
  cancel(): void;
}
