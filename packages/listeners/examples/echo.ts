// Run: node packages/listeners/examples/echo.ts  (Node 24 runs .ts files directly)
// An echo listener with maxconn 1: bind, enable, a second client waits until the first
// leaves, then pause (the port is free for another process) and resume. Exits by itself.
import { once } from 'node:events';
import net from 'node:net';
import {
  bindWithRetries,
  enableAll,
  formatBindAlert,
  Listener,
  pauseAll,
  resumeAll,
  unbindAll,
} from '../src/index.ts';

function echo(socket: net.Socket, listener: Listener): void {
  console.log(
    `accepted on ${listener.key} (${listener.currentConns}/${listener.maxconn}, state ${listener.state})`,
  );
  socket.pipe(socket);
}

async function talk(port: number, text: string): Promise<net.Socket> {
  const socket = net.connect(port, '127.0.0.1');
  socket.setEncoding('utf8');
  await once(socket, 'connect');
  socket.write(text);
  socket.on('data', (reply: string) => console.log(`client got back "${reply}"`));
  return socket;
}

const listeners = [
  new Listener({ family: 'ipv4', host: '127.0.0.1', port: 0 }, { onAccept: echo, maxconn: 1 }),
];

const bound = await bindWithRetries(listeners, { oldPids: [] });
if (bound.failed.length > 0) {
  for (const failure of bound.failed) console.error(`[ALERT] ${formatBindAlert(failure)}`);
  process.exit(1);
}
const [listener] = listeners;
if (listener === undefined) throw new Error('unreachable');
console.log(`bound ${listener.key}, state ${listener.state}`);
enableAll(listeners);

const first = await talk(listener.port, 'one');
await once(first, 'data');
const second = await talk(listener.port, 'two');
while (listener.heldConns === 0) await new Promise((resolve) => setTimeout(resolve, 1));
console.log(`second client waits: state ${listener.state}, held ${listener.heldConns}`);
first.destroy(); // a slot frees, the second connection is accepted and gets its echo
await once(second, 'data');
second.destroy();
while (listener.currentConns > 0) await new Promise((resolve) => setTimeout(resolve, 1));

pauseAll(listeners);
console.log(`paused: state ${listener.state}`);
const other = net.createServer().listen(listener.port, '127.0.0.1');
await once(other, 'listening');
console.log(`another server could bind port ${listener.port} meanwhile`);
other.close();
await once(other, 'close');

const resumed = await resumeAll(listeners);
console.log(`resumed ${resumed.ok} listener(s): state ${listener.state}`);
const third = await talk(listener.port, 'three');
await once(third, 'data');
third.destroy();

unbindAll(listeners);
console.log(`unbound: state ${listener.state}, ${listener.totalConns} connections served`);
