/**
 * A TCP stream: one client connection joined to one server connection.
 *
 *   client accepted ──► CONNECTING ──(server connected)──► ESTABLISHED ──► CLOSED
 *                          │  ▲                               │
 *                          │  └─ retry (connect failed,       └─ either side errors or
 *                          │     retries left)                   times out, or both
 *                          └─ no server / retries exhausted ──►  halves are shut
 *
 * Bytes are forwarded with back-pressure in both directions; a shutdown on one
 * side (FIN) is passed to the other, and the stream ends once both directions
 * are shut. Handlers are module-level functions that reach the stream through
 * the socket, so no closure is made per connection.
 */

import { connect, type Socket } from 'node:net';

export interface ServerTarget {
  name: string;
  host: string;
  port: number;
}

export interface StreamTimeouts {
  /** ms; 0 = none */
  connect: number;
  client: number;
  server: number;
  tunnel: number;
}

/** What a stream needs from its proxy. */
export interface StreamOwner {
  readonly name: string;
  readonly timeouts: StreamTimeouts;
  readonly retries: number;
  /** Picks the server for a new connection (or a retry); undefined when none is usable. */
  pickServer(): ServerTarget | undefined;
  streamClosed(stream: TcpStream): void;
}

export type StreamState = 'connecting' | 'established' | 'closed';

const STREAM = Symbol('hap.stream');

interface TaggedSocket extends Socket {
  [STREAM]?: TcpStream;
}

export class TcpStream {
  readonly owner: StreamOwner;
  readonly client: Socket;
  server: Socket | undefined;
  target: ServerTarget | undefined;
  state: StreamState;
  attempts: number;
  bytesIn: number;
  bytesOut: number;
  /** Why the stream ended, in HAProxy's termination-state spirit (for logs later). */
  endReason: string;

  constructor(owner: StreamOwner, client: Socket) {
    this.owner = owner;
    this.client = client;
    this.server = undefined;
    this.target = undefined;
    this.state = 'connecting';
    this.attempts = 0;
    this.bytesIn = 0;
    this.bytesOut = 0;
    this.endReason = '';
    const c = client as TaggedSocket;
    c[STREAM] = this;
    // the client waits (paused) until the server is connected
    client.pause();
    client.setNoDelay(true);
    client.on('error', onSocketError);
    client.on('close', onClientClose);
    client.on('timeout', onSocketTimeout);
    if (owner.timeouts.client > 0) client.setTimeout(owner.timeouts.client);
    this.connectServer();
  }

  connectServer(): void {
    // retries go to the same server, as HAProxy does without 'option redispatch'
    const target = this.target ?? this.owner.pickServer();
    if (!target) {
      this.close('no server available');
      return;
    }
    this.target = target;
    this.attempts++;
    const s = connect({ host: target.host, port: target.port, allowHalfOpen: true }) as TaggedSocket;
    s[STREAM] = this;
    this.server = s;
    s.setNoDelay(true);
    s.once('connect', onServerConnect);
    s.on('error', onServerError);
    s.on('close', onServerClose);
    s.on('timeout', onSocketTimeout);
    if (this.owner.timeouts.connect > 0) s.setTimeout(this.owner.timeouts.connect);
  }

  established(): void {
    const server = this.server!;
    this.state = 'established';
    const t = this.owner.timeouts;
    // once both sides are connected, 'timeout tunnel' (when set) replaces client and server timeouts
    server.setTimeout(t.tunnel > 0 ? t.tunnel : t.server);
    this.client.setTimeout(t.tunnel > 0 ? t.tunnel : t.client);
    this.client.pipe(server);
    server.pipe(this.client);
    this.client.resume();
  }

  /** Ends both sides now (error, timeout). Idempotent. */
  close(reason: string): void {
    if (this.state === 'closed') return;
    this.client.destroy();
    this.server?.destroy();
    this.done(reason);
  }

  /** One side closed normally: the other side gets what is still buffered, then closes. */
  finish(reason: string, closedSide: Socket): void {
    if (this.state === 'closed') return;
    const other = closedSide === this.client ? this.server : this.client;
    if (other && !other.destroyed) other.destroySoon();
    this.done(reason);
  }

  private done(reason: string): void {
    this.state = 'closed';
    this.endReason = reason;
    this.bytesIn = this.client.bytesRead;
    this.bytesOut = this.client.bytesWritten;
    this.owner.streamClosed(this);
  }
}

function streamOf(s: Socket): TcpStream | undefined {
  return (s as TaggedSocket)[STREAM];
}

function onServerConnect(this: Socket): void {
  const st = streamOf(this);
  if (!st || st.state !== 'connecting' || st.server !== this) {
    this.destroy();
    return;
  }
  st.established();
}

function onServerError(this: Socket): void {
  const st = streamOf(this);
  if (!st || st.server !== this) return;
  if (st.state === 'connecting') {
    // HAProxy retries a failed connect 'retries' times
    this.destroy();
    if (st.attempts <= st.owner.retries) st.connectServer();
    else st.close('server connection failed');
    return;
  }
  st.close('server error');
}

function onServerClose(this: Socket): void {
  const st = streamOf(this);
  if (!st || st.server !== this || st.state !== 'established') return;
  st.finish('server closed', this);
}

function onClientClose(this: Socket): void {
  const st = streamOf(this);
  if (!st) return;
  if (st.state === 'established') st.finish('client closed', this);
  else st.close('client closed');
}

function onSocketError(this: Socket): void {
  const st = streamOf(this);
  if (st) st.close('client error');
}

function onSocketTimeout(this: Socket): void {
  const st = streamOf(this);
  if (!st || st.state === 'closed') {
    // a side still flushing after the stream ended must not linger past its timeout
    this.destroy();
    return;
  }
  if (st.state === 'connecting' && this === st.server) {
    this.destroy();
    if (st.attempts <= st.owner.retries) st.connectServer();
    else st.close('connect timeout');
    return;
  }
  st.close(this === st.client ? 'client timeout' : 'server timeout');
}
