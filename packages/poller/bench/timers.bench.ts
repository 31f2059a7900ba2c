// Timer structure benchmark: 100,000 connection-style timeouts armed, pushed back
// (re-armed later), brought forward, cancelled, and expired, on a manual clock.
// Not run by the tests. Run: node packages/poller/bench/timers.bench.ts [count]
// Node's own timers (setTimeout/refresh/clearTimeout) are measured for reference.
import { createManualClock, Scheduler, type Task } from '../src/index.ts';

const N = Number(process.argv[2] ?? 100_000);
const ROUNDS = 5;

interface Conn {
  id: number;
  timeouts: number;
}

function onTimeout(_task: Task<Conn>, conn: Conn): void {
  conn.timeouts++;
}

function measure(label: string, ops: number, fn: () => void): void {
  const start = process.hrtime.bigint();
  fn();
  const ns = Number(process.hrtime.bigint() - start);
  const perOp = ns / ops;
  const rate = (1e9 / perOp / 1e6).toFixed(2);
  console.log(
    `${label.padEnd(44)} ${(ns / 1e6).toFixed(1).padStart(8)} ms  ${perOp.toFixed(0).padStart(6)} ns/op  ${rate} Mop/s`,
  );
}

function runScheduler(): void {
  const clock = createManualClock(0);
  const scheduler = new Scheduler({ clock });
  const tasks: Task<Conn>[] = [];
  for (let i = 0; i < N; i++) tasks.push(scheduler.createTask(onTimeout, { id: i, timeouts: 0 }));

  measure(`insert ${N}`, N, () => {
    for (let i = 0; i < N; i++) (tasks[i] as Task<Conn>).queue(30_000 + (i % 5000));
  });
  measure(`re-arm later x${ROUNDS} (activity)`, N * ROUNDS, () => {
    for (let r = 1; r <= ROUNDS; r++) {
      const now = clock.advance(100);
      for (let i = 0; i < N; i++) (tasks[i] as Task<Conn>).queue(now + 30_000 + (i % 5000));
    }
  });
  measure('re-arm earlier (shorter timeout)', N, () => {
    const now = clock.now();
    for (let i = 0; i < N; i++) (tasks[i] as Task<Conn>).queue(now + 1000 + (i % 5000));
  });
  measure('cancel 90%', N * 0.9, () => {
    for (let i = 0; i < N; i++) if (i % 10 !== 0) (tasks[i] as Task<Conn>).cancel();
  });
  measure('expire the remaining 10%', N * 0.1, () => {
    clock.advance(60_000);
    scheduler.wakeExpired();
    scheduler.runQueued();
  });
  if (scheduler.timerCount !== 0) throw new Error('timers left behind');
}

function runNodeTimers(): void {
  const noop = () => {};
  const timers: NodeJS.Timeout[] = [];
  measure(`node setTimeout ${N}`, N, () => {
    for (let i = 0; i < N; i++) timers.push(setTimeout(noop, 30_000 + (i % 5000)));
  });
  measure(`node timeout.refresh() x${ROUNDS}`, N * ROUNDS, () => {
    for (let r = 0; r < ROUNDS; r++) for (const t of timers) t.refresh();
  });
  measure(`node clearTimeout ${N}`, N, () => {
    for (const t of timers) clearTimeout(t);
  });
}

console.log(`node ${process.version}, ${N} timers`);
console.log('-- @hap/poller Scheduler (warm-up run, then measured run)');
runScheduler();
console.log('--');
runScheduler();
console.log('-- Node timers, for reference');
runNodeTimers();
