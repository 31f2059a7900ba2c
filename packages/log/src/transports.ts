// How framed lines leave the process. None of them blocks the event loop and none throws:
// a line that cannot be sent now is dropped and counted, as HAProxy does.
//
//   udp          node:dgram, one socket per family, fire and forget; bounded send queue
//   unix         unix datagram socket over the FFI (ffi.ts), sendto() with MSG_DONTWAIT
//   fd           fs.write() in order, one write in flight, bounded queue
//   tcp / uxst   node:net, reconnects after a pause, bounded buffer while disconnected
import { createSocket, type Socket as DgramSocket } from 'node:dgram';
import { lookup } from 'node:dns';
import { write as fsWrite } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { closeFd, EAGAIN, sockaddrUn, unixDatagramSend, unixDatagramSocket } from './ffi.ts';

/** Counters shared by the transports of one logger. */
export interface TransportCounters {
  /** Lines handed to the kernel (or written). */
  sent: number;
  /** Lines not sent: queue full, socket buffer full, not connected, send error. */
  dropped: number;
}

export interface TransportHooks {
  readonly counters: TransportCounters;
  /** Called once per transport for its first error other than a full buffer (HAProxy alerts once). */
  readonly onError: (message: string) => void;
}

export interface Transport {
  /** Sends one framed line. Never throws. */
  write(buf: Buffer): void;
  close(): Promise<void>;
}

function once(hooks: TransportHooks): (message: string) => void {
  let told = false;
  return (message) => {
    if (told) return;
    told = true;
    try {
      hooks.onError(message);
    } catch {
      // a failing hook must not break logging
    }
  };
}

/** Lines that may wait for a UDP socket or a name resolution. */
const UDP_QUEUE_MAX = 1024;

/** UDP to host:port; a name is resolved once (in its family) before the first send. */
export function udpTransport(
  family: 0 | 4 | 6,
  host: string,
  port: number,
  hooks: TransportHooks,
): Transport {
  const error = once(hooks);
  const c = hooks.counters;
  let socket: DgramSocket | undefined;
  let address: string | undefined;
  let pending: Buffer[] | undefined;
  let closed = false;

  const open = (fam: 4 | 6, addr: string) => {
    try {
      socket = createSocket({ type: fam === 6 ? 'udp6' : 'udp4' });
      socket.on('error', (err) => error(`sendmsg() failed to ${host}:${port}: ${err.message}`));
      socket.unref();
      address = addr;
    } catch (err) {
      error(`socket() failed for ${host}:${port}: ${(err as Error).message}`);
    }
  };

  const onSent = (err: Error | null) => {
    if (err) {
      c.dropped++;
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN')
        error(`sendmsg() failed to ${host}:${port}: ${err.message}`);
    } else c.sent++;
  };

  const send = (buf: Buffer) => {
    if (socket === undefined || address === undefined || closed) {
      c.dropped++;
      return;
    }
    if (socket.getSendQueueCount() >= UDP_QUEUE_MAX) {
      c.dropped++;
      return;
    }
    try {
      socket.send(buf, port, address, onSent);
    } catch (err) {
      c.dropped++;
      error(`sendmsg() failed to ${host}:${port}: ${(err as Error).message}`);
    }
  };

  if (family !== 0 && isLiteral(host)) open(family, host);
  else {
    pending = [];
    lookup(host, { family }, (err, addr, fam) => {
      const waiting = pending ?? [];
      pending = undefined;
      if (err || closed) {
        if (err) error(`cannot resolve '${host}': ${err.message}`);
        c.dropped += waiting.length;
        return;
      }
      open(fam === 6 ? 6 : 4, addr);
      for (const b of waiting) send(b);
    });
  }

  return {
    write(buf) {
      if (pending !== undefined) {
        if (pending.length >= UDP_QUEUE_MAX) c.dropped++;
        else pending.push(buf);
        return;
      }
      send(buf);
    },
    close() {
      closed = true;
      const s = socket;
      socket = undefined;
      if (!s) return Promise.resolve();
      return new Promise<void>((resolve) => {
        try {
          s.close(() => resolve());
        } catch {
          resolve();
        }
      });
    },
  };
}

function isLiteral(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':');
}

/** A unix datagram socket at `path` (abstract namespace with `abstract`). */
export function unixTransport(path: string, abstract: boolean, hooks: TransportHooks): Transport {
  const error = once(hooks);
  const c = hooks.counters;
  const addr = sockaddrUn(path, abstract);
  let fd = -1;
  let closed = false;
  return {
    write(buf) {
      if (closed) {
        c.dropped++;
        return;
      }
      try {
        if (fd < 0) {
          const r = unixDatagramSocket();
          if (r < 0) {
            c.dropped++;
            error(`socket() failed for unix@${path}: errno ${-r}`);
            return;
          }
          fd = r;
        }
        const n = unixDatagramSend(fd, buf, addr);
        if (n >= 0) c.sent++;
        else {
          c.dropped++;
          if (-n !== EAGAIN) error(`sendmsg() failed to unix@${path}: errno ${-n}`);
        }
      } catch (err) {
        c.dropped++;
        error(`sendmsg() failed to unix@${path}: ${(err as Error).message}`);
      }
    },
    close() {
      closed = true;
      if (fd >= 0) closeFd(fd);
      fd = -1;
      return Promise.resolve();
    },
  };
}

