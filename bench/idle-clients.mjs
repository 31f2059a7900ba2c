// Opens COUNT idle client connections to 127.0.0.1:PORT and keeps them open until killed.
// Even-numbered connections send nothing; odd-numbered ones send a partial request (a
// request line and one header, without the blank line that would end it).
// Prints "READY {json}" once every attempt has connected or failed, then "STATUS {json}"
// every 500 ms: { open, failed, closed } (closed: connections the proxy closed since).
// Usage: node bench/idle-clients.mjs PORT COUNT [CONCURRENCY]
import net from 'node:net';

const [port, count, concurrency = 200] = process.argv.slice(2).map(Number);
if (!port || !count) {
  process.stderr.write('usage: node bench/idle-clients.mjs PORT COUNT [CONCURRENCY]\n');
  process.exit(2);
}
const PARTIAL = 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n';
const sockets = [];
let started = 0;
let pending = 0;
let open = 0;
let failed = 0;
let closed = 0;
let ready = false;
const firstErrors = new Map();

function openOne(i) {
  started++;
  pending++;
  let connected = false;
  const s = net.connect(port, '127.0.0.1');
  sockets.push(s);
  s.on('connect', () => {
    connected = true;
    open++;
    pending--;
    if (i % 2 === 1) s.write(PARTIAL);
    next();
  });
  s.on('data', () => {});
  s.on('error', (err) => {
    firstErrors.set(err.code, (firstErrors.get(err.code) ?? 0) + 1);
  });
  s.on('close', () => {
    if (connected) {
      open--;
      closed++;
    } else {
      failed++;
      pending--;
      next();
    }
  });
}

function next() {
  while (started < count && pending < concurrency) openOne(started);
  if (!ready && started === count && pending === 0) {
    ready = true;
    process.stdout.write(`READY ${JSON.stringify(status())}\n`);
  }
}

function status() {
  return { open, failed, closed, errors: Object.fromEntries(firstErrors) };
}

setInterval(() => process.stdout.write(`STATUS ${JSON.stringify(status())}\n`), 500);
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
next();
