import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createManualClock, Scheduler, TASK_WOKEN, type Task, TICK_ETERNITY } from '../src/index.ts';

interface Probe {
  name: string;
  log: string[];
  reasons: number[];
}

// Module-level handler: state comes through the context, no closure per task.
function record(_task: Task<Probe>, probe: Probe, reasons: number): void {
  probe.log.push(probe.name);
  probe.reasons.push(reasons);
}

function setup() {
  const clock = createManualClock(1000);
  const scheduler = new Scheduler({ clock });
  const log: string[] = [];
  const reasons: number[] = [];
  const task = (name: string) => scheduler.createTask(record, { name, log, reasons });
  return { clock, scheduler, log, reasons, task };
}

describe('Scheduler with a manual clock', () => {
  it('wakes timers in expiry order, equal dates in arming order', () => {
    const { clock, scheduler, log, reasons, task } = setup();
    task('c').queue(1030);
    task('a').queue(1010);
    task('b1').queue(1020);
    task('b2').queue(1020);
    expect(scheduler.timerCount).toBe(4);
    expect(scheduler.nextExpiry()).toBe(1010);

    expect(scheduler.wakeExpired()).toBe(0);
    clock.advance(20);
    expect(scheduler.wakeExpired()).toBe(3);
    expect(scheduler.runQueueLength).toBe(3);
    expect(scheduler.runQueued()).toBe(3);
    expect(log).toEqual(['a', 'b1', 'b2']);
    expect(reasons).toEqual([TASK_WOKEN.TIMER, TASK_WOKEN.TIMER, TASK_WOKEN.TIMER]);

    clock.advance(100);
    scheduler.wakeExpired();
    scheduler.runQueued();
    expect(log).toEqual(['a', 'b1', 'b2', 'c']);
    expect(scheduler.timerCount).toBe(0);
    expect(scheduler.nextExpiry()).toBe(TICK_ETERNITY);
    expect(scheduler.tasksRun).toBe(4);
  });

  it('makes timers one-shot: expire returns to eternity and the handler re-arms', () => {
    const { clock, scheduler } = setup();
    let fired = 0;
    const t = scheduler.createTask((task, _ctx: null) => {
      fired++;
      expect(task.expire).toBe(TICK_ETERNITY);
      if (fired < 3) task.queue(clock.now() + 10);
    }, null);
    t.queue(1010);
    for (let i = 0; i < 5; i++) {
      clock.advance(10);
      scheduler.wakeExpired();
      scheduler.runQueued();
    }
    expect(fired).toBe(3);
    expect(t.calls).toBe(3);
    expect(scheduler.timerCount).toBe(0);
  });

  it('re-arms later without firing early, and earlier with the new date', () => {
    const { clock, scheduler, log, task } = setup();
    const later = task('later');
    const earlier = task('earlier');
    later.queue(1010);
    earlier.queue(1100);
    later.queue(1050); // postponed: keeps its heap slot, filed again at the top
    earlier.queue(1020); // brought forward
    expect(scheduler.nextExpiry()).toBe(1010);

    clock.set(1010);
    expect(scheduler.wakeExpired()).toBe(0);
    expect(scheduler.nextExpiry()).toBe(1020);
    clock.set(1020);
    scheduler.wakeExpired();
    scheduler.runQueued();
    expect(log).toEqual(['earlier']);
    clock.set(1049);
    expect(scheduler.wakeExpired()).toBe(0);
    clock.set(1050);
    scheduler.wakeExpired();
    scheduler.runQueued();
    expect(log).toEqual(['earlier', 'later']);
  });

  it('cancel() disarms the timer and leaves the run queue; the task is reusable', () => {
    const { clock, scheduler, log, task } = setup();
    const a = task('a');
    const b = task('b');
    a.queue(1010);
    b.queue(1010);
    a.cancel();
    expect(a.expire).toBe(TICK_ETERNITY);
    expect(scheduler.timerCount).toBe(1);
    b.wake(TASK_WOKEN.IO);
    b.cancel();
    expect(b.queued).toBe(false);
    expect(b.reasons).toBe(0);
    expect(scheduler.runQueueLength).toBe(0);
    clock.advance(100);
    scheduler.wakeExpired();
    expect(scheduler.runQueued()).toBe(0);
    expect(log).toEqual([]);
    a.queue(TICK_ETERNITY); // disarming an unarmed task is fine
    a.wake();
    scheduler.runQueued();
    expect(log).toEqual(['a']);
  });

  it('clear() disarms every timer and empties the run queue', () => {
    const { clock, scheduler, log, task } = setup();
    const a = task('a');
    a.queue(1010);
    task('b').wake();
    scheduler.clear();
    expect(scheduler.timerCount).toBe(0);
    expect(scheduler.runQueueLength).toBe(0);
    clock.advance(100);
    scheduler.wakeExpired();
    scheduler.runQueued();
    expect(log).toEqual([]);
    a.queue(1200);
    expect(scheduler.timerCount).toBe(1);
  });

  it('queues a task once and ORs the reasons until it runs', () => {
    const { scheduler, reasons, task } = setup();
    const t = task('t');
    t.wake(TASK_WOKEN.IO);
    t.wake(TASK_WOKEN.MSG);
    t.wake();
    expect(scheduler.runQueueLength).toBe(1);
    expect(t.reasons).toBe(TASK_WOKEN.IO | TASK_WOKEN.MSG | TASK_WOKEN.OTHER);
    scheduler.runQueued();
    expect(reasons).toEqual([TASK_WOKEN.IO | TASK_WOKEN.MSG | TASK_WOKEN.OTHER]);
    expect(t.reasons).toBe(0);
  });

  it('runs at most `max` tasks, only those queued before the call', () => {
    const { scheduler } = setup();
    const runs: number[] = [];
    const self = scheduler.createTask(
      (task, ctx: { id: number }) => {
        runs.push(ctx.id);
        task.wake(); // wakes itself: must wait for the next call
      },
      { id: 0 },
    );
    const others = [1, 2, 3, 4].map((id) =>
      scheduler.createTask((_t, ctx: { id: number }) => runs.push(ctx.id), { id }),
    );
    self.wake();
    for (const t of others) t.wake();
    expect(scheduler.runQueued(3)).toBe(3);
    expect(runs).toEqual([0, 1, 2]);
    expect(scheduler.runQueued()).toBe(3);
    expect(runs).toEqual([0, 1, 2, 3, 4, 0]);
  });

  it('stops the batch when a handler throws, leaving the queue consistent', () => {
    const { scheduler, log, task } = setup();
    const bad = scheduler.createTask(() => {
      throw new Error('task failed');
    }, null);
    bad.wake();
    task('after').wake();
    expect(() => scheduler.runQueued()).toThrow('task failed');
    expect(bad.queued).toBe(false);
    expect(scheduler.runQueueLength).toBe(1);
    scheduler.runQueued();
    expect(log).toEqual(['after']);
  });

  it('calls the work hook on new work and on a new earliest timer only', () => {
    const { scheduler, task } = setup();
    let calls = 0;
    scheduler.setWorkHook(() => calls++);
    const a = task('a');
    const b = task('b');
    a.queue(1100); // earliest
    b.queue(1200); // not earliest
    b.queue(1300); // postponed
    expect(calls).toBe(1);
    b.queue(1050); // new earliest
    expect(calls).toBe(2);
    a.wake();
    b.wake(); // queue was not empty
    expect(calls).toBe(3);
    scheduler.setWorkHook(null);
    scheduler.runQueued();
    a.wake();
    expect(calls).toBe(3);
  });

  it('wakes a postponed timer after an earlier one due in the same batch', () => {
    const { clock, scheduler, log, task } = setup();
    const late = task('late');
    const early = task('early');
    late.queue(clock.now());
    early.queue(clock.now());
    late.queue(clock.now() + 1); // postponed: still filed under its first date
    clock.advance(1);
    expect(scheduler.wakeExpired()).toBe(2);
    scheduler.runQueued();
    expect(log).toEqual(['early', 'late']);
  });

  it('rejects NaN expiry dates', () => {
    const { task } = setup();
    expect(() => task('x').queue(Number.NaN)).toThrow(
      expect.objectContaining({ code: 'HAP_ERR_INVALID_ARG' }),
    );
  });

  it('handles 100,000 timers armed, re-armed and cancelled', () => {
    const { clock, scheduler } = setup();
    const N = 100_000;
    let fired = 0;
    const onTimeout = (_task: Task<{ i: number }>, _ctx: { i: number }) => {
      fired++;
    };
    const tasks: Task<{ i: number }>[] = [];
    for (let i = 0; i < N; i++) {
      const t = scheduler.createTask(onTimeout, { i });
      t.queue(clock.now() + 30_000 + (i % 1000));
      tasks.push(t);
    }
    expect(scheduler.timerCount).toBe(N);
    // Activity pushes every timeout back, a few times.
    for (let round = 1; round <= 3; round++) {
      clock.advance(1000);
      for (const t of tasks) t.queue(clock.now() + 30_000 + (t.context.i % 1000));
    }
    expect(scheduler.timerCount).toBe(N);
    // Most connections end before their timeout.
    for (let i = 0; i < N; i++) if (i % 10 !== 0) (tasks[i] as Task<{ i: number }>).cancel();
    expect(scheduler.timerCount).toBe(N / 10);
    clock.advance(29_999);
    expect(scheduler.wakeExpired()).toBe(0);
    clock.advance(1000);
    expect(scheduler.wakeExpired()).toBe(N / 10);
    expect(scheduler.runQueued()).toBe(N / 10);
    expect(fired).toBe(N / 10);
    expect(scheduler.timerCount).toBe(0);
  });

  it('agrees with a naive model under random arming, re-arming, cancelling and time', () => {
    type Op =
      | { kind: 'queue'; task: number; delay: number }
      | { kind: 'cancel'; task: number }
      | { kind: 'advance'; ms: number };
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ kind: fc.constant('queue' as const), task: fc.nat(15), delay: fc.nat(100) }),
      fc.record({ kind: fc.constant('cancel' as const), task: fc.nat(15) }),
      fc.record({ kind: fc.constant('advance' as const), ms: fc.nat(40) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const clock = createManualClock(0);
        const scheduler = new Scheduler({ clock });
        const fired: Array<{ id: number; at: number }> = [];
        const tasks = Array.from({ length: 16 }, (_, id) =>
          scheduler.createTask((_t, ctx: { id: number }) => fired.push({ id: ctx.id, at: clock.now() }), {
            id,
          }),
        );
        const model = new Map<number, number>(); // task id -> expiry
        for (const o of ops) {
          if (o.kind === 'queue') {
            const expire = clock.now() + o.delay;
            (tasks[o.task] as Task<{ id: number }>).queue(expire);
            model.set(o.task, expire);
          } else if (o.kind === 'cancel') {
            (tasks[o.task] as Task<{ id: number }>).cancel();
            model.delete(o.task);
          } else {
            clock.advance(o.ms);
            const now = clock.now();
            const due = [...model].filter(([, expire]) => expire <= now);
            const start = fired.length;
            scheduler.wakeExpired();
            scheduler.runQueued();
            const got = fired.slice(start);
            // Same set of tasks, woken in non-decreasing expiry order.
            expect(got.map((f) => f.id).sort((x, y) => x - y)).toEqual(
              due.map(([id]) => id).sort((x, y) => x - y),
            );
            const dates = got.map((f) => model.get(f.id) ?? -1);
            for (let i = 1; i < dates.length; i++)
              expect(dates[i]).toBeGreaterThanOrEqual(dates[i - 1] as number);
            for (const [id] of due) model.delete(id);
          }
          expect(scheduler.timerCount).toBe(model.size);
          for (const [id, expire] of model) expect((tasks[id] as Task<{ id: number }>).expire).toBe(expire);
        }
      }),
    );
  });
});
