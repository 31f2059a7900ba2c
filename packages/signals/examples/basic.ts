// Run: node packages/signals/examples/basic.ts  (Node 24 runs .ts files directly)
// The process signals itself; handlers run from the "loop" (here: setImmediate).
import { registerStandardSignals, SignalQueue, STANDARD_SIGNALS } from '../src/index.ts';

for (const row of STANDARD_SIGNALS) console.log(`${row.signal.padEnd(8)} ${row.action}`);

const queue = new SignalQueue();
// Something to keep the process alive, as listeners would in haproxyd.
const keepAlive = setInterval(() => {}, 1000);

// The delivery only records; wake the loop, which processes the queue later.
queue.onPending(() => setImmediate(() => queue.process()));

registerStandardSignals(queue, {
  'dump-servers': (signal, count) => console.log(`${signal} (x${count}): would log every server's state`),
  'soft-stop': (signal) => {
    console.log(`${signal}: soft stop, closing the signal queue`);
    queue.close();
    clearInterval(keepAlive);
  },
  'hard-stop': (signal) => {
    console.log(`${signal}: hard stop`);
    process.exit(0);
  },
});

process.kill(process.pid, 'SIGHUP');
setTimeout(() => process.kill(process.pid, 'SIGUSR1'), 20);
