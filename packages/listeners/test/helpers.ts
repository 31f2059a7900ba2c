import { once } from 'node:events';
import net from 'node:net';
import type { Listener } from '../src/index.ts';

/** Resolves when `check()` holds, polling each turn of the loop; fails after `limitMs`. */
export async function until(check: () => boolean, what: string, limitMs = 5000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** Collects what listeners accept; every socket is destroyed by `cleanup()`. */
export function acceptLog() {
  const accepted: { socket: net.Socket; listener: Listener }[] = [];
  return {
    accepted,
    onAccept(socket: net.Socket, listener: Listener): void {
      accepted.push({ socket, listener });
      socket.on('error', () => {});
      socket.end(`hello from ${listener.key}\n`);
    },
    /** Like onAccept but keeps the connection open. */
    onAcceptKeep(socket: net.Socket, listener: Listener): void {
      accepted.push({ socket, listener });
      socket.on('error', () => {});
    },
    cleanup(): void {
      for (const a of accepted) a.socket.destroy();
      accepted.length = 0;
    },
  };
}

/** Connects and resolves with everything the server sent before closing. */
export async function fetchText(options: net.NetConnectOpts): Promise<string> {
  const socket = net.connect(options);
  socket.setEncoding('utf8');
  let text = '';
  socket.on('data', (chunk: string) => {
    text += chunk;
  });
  await once(socket, 'end');
  socket.destroy();
  return text;
}

/** Open client sockets, destroyed by `closeAll()`. */
export function clients() {
  const list: net.Socket[] = [];
  return {
    list,
    async open(options: net.NetConnectOpts): Promise<net.Socket> {
      const socket = net.connect(options);
      socket.on('error', () => {});
      list.push(socket);
      await once(socket, 'connect');
      return socket;
    },
    closeAll(): void {
      for (const s of list.splice(0)) s.destroy();
    },
  };
}

/** A plain net.Server on host:port; resolves with it or with the listen error. */
export function plainServer(options: net.ListenOptions): Promise<net.Server | Error> {
  return new Promise((resolve) => {
    const server = net.createServer((s) => s.destroy());
    server.once('error', resolve);
    server.listen(options, () => resolve(server));
  });
}

export function closeServer(server: net.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** A free TCP port on 127.0.0.1 (bound then released). */
export async function freePort(): Promise<number> {
  const s = await plainServer({ host: '127.0.0.1', port: 0 });
  if (s instanceof Error) throw s;
  const port = (s.address() as net.AddressInfo).port;
  await closeServer(s);
  return port;
}

/** `count` consecutive free ports on 127.0.0.1 (best effort: each is bound then released). */
export async function freePortRange(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20000 + Math.floor(Math.random() * 30000);
    const servers: net.Server[] = [];
    let ok = true;
    for (let i = 0; i < count; i++) {
      const s = await plainServer({ host: '127.0.0.1', port: base + i });
      if (s instanceof Error) {
        ok = false;
        break;
      }
      servers.push(s);
    }
    for (const s of servers) await closeServer(s);
    if (ok) return base;
  }
  throw new Error('no free port range');
}

export async function ipv6Available(): Promise<boolean> {
  const s = await plainServer({ host: '::1', port: 0 });
  if (s instanceof Error) return false;
  await closeServer(s);
  return true;
}
