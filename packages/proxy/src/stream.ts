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

import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { LogRecord, TerminationCause, TerminationPhase } from '@hap/log';
import { createLogRecord } from '@hap/log/engine';
import { connectionAddresses } from './accept-proxy.ts';
import { readBufferWritten } from './read-buffer.ts';
import { openServerSocket, proxyHeaderFor, readyEvent, type ServerTarget } from './server.ts';
import type { StreamEnv } from './stream-env.ts';
import type { TimerWheel, WheelEntry } from './timer-wheel.ts';
import { isTlsSocket } from './tls-facts.ts';

export interface StreamTimeouts {
  /** ms; 0 = none */
  connect: number;
  client: number;
  server: number;
  tunnel: number;
  /** `timeout client-fin` / `timeout server-fin`: a half-closed side's inactivity timeout (0 = its normal one). */
  clientFin?: number;
  serverFin?: number;
  /** `timeout queue` (0: `timeout connect`). */
  queue?: number;
}

/** Where a frontend's traffic log lines go (absent: the frontend logs nothing). */
export interface FrontendLog {
  /** The stream (or HTTP request) ended: `record` is complete but for the process-wide counters. */
  emit(record: LogRecord): void;
  /** The log format reads samples (`%[…]`): records carry the stream's sample environment. */
  readonly samples?: boolean | undefined;
  /**
   * `option logasap`: offered the record as soon as the server connection is established
   * (TCP) or the response headers arrived (HTTP), its tClose set to that moment. When the
   * line goes out then, the log sets `record.sent` and the final `emit` sends nothing.
   */
  early?: ((record: LogRecord) => void) | undefined;
  /**
   * A `log` without a log format: called with the record of each new stream (TCP: at accept;
   * HTTP: when each request begins, as HAProxy makes one stream per request) for HAProxy's
   * "Connect from" line.
   */
  accepted?: ((record: LogRecord) => void) | undefined;
  /**
   * A connection failed before it became a stream (a bad, truncated or missing PROXY header):
   * HAProxy's embryonic-session line. `listener` is the bind line's name or its id, `code`
   * HAProxy's connection error code (%[fc_err]), `message` HAProxy's text for it. Absent when
   * the frontend has no log format (HAProxy logs these only then).
   */
  connectionError?:
    | ((client: Socket, acceptDate: number, listener: string, code: number, message: string) => void)
    | undefined;
}

/** A log record for a stream accepted on `client` now (addresses after any PROXY header). */
export function newLogRecord(frontend: string, client: Socket, acceptDate: number): LogRecord {
  const r = createLogRecord(frontend, acceptDate);
  const a = connectionAddresses(client);
  r.clientAddress = a.src;
  r.clientPort = a.srcPort;
  r.frontendAddress = a.dst;
  r.frontendPort = a.dstPort;
  if (isTlsSocket(client)) {
    // %ft ends with '~', %sslv / %sslc name the protocol and cipher
    r.frontendSsl = true;
    r.sslVersion = client.getProtocol() ?? undefined;
    r.sslCipher = client.getCipher()?.name;
    r.sslResumed = client.isSessionReused();
    r.sslSni = (client as TLSSocket & { servername?: string | false }).servername || undefined;
  }
  return r;
}

/** Sets the termination letters of a record from why the stream ended. */
export function setTermination(r: LogRecord, cause: TerminationCause, phase: TerminationPhase): void {
  r.termCause = cause;
  r.termPhase = phase;
}

/** What a stream needs from its proxy. */
export interface StreamOwner {
  readonly name: string;
  readonly timeouts: StreamTimeouts;
  readonly retries: number;
  /** Picks the server for a new connection; undefined when none is usable (or all are at their maxconn). */
  pickServer(stream: TcpStream): ServerTarget | undefined;
  /** Every server is at its maxconn: the stream waits in the backend's queue (false: no server at all). */
  enqueue?(stream: TcpStream): boolean;
  leaveQueue?(stream: TcpStream): void;
  /** The stream no longer uses its server (counted against the server's maxconn). */
  releaseServer?(target: ServerTarget): void;
  /** `option redispatch`: the last connect retry may go to another server. */
  readonly redispatch?: boolean;
  /** `observe layer4`: a connection to `target` succeeded or failed. */
  observed?(target: ServerTarget, ok: boolean): void;
  /** The wheel established streams keep their inactivity deadline on. */
  readonly wheel: TimerWheel;
  /** The stream's sample environment, made when it has none (a log format reading samples). */
  sampleEnv?(stream: TcpStream): StreamEnv;
  /** The frontend's traffic log, when it logs. */
  readonly log?: FrontendLog | undefined;
  /** The backend's name and live connection counts (for the log line). */
  readonly backendName?: string;
  backendConns?(): number;
  streamClosed(stream: TcpStream): void;
}