/** Lines that may wait behind the write in flight on a file descriptor. */
const FD_QUEUE_MAX = 1024;

interface FdWrite {
  buf: Buffer;
  counters: TransportHooks['counters'];
  error: (message: string) => void;
}

/** One queue per descriptor: targets sharing a descriptor (two `log fd@1` lines) keep their order. */
const fdChains = new Map<number, { queue: FdWrite[]; busy: boolean; idle: (() => void)[] }>();

function fdChain(fd: number): { queue: FdWrite[]; busy: boolean; idle: (() => void)[] } {
  let ch = fdChains.get(fd);
  if (ch === undefined) {
    ch = { queue: [], busy: false, idle: [] };
    fdChains.set(fd, ch);
  }
  return ch;
}

function fdNext(fd: number): void {
  const ch = fdChain(fd);
  const w = ch.queue.shift();
  if (w === undefined) {
    ch.busy = false;
    for (const f of ch.idle.splice(0)) f();
    return;
  }
  ch.busy = true;
  try {
    fsWrite(fd, w.buf, 0, w.buf.length, null, (err) => {
      if (err) {
        w.counters.dropped++;
        if (err.code !== 'EAGAIN') w.error(`writev() failed on fd@${fd}: ${err.message}`);
      } else w.counters.sent++;
      fdNext(fd);
    });
  } catch (err) {
    w.counters.dropped++;
    w.error(`writev() failed on fd@${fd}: ${(err as Error).message}`);
    fdNext(fd);
  }
}

/** An open file descriptor (stdout, stderr, a pipe, a file): writes in order, one at a time. */
export function fdTransport(fd: number, hooks: TransportHooks): Transport {
  const error = once(hooks);
  const c = hooks.counters;
  const ch = fdChain(fd);
  let closed = false;
  return {
    write(buf) {
      if (closed || ch.queue.length >= FD_QUEUE_MAX) {
        c.dropped++;
        return;
      }
      ch.queue.push({ buf, counters: c, error });
      if (!ch.busy) fdNext(fd);
    },
    close() {
      closed = true;
      if (!ch.busy) return Promise.resolve();
      return new Promise<void>((resolve) => {
        ch.idle.push(resolve);
      });
    },
  };
}

/** Bytes kept for a stream target while it is disconnected or slow (then newer lines are dropped). */
export const STREAM_BUFFER_MAX = 256 * 1024;
/** Pause before connecting again after a stream target failed or closed. */
export const STREAM_RECONNECT_MS = 1000;

/** A TCP (host, port) or unix stream (path) log server: one line after another. */
export function streamTransport(
  where: { readonly host: string; readonly port: number } | { readonly path: string },
  hooks: TransportHooks,
): Transport {
  const error = once(hooks);
  const c = hooks.counters;
  const name = 'path' in where ? `uxst@${where.path}` : `tcp@${where.host}:${where.port}`;
  let socket: Socket | undefined;
  let connected = false;
  let queued: Buffer[] = [];
  let queuedBytes = 0;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const flush = () => {
    const s = socket;
    if (!s || !connected) return;
    const list = queued;
    queued = [];
    queuedBytes = 0;
    for (const b of list) {
      s.write(b);
      c.sent++;
    }
  };

  const reconnectLater = () => {
    if (closed || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      start();
    }, STREAM_RECONNECT_MS);
    timer.unref();
  };

  const start = () => {
    if (closed) return;
    connected = false;
    let s: Socket;
    try {
      s = 'path' in where ? connect({ path: where.path }) : connect({ host: where.host, port: where.port });
    } catch (err) {
      error(`connect() failed to ${name}: ${(err as Error).message}`);
      reconnectLater();
      return;
    }
    socket = s;
    s.unref();
    s.setNoDelay(true);
    s.on('connect', () => {
      connected = true;
      flush();
    });
    s.on('data', () => {}); // a log server has nothing to say; read and forget
    s.on('error', (err) => error(`connection to ${name} failed: ${err.message}`));
    s.on('close', () => {
      if (socket === s) {
        socket = undefined;
        connected = false;
      }
      reconnectLater();
    });
  };

  start();

  return {
    write(buf) {
      if (closed) {
        c.dropped++;
        return;
      }
      if (connected && socket) {
        if (socket.writableLength + buf.length > STREAM_BUFFER_MAX) c.dropped++;
        else {
          socket.write(buf);
          c.sent++;
        }
        return;
      }
      if (queuedBytes + buf.length > STREAM_BUFFER_MAX) {
        c.dropped++;
        return;
      }
      queued.push(buf);
      queuedBytes += buf.length;
    },
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      c.dropped += queued.length;
      queued = [];
      const s = socket;
      socket = undefined;
      if (!s || s.destroyed) return Promise.resolve();
      return new Promise<void>((resolve) => {
        s.once('close', () => resolve());
        s.end();
        setTimeout(() => s.destroy(), 1000).unref();
      });
    },
  };
}
