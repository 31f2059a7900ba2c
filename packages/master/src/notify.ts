// systemd's notification protocol (sd_notify(3)): `KEY=VALUE` lines in one datagram sent
// to the unix datagram socket named by $NOTIFY_SOCKET (a path, or `@name` for an abstract
// socket). Node has no unix datagram sockets: the calls go through koffi (sys.ts).
import { unlinkSync } from 'node:fs';
import {
  AF_UNIX,
  bindTo,
  closeFd,
  openSocket,
  receiveDatagram,
  SOCK_DGRAM,
  SysError,
  sendDatagram,
  sockaddrUn,
} from './sys.ts';

function address(socket: string): Buffer {
  return socket.startsWith('@') ? sockaddrUn(socket.slice(1), true) : sockaddrUn(socket);
}

/**
 * Sends `message` (e.g. `READY=1\nMAINPID=42`) to $NOTIFY_SOCKET. Returns false when the
 * variable is not set (not started by systemd with Type=notify); throws a SysError when the
 * socket cannot be reached.
 */
export function sdNotify(message: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const socket = env['NOTIFY_SOCKET'];
  if (socket === undefined || socket === '') return false;
  if (!socket.startsWith('/') && !socket.startsWith('@')) {
    throw new Error(`NOTIFY_SOCKET: unsupported address '${socket}'`);
  }
  const fd = openSocket(AF_UNIX, SOCK_DGRAM);
  try {
    sendDatagram(fd, Buffer.from(message, 'utf8'), address(socket));
  } finally {
    closeFd(fd);
  }
  return true;
}

/**
 * The receiving side, as systemd (or a test playing it) holds it: a unix datagram socket
 * bound at `path` (`@name`: abstract). `receive()` returns the next datagram's text, or null
 * when none is waiting; `next(timeoutMs)` waits for one (polling, bounded).
 */
export class NotifyReceiver {
  readonly path: string;
  private fd: number;

  constructor(path: string) {
    this.path = path;
    if (!path.startsWith('@')) {
      try {
        unlinkSync(path);
      } catch {
        // not there
      }
    }
    this.fd = openSocket(AF_UNIX, SOCK_DGRAM);
    try {
      bindTo(this.fd, address(path));
    } catch (err) {
      closeFd(this.fd);
      this.fd = -1;
      throw err;
    }
  }

  receive(): string | null {
    if (this.fd < 0) throw new SysError('recv', 9 /* EBADF */);
    const b = receiveDatagram(this.fd);
    return b === null ? null : b.toString('utf8');
  }

  async next(timeoutMs = 10_000): Promise<string | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.receive();
      if (m !== null) return m;
      if (Date.now() >= deadline) return null;
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  close(): void {
    if (this.fd < 0) return;
    closeFd(this.fd);
    this.fd = -1;
    if (!this.path.startsWith('@')) {
      try {
        unlinkSync(this.path);
      } catch {
        // already gone
      }
    }
  }
}