export type StreamState = 'connecting' | 'established' | 'closed';

const STREAM = Symbol('hap.stream');

interface TaggedSocket extends Socket {
  [STREAM]?: TcpStream;
}

export class TcpStream implements WheelEntry {
  /** A TCP stream waits for any server of its backend (no server queue in mode tcp). */
  readonly waitsFor: null;
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
  /** Set while the stream waits in the backend's queue. */
  queueTimer: NodeJS.Timeout | undefined;
  // established: one inactivity deadline on the owner's wheel. Bytes either way are activity on
  // both sides (HAProxy without independent-streams); the side with the shorter timeout fires.
  seen: number;
  clientMs: number;
  serverMs: number;
  expire: number;
  wheelNext: WheelEntry | null;
  wheelPrev: WheelEntry | null;
  wheelSlot: number;
  wheelTick: number;
  /** Client bytes read before the stream started (tcp-request content inspection), sent first. */
  initial: Buffer | undefined;
  /** The client shut its side while it was inspected: the server gets a FIN after `initial`. */
  clientEnded: boolean;
  /** What rules read of this stream (made for inspection or `stick` rules only). */
  env: StreamEnv | undefined;
  /** The log line being built (only when the frontend logs), and its time origin (performance.now). */
  log: LogRecord | undefined;
  logT0: number;

  constructor(owner: StreamOwner, client: Socket, initial?: Buffer, clientEnded = false, env?: StreamEnv) {
    this.waitsFor = null;
    this.owner = owner;
    this.client = client;
    this.server = undefined;
    this.target = undefined;
    this.state = 'connecting';
    this.attempts = 0;
    this.bytesIn = 0;
    this.bytesOut = 0;
    this.endReason = '';
    this.queueTimer = undefined;
    this.seen = 0;
    this.clientMs = 0;
    this.serverMs = 0;
    this.expire = 0;
    this.wheelNext = null;
    this.wheelPrev = null;
    this.wheelSlot = -1;
    this.wheelTick = 0;
    this.initial = initial !== undefined && initial.length > 0 ? initial : undefined;
    // a client may shut its side before the server is connected (a probe that connects and
    // closes): Node may even have emitted 'end' already; the server gets the FIN once connected
    this.clientEnded = clientEnded || client.readableEnded;
    this.env = env;
    this.log = undefined;
    this.logT0 = 0;
    if (owner.log !== undefined) {
      this.logT0 = performance.now();
      const r = newLogRecord(owner.name, client, Date.now());
      r.tIdle = 0;
      r.backend = owner.backendName ?? owner.name;
      this.log = r;
      owner.log.accepted?.(r);
    }
    const c = client as TaggedSocket;
    c[STREAM] = this;
    // the client waits (paused) until the server is connected
    client.pause();
    client.setNoDelay(true);
    client.on('error', onSocketError);
    client.on('close', onClientClose);
    client.on('timeout', onSocketTimeout);
    client.on('end', onClientEnd);
    if (owner.timeouts.client > 0) client.setTimeout(owner.timeouts.client);
    this.connectServer();
  }

  connectServer(): void {
    // retries go to the same server, as HAProxy does without 'option redispatch'
    const target = this.target ?? this.owner.pickServer(this);
    const r = this.log;
    if (r !== undefined) {
      const t = Math.round(performance.now() - this.logT0);
      if (r.tRequest < 0) r.tRequest = t;
      if (target !== undefined) {
        r.tQueue = t;
        r.server = target.name;
      }
    }
    if (!target) {
      if (this.owner.enqueue?.(this)) {
        // every server is at its maxconn: wait for a slot, at most timeout queue (else connect)
        const ms = this.owner.timeouts.queue || this.owner.timeouts.connect;
        if (ms > 0) this.queueTimer = setTimeout(onQueueTimeout, ms, this);
        return;
      }
      this.close('no server available');
      return;
    }
    this.target = target;
    this.attempts++;
    const s = openServerSocket(target, true, onServerRead, this.client) as TaggedSocket;
    s[STREAM] = this;
    this.server = s;
    s.setNoDelay(true);
    s.once(readyEvent(target), onServerConnect);
    s.on('error', onServerError);
    s.on('close', onServerClose);
    s.on('timeout', onSocketTimeout);
    if (this.owner.timeouts.connect > 0) s.setTimeout(this.owner.timeouts.connect);
  }

