import { type Clock, realClock, TICK_ETERNITY } from './clock.ts';
import { PollerError } from './errors.ts';
import { TASK_WOKEN, type Task, type TaskHandler } from './task.ts';
import { TimerHeap, type TimerNode } from './timer-heap.ts';

/*
 * Timers: an indexed binary min-heap with lazy postponement.
 *
 * The common pattern is a connection timeout pushed back on every read or write and
 * cancelled when the connection ends; it rarely fires. So, as HAProxy's task_queue()
 * does with its tree, a timer moved *later* keeps its place in the heap and only its
 * `expire` changes: O(1), no allocation. When the entry reaches the top, it is filed
 * again under its real date (one O(log n) move for any number of postponements), and
 * wakes only from there, so timers always wake in expiry order. Moving a timer earlier, arming one and cancelling one are
 * O(log n); cancelling removes the entry at once, so a closed connection's task is
 * not held by the heap until its old date.
 */

/** The scheduler's side of a task; the fields are internal. */
class TaskImpl implements Task<unknown>, TimerNode {
  readonly context: unknown;
  readonly handler: TaskHandler<unknown>;
  readonly core: SchedulerCore;
  expire: number;
  reasons: number;
  calls: number;
  queued: boolean;
  heapIndex: number;
  heapKey: number;
  heapSeq: number;
  // Run queue links: an intrusive list, so wake/cancel are O(1) and allocate nothing.
  prev: TaskImpl | null;
  next: TaskImpl | null;

  constructor(core: SchedulerCore, handler: TaskHandler<unknown>, context: unknown) {
    this.context = context;
    this.handler = handler;
    this.core = core;
    this.expire = TICK_ETERNITY;
    this.reasons = 0;
    this.calls = 0;
    this.queued = false;
    this.heapIndex = -1;
    this.heapKey = TICK_ETERNITY;
    this.heapSeq = 0;
    this.prev = null;
    this.next = null;
  }

  wake(reason: number = TASK_WOKEN.OTHER): void {
    this.core.wake(this, reason);
  }

  queue(expire: number): void {
    this.core.arm(this, expire);
  }

  cancel(): void {
    this.core.arm(this, TICK_ETERNITY);
    this.core.unqueue(this);
    this.reasons = 0;
  }
}

class SchedulerCore {
  readonly clock: Clock;
  readonly heap: TimerHeap<TaskImpl>;
  head: TaskImpl | null;
  tail: TaskImpl | null;
  runnable: number;
  tasksRun: number;
  workHook: (() => void) | null;

  constructor(clock: Clock) {
    this.clock = clock;
    this.heap = new TimerHeap();
    this.head = null;
    this.tail = null;
    this.runnable = 0;
    this.tasksRun = 0;
    this.workHook = null;
  }

  wake(task: TaskImpl, reason: number): void {
    task.reasons |= reason;
    if (task.queued) return;
    task.queued = true;
    task.prev = this.tail;
    task.next = null;
    if (this.tail === null) this.head = task;
    else this.tail.next = task;
    this.tail = task;
    // Only the empty -> non-empty edge matters: the loop then runs until it is empty.
    if (++this.runnable === 1 && this.workHook !== null) this.workHook();
  }

  unqueue(task: TaskImpl): void {
    if (!task.queued) return;
    task.queued = false;
    if (task.prev === null) this.head = task.next;
    else task.prev.next = task.next;
    if (task.next === null) this.tail = task.prev;
    else task.next.prev = task.prev;
    task.prev = null;
    task.next = null;
    this.runnable--;
  }

  arm(task: TaskImpl, expire: number): void {
    if (Number.isNaN(expire)) throw new PollerError('HAP_ERR_INVALID_ARG', 'task expiry is NaN');
    task.expire = expire;
    if (expire === TICK_ETERNITY) {
      if (task.heapIndex !== -1) this.heap.remove(task);
      return;
    }
    if (task.heapIndex === -1) this.heap.insert(task, expire);
    else if (expire < task.heapKey) this.heap.rekey(task, expire);
    else return; // Postponed: stays filed earlier, fixed up when it reaches the top.
    // A new earliest date: the loop's single OS timer must be brought forward.
    if (task.heapIndex === 0 && this.workHook !== null) this.workHook();
  }

