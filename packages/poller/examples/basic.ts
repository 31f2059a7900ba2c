// Run: node packages/poller/examples/basic.ts  (Node 24 runs .ts files directly)
// Three fake connections with an idle timeout; activity pushes the timeout back.
// After a soft stop the loop ends when the last connection has timed out.
import { RunLoop, TASK_WOKEN, type Task } from '../src/index.ts';

interface Connection {
  readonly id: number;
  readonly loop: RunLoop;
  requests: number;
}

const IDLE_TIMEOUT_MS = 40;

// One module-level handler for every connection: state comes from the context.
function connectionTask(task: Task<Connection>, conn: Connection, reasons: number): void {
  if (reasons & TASK_WOKEN.TIMER) {
    console.log(`conn ${conn.id}: idle timeout after ${conn.requests} request(s)`);
    conn.loop.releaseJob('connection');
    return;
  }
  if (reasons & TASK_WOKEN.IO) conn.requests++;
  task.queue(conn.loop.scheduler.now() + IDLE_TIMEOUT_MS); // push the timeout back
}

const loop = new RunLoop({ hardStopAfter: 2000 });
const tasks: Task<Connection>[] = [];
for (let id = 1; id <= 3; id++) {
  loop.addJob('connection');
  const task = loop.scheduler.createTask(connectionTask, { id, loop, requests: 0 });
  task.wake(TASK_WOKEN.INIT);
  tasks.push(task);
}

// Connection 3 stays busy for a while: an I/O wake-up every 15 ms, five times.
let bursts = 0;
const traffic = setInterval(() => {
  tasks[2]?.wake(TASK_WOKEN.IO);
  if (++bursts === 5) clearInterval(traffic);
}, 15);

setTimeout(() => {
  console.log(`soft stop with ${loop.jobs} job(s) left`);
  loop.softStop();
}, 10);

const exit = await loop.run();
const { tasksRun, turns, idlePct, lagMs } = loop.stats();
console.log(`loop ended: ${exit.reason}, tasks run: ${tasksRun}, turns: ${turns}`);
console.log(`idle ${idlePct.toFixed(1)}%, lag max ${lagMs.max.toFixed(2)} ms`);