  /** Another connect attempt: the same server, or with redispatch the last one anywhere. */
  retry(): void {
    if (this.owner.redispatch && this.attempts === this.owner.retries && this.target !== undefined) {
      this.owner.releaseServer?.(this.target);
      this.target = undefined;
    }
    this.connectServer();
  }

  established(): void {
    const server = this.server!;
    this.state = 'established';
    const r = this.log;
    if (r !== undefined) {
      r.tConnect = Math.round(performance.now() - this.logT0);
      const early = this.owner.log!.early;
      if (early !== undefined) {
        // option logasap: the line goes now, with what is known (HAProxy's t_close = t_connect)
        r.tClose = r.tConnect;
        this.fillLogCounters(r);
        if (this.owner.log!.samples) r.env = this.owner.sampleEnv?.(this);
        early(r);
      }
    }
    const t = this.owner.timeouts;
    // once both sides are connected, 'timeout tunnel' (when set) replaces client and server timeouts;
    // they move from the sockets' own timers to one deadline on the wheel (nothing to re-arm per read)
    server.setTimeout(0);
    this.client.setTimeout(0);
    this.clientMs = t.tunnel > 0 ? t.tunnel : t.client;
    this.serverMs = t.tunnel > 0 ? t.tunnel : t.server;
    this.armIdle();
    // both directions by hand (no pipe): a write the peer cannot take yet pauses the reader
    this.client.on('data', onClientData);
    this.client.on('drain', onClientDrain);
    // send-proxy: the PROXY header opens the connection, before the client's bytes
    if (this.target?.sendProxy) server.write(proxyHeaderFor(this.target, this.client));
    const initial = this.initial;
    if (initial !== undefined) {
      this.initial = undefined;
      server.write(initial);
    }
    if (this.clientEnded) {
      server.end();
      halfClosed(this);
    }
    server.on('drain', onServerDrain);
    server.on('end', onServerEnd);
    this.client.resume();
  }

  /** The inactivity deadline from the last activity (`seen`), or none without timeouts. */
  armIdle(): void {
    const ms = this.idleMs();
    const wheel = this.owner.wheel;
    if (ms === 0) {
      if (this.wheelSlot >= 0) wheel.disarm(this);
      return;
    }
    this.seen = performance.now();
    wheel.arm(this, ms);
  }

  private idleMs(): number {
    const c = this.clientMs;
    const s = this.serverMs;
    return c === 0 ? s : s === 0 ? c : Math.min(c, s);
  }

  onExpire(now: number): void {
    if (this.state !== 'established') return;
    const ms = this.idleMs();
    if (ms === 0) return;
    const left = this.seen + ms - now;
    if (left > 0) {
      // there was activity since: the deadline moves on
      this.owner.wheel.arm(this, left);
      return;
    }
    const c = this.clientMs;
    const s = this.serverMs;
    this.close(c !== 0 && (s === 0 || c <= s) ? 'client timeout' : 'server timeout');
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
    if (other && !other.destroyed) {
      // what is still buffered for it must leave within its side's timeout
      const ms = other === this.client ? this.clientMs : this.serverMs;
      if (ms > 0) other.setTimeout(ms);
      other.destroySoon();
    }
    this.done(reason);
  }

  /** A server slot was given to this queued stream (counted as served already). */
  dequeued(server: ServerTarget): void {
    if (this.queueTimer !== undefined) clearTimeout(this.queueTimer);
    this.queueTimer = undefined;
    this.target = server;
    this.connectServer();
  }

  private done(reason: string): void {
    this.env?.releaseAll();
    if (this.wheelSlot >= 0) this.owner.wheel.disarm(this);
    if (this.queueTimer !== undefined) {
      clearTimeout(this.queueTimer);
      this.queueTimer = undefined;
      this.owner.leaveQueue?.(this);
    }
    this.state = 'closed';
    this.endReason = reason;
    this.bytesIn = this.client.bytesRead;
    this.bytesOut = this.client.bytesWritten;
    if (this.target !== undefined) this.owner.releaseServer?.(this.target);
    // HAProxy's backend and server counts in the line no longer count this stream
    if (this.log !== undefined) this.emitLog(reason);
    this.owner.streamClosed(this);
  }