  wakeExpired(now: number): number {
    const heap = this.heap;
    let woken = 0;
    for (let top = heap.peek(); top !== undefined && top.heapKey <= now; top = heap.peek()) {
      // A postponed entry that is due all the same is filed under its real date
      // first, so that timers due in one batch wake in expiry order.
      if (top.expire === top.heapKey) {
        heap.remove(top);
        top.expire = TICK_ETERNITY;
        this.wake(top, TASK_WOKEN.TIMER);
        woken++;
      } else {
        heap.rekey(top, top.expire);
      }
    }
    return woken;
  }

  runQueued(max: number): number {
    // Only what was queued before this call: a task that wakes itself (or others)
    // runs on the next turn, after Node has polled for I/O.
    const budget = Math.min(max, this.runnable);
    let ran = 0;
    while (ran < budget) {
      const task = this.head;
      if (task === null) break; // A handler cancelled queued tasks.
      this.unqueue(task);
      const reasons = task.reasons;
      task.reasons = 0;
      task.calls++;
      this.tasksRun++;
      ran++;
      task.handler(task, task.context, reasons);
    }
    return ran;
  }

  clear(): void {
    this.heap.clear();
    for (let task = this.head; task !== null; task = this.head) this.unqueue(task);
  }
}

export interface SchedulerOptions {
  /** Where time is read; `realClock` by default. Tests pass a manual clock. */
  clock?: Clock;
}

/**
 * Tasks, their timers and the run queue. Pure bookkeeping: it never touches Node's
 * timers; a RunLoop (or a test) decides when to call wakeExpired() and runQueued().
 */
export class Scheduler {
  readonly #core: SchedulerCore;

  constructor(options: SchedulerOptions = {}) {
    this.#core = new SchedulerCore(options.clock ?? realClock);
  }

  get clock(): Clock {
    return this.#core.clock;
  }

  /** The current tick of the scheduler's clock. */
  now(): number {
    return this.#core.clock.now();
  }

  /** Tasks waiting in the run queue. */
  get runQueueLength(): number {
    return this.#core.runnable;
  }

  /** Armed timers. */
  get timerCount(): number {
    return this.#core.heap.size;
  }

  /** Handler runs since creation. */
  get tasksRun(): number {
    return this.#core.tasksRun;
  }

  createTask<C>(handler: TaskHandler<C>, context: C): Task<C> {
    const task = new TaskImpl(this.#core, handler as TaskHandler<unknown>, context);
    return task as Task<unknown> as Task<C>;
  }

  /**
   * The date to wake up at to serve the earliest timer, TICK_ETERNITY if none.
   * May be earlier than any real expiry (a postponed timer), never later.
   */
  nextExpiry(): number {
    return this.#core.heap.peek()?.heapKey ?? TICK_ETERNITY;
  }

  /** Moves every task whose timer is due at `now` to the run queue; returns how many. */
  wakeExpired(now: number = this.#core.clock.now()): number {
    return this.#core.wakeExpired(now);
  }

  /**
   * Runs up to `max` tasks, in run-queue order, among those queued when called;
   * returns how many ran. A handler's exception stops the batch and propagates.
   */
  runQueued(max: number = Number.POSITIVE_INFINITY): number {
    return this.#core.runQueued(max);
  }

  /**
   * `hook` is called when the queue goes from empty to non-empty, or when a timer
   * becomes the earliest: whoever drives the scheduler must look again. One hook;
   * `null` removes it. It must not run tasks itself.
   */
  setWorkHook(hook: (() => void) | null): void {
    this.#core.workHook = hook;
  }

  /** Disarms every timer and empties the run queue. */
  clear(): void {
    this.#core.clear();
  }
}