  /** Bytes, retries and the backend and server counts, as the line reports them now. */
  private fillLogCounters(r: LogRecord): void {
    r.bytesIn = this.state === 'closed' ? this.bytesIn : this.client.bytesRead;
    r.bytesOut = this.state === 'closed' ? this.bytesOut : this.client.bytesWritten;
    r.retries = this.attempts > 0 ? this.attempts - 1 : 0;
    r.beconn = this.owner.backendConns?.() ?? 0;
    r.srvconn = (this.target as { served?: number } | undefined)?.served ?? 0;
  }

  private emitLog(reason: string): void {
    const r = this.log!;
    this.log = undefined;
    r.tClose = Math.round(performance.now() - this.logT0);
    this.fillLogCounters(r);
    const connected = r.tConnect >= 0;
    switch (reason) {
      case 'client closed':
        if (!connected) setTermination(r, 'client-abort', 'connect');
        break;
      case 'client timeout':
        setTermination(r, 'client-timeout', 'data');
        break;
      case 'server timeout':
        setTermination(r, 'server-timeout', 'data');
        break;
      case 'no server available':
      case 'server connection failed':
        setTermination(r, 'server-abort', 'connect');
        break;
      case 'connect timeout':
        setTermination(r, 'server-timeout', 'connect');
        break;
      case 'queue timeout':
        setTermination(r, 'server-timeout', 'queue');
        break;
      case 'client error':
        setTermination(r, 'client-abort', connected ? 'data' : 'connect');
        break;
      case 'server error':
        setTermination(r, 'server-abort', 'data');
        break;
      case 'hard stop':
        setTermination(r, 'killed', connected ? 'data' : 'connect');
        break;
    }
    if (this.owner.log!.samples) r.env = this.owner.sampleEnv?.(this);
    this.owner.log!.emit(r);
  }
}

function streamOf(s: Socket): TcpStream | undefined {
  return (s as TaggedSocket)[STREAM];
}

function onClientData(this: Socket, chunk: Buffer): void {
  const st = streamOf(this);
  if (!st) return;
  st.seen = st.owner.wheel.now;
  const server = st.server;
  if (server && !server.write(chunk)) this.pause();
}

/** Server bytes arrive in the shared read buffer (onread): written to the client at once. */
function onServerRead(this: Socket, nread: number, buf: Buffer): boolean | undefined {
  const st = streamOf(this);
  if (st?.state !== 'established') return undefined;
  st.seen = st.owner.wheel.now;
  const client = st.client;
  const ok = client.write(buf.subarray(0, nread));
  readBufferWritten(client);
  // false pauses this socket until the client drains
  return ok ? undefined : false;
}

function onClientDrain(this: Socket): void {
  streamOf(this)?.server?.resume();
}

function onServerDrain(this: Socket): void {
  streamOf(this)?.client.resume();
}

/**
 * A FIN from one side is passed to the other (HAProxy forwards half-closes); from then on
 * both connections are half-closed and `timeout client-fin` / `server-fin` apply when set.
 */
function onClientEnd(this: Socket): void {
  const st = streamOf(this);
  if (st !== undefined && st.state !== 'established') {
    st.clientEnded = true; // passed on once the server is connected
    return;
  }
  const server = st?.server;
  if (!st || !server || server.destroyed) return;
  server.end();
  halfClosed(st);
}

function onServerEnd(this: Socket): void {
  const st = streamOf(this);
  if (!st || st.client.destroyed) return;
  st.client.end();
  halfClosed(st);
}

function halfClosed(st: TcpStream): void {
  const t = st.owner.timeouts;
  if (t.clientFin) st.clientMs = t.clientFin;
  if (t.serverFin) st.serverMs = t.serverFin;
  if (t.clientFin || t.serverFin) st.armIdle();
}

function onQueueTimeout(st: TcpStream): void {
  st.queueTimer = undefined;
  st.owner.leaveQueue?.(st);
  st.close('queue timeout');
}

function onServerConnect(this: Socket): void {
  const st = streamOf(this);
  if (st?.state !== 'connecting' || st.server !== this) {
    this.destroy();
    return;
  }
  if (st.target !== undefined) st.owner.observed?.(st.target, true);
  st.established();
}

function onServerError(this: Socket): void {
  const st = streamOf(this);
  if (!st || st.server !== this) return;
  if (st.state === 'connecting') {
    if (st.target !== undefined) st.owner.observed?.(st.target, false);
    // HAProxy retries a failed connect 'retries' times
    this.destroy();
    if (st.attempts <= st.owner.retries) st.retry();
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
    if (st.attempts <= st.owner.retries) st.retry();
    else st.close('connect timeout');
    return;
  }
  st.close(this === st.client ? 'client timeout' : 'server timeout');
}
