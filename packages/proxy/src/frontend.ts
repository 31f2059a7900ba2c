/**
 * A TCP frontend: accepted client connections become streams to the servers
 * of its default backend. It counts its streams so the run loop knows when a
 * soft stop may end the process.
 */

import type { Socket } from 'node:net';
import type { ProxyWorld } from '@hap/sample';
import { countRate, ProxyCounters } from '@hap/stats/engine';
import { connectionAddresses } from './accept-proxy.ts';
import type { Backend } from './backend.ts';
import type { Server, ServerTarget } from './server.ts';
import { type FrontendLog, type StreamOwner, type StreamTimeouts, TcpStream } from './stream.ts';
import { StreamEnv } from './stream-env.ts';
import { type InspectionDone, inspectConnection, type TcpInspection } from './tcp-inspect.ts';

/** For streams of a frontend built without live figures (tests): every lookup finds nothing. */
const NO_WORLD: ProxyWorld = {
  nbsrv: () => undefined,
  beConn: () => undefined,
  queue: () => undefined,
  feConn: () => undefined,
  serverUp: () => undefined,
};

import { TimerWheel } from './timer-wheel.ts';

/** What the application sees of any frontend, whatever its mode. */
export interface Frontend {
  readonly name: string;
  /** The default backend. */
  readonly backend: Backend;
  /** Live streams (TCP) or sessions (HTTP). */
  readonly streams: ReadonlySet<{ readonly endReason: string }>;
  /** Client connections open (`feconn`, `scur`): the streams, unless a connection multiplexes them. */
  readonly connections: number;
  readonly totalStreams: number;
  /** `show stat` counters of the frontend (its FRONTEND line). */
  readonly counters: ProxyCounters;
  /**
   * Takes an accepted client connection; `env` carries what `tcp-request connection|session`
   * rules already set on it (session variables).
   */
  handleConnection(socket: Socket, env?: StreamEnv): void;
  /** Soft stop: no new work; what is idle closes now. */
  softStop(): void;
  /** Ends everything now (hard stop). */
  destroyAll(): void;
  /** Ends the streams served by `server` now (`shutdown sessions server`, `on-marked-down shutdown-sessions`); how many. */
  shutdownServerSessions(server: Server, reason: string): number;
}

/** Stream hooks; the application gives one object to every frontend (its methods take the general types). */
export interface FrontendHooks<F = Frontend, S = { readonly endReason: string }> {
  /** A stream started (a job for the run loop). */
  streamOpened(frontend: F, stream: S): void;
  /** A stream ended; `stream.endReason` says why. */
  streamClosed(frontend: F, stream: S): void;
}

export interface FrontendSpec {
  name: string;
  backend: Backend;
  /** The frontend's `timeout client`, ms (0 = none). */
  clientTimeout: number;
  /** The frontend's `timeout client-fin`, ms (0 = none). */
  clientFinTimeout?: number;
  hooks: FrontendHooks<TcpFrontend, TcpStream>;
  /** `tcp-request content` rules and `use_backend` (the connection's first bytes are held until they decide). */
  inspection?: TcpInspection | undefined;
  /** Live figures of the proxies, for the samples of `stick` rules. */
  world?: ProxyWorld | undefined;
  /** The traffic log (absent: nothing logged, nothing measured). */
  log?: FrontendLog | undefined;
}

/** A TCP frontend's way to one of its backends: what a stream needs of the pair. */
class TcpRoute implements StreamOwner {
  readonly name: string;
  readonly backend: Backend;
  readonly timeouts: StreamTimeouts;
  readonly retries: number;
  readonly redispatch: boolean;
  readonly wheel: TimerWheel;
  readonly log: FrontendLog | undefined;
  readonly backendName: string;
  private readonly frontend: TcpFrontend;

  constructor(frontend: TcpFrontend, backend: Backend, client: number, clientFin: number) {
    this.frontend = frontend;
    this.name = frontend.name;
    this.backend = backend;
    this.retries = backend.retries;
    this.redispatch = backend.redispatch;
    this.wheel = frontend.wheel;
    this.log = frontend.log;
    this.backendName = backend.name;
    this.timeouts = {
      client,
      connect: backend.timeouts.connect,
      server: backend.timeouts.server,
      tunnel: backend.timeouts.tunnel,
      clientFin,
      serverFin: backend.timeouts.serverFin ?? 0,
      queue: backend.timeouts.queue ?? 0,
    };
  }

  /**
   * A server with a free slot (TCP streams are refused, not queued, when every server is at
   * its maxconn): the one a `stick` rule remembers for the client when it is usable, else the
   * balancer's choice (then remembered).
   */
  sampleEnv(stream: TcpStream): StreamEnv {
    stream.env ??= new StreamEnv(this.name, stream.client, this.frontend.world ?? NO_WORLD);
    return stream.env;
  }

  pickServer(stream: TcpStream): ServerTarget | undefined {
    const be = this.backend;
    const persist = be.persist;
    if (persist !== undefined) {
      stream.env ??= new StreamEnv(this.name, stream.client, this.frontend.world ?? NO_WORLD);
      const env = stream.env;
      const stuck = persist.match(env);
      if (stuck !== undefined && be.isUsable(stuck) && !stuck.full) {
        be.take(stuck);
        stuck.counters.stot++;
        countRate(stuck.counters.sess_per_sec);
        return stuck;
      }
    }
    const s = be.pickServer(be.needsKey ? { clientIp: connectionAddresses(stream.client).src } : undefined);
    if (s !== undefined) {
      be.take(s);
      be.counters.lbtot++;
      s.counters.lbtot++;
      s.counters.stot++;
      countRate(s.counters.sess_per_sec);
      if (persist !== undefined && stream.env !== undefined) persist.store(stream.env, s);
    }
    return s;
  }

  /** The slot goes to the oldest queued stream, if any. */
  releaseServer(target: ServerTarget): void {
    this.backend.releaseSlot(target as Server);
  }

  observed(target: ServerTarget, ok: boolean): void {
    this.backend.observe?.(target as Server, ok ? 'l4-ok' : 'l4-error');
  }

  enqueue(stream: TcpStream): boolean {
    if (!this.backend.hasUsableServer()) return false;
    this.backend.queue.push(stream);
    return true;
  }

  leaveQueue(stream: TcpStream): void {
    this.backend.leaveQueue(stream);
  }

  backendConns(): number {
    return this.backend.currentConns();
  }

  streamClosed(stream: TcpStream): void {
    this.frontend.streamClosed(stream);
  }
}

export class TcpFrontend implements Frontend, InspectionDone {
  readonly name: string;
  readonly backend: Backend;
  readonly counters: ProxyCounters;
  readonly streams: Set<TcpStream>;
  get connections(): number {
    return this.streams.size;
  }
  readonly wheel: TimerWheel;
  totalStreams: number;
  private readonly hooks: FrontendHooks<TcpFrontend, TcpStream>;
  private readonly inspection: TcpInspection | undefined;
  private readonly routes: Map<Backend, TcpRoute>;
  private readonly clientTimeout: number;
  private readonly clientFinTimeout: number;
  readonly world: ProxyWorld | undefined;
  readonly log: FrontendLog | undefined;

  constructor(spec: FrontendSpec) {
    this.log = spec.log;
    this.name = spec.name;
    this.backend = spec.backend;
    this.streams = new Set();
    this.wheel = new TimerWheel();
    this.totalStreams = 0;
    this.hooks = spec.hooks;
    this.inspection = spec.inspection;
    this.routes = new Map();
    this.clientTimeout = spec.clientTimeout;
    this.clientFinTimeout = spec.clientFinTimeout ?? 0;
    this.world = spec.world;
    this.counters = new ProxyCounters();
  }

  private route(backend: Backend): TcpRoute {
    let r = this.routes.get(backend);
    if (r === undefined) {
      r = new TcpRoute(this, backend, this.clientTimeout, this.clientFinTimeout);
      this.routes.set(backend, r);
    }
    return r;
  }

  /** Takes an accepted client connection. */
  handleConnection(socket: Socket, env?: StreamEnv): void {
    this.counters.conn_tot++;
    this.counters.stot++;
    countRate(this.counters.conn_per_sec);
    countRate(this.counters.sess_per_sec);
    if (this.inspection !== undefined) inspectConnection(socket, this.inspection, this, this.name, env);
    else this.start(socket, this.backend, undefined, false, env);
  }

  /** The content rules let the connection through, to `backend` (or the default one). */
  inspected(
    socket: Socket,
    backend: Backend | undefined,
    held: Buffer,
    ended: boolean,
    env: StreamEnv,
  ): void {
    this.start(socket, backend ?? this.backend, held, ended, env);
  }

  refused(socket: Socket, _reason: string): void {
    socket.destroy();
  }

  private start(
    socket: Socket,
    backend: Backend,
    held: Buffer | undefined,
    ended: boolean,
    env: StreamEnv | undefined,
  ): void {
    this.totalStreams++;
    backend.counters.stot++;
    countRate(backend.counters.sess_per_sec);
    const stream = new TcpStream(this.route(backend), socket, held, ended, env);
    if (stream.state === 'closed') return;
    this.streams.add(stream);
    this.hooks.streamOpened(this, stream);
  }

  /** TCP streams have nothing idle: they end when either side closes. */
  softStop(): void {}

  streamClosed(stream: TcpStream): void {
    if (!this.streams.delete(stream)) return;
    // bytes from the client (bin) and to it (bout), for the frontend, the backend and the server
    const c = this.counters;
    c.bin += stream.bytesIn;
    c.bout += stream.bytesOut;
    const route = stream.owner as TcpRoute;
    route.backend.counters.bin += stream.bytesIn;
    route.backend.counters.bout += stream.bytesOut;
    const srv = stream.target as Server | undefined;
    if (srv?.counters !== undefined) {
      srv.counters.bin += stream.bytesIn;
      srv.counters.bout += stream.bytesOut;
    }
    this.hooks.streamClosed(this, stream);
  }

  /** Ends every stream now (hard stop). */
  destroyAll(): void {
    for (const s of [...this.streams]) s.close('hard stop');
  }

  shutdownServerSessions(server: Server, reason: string): number {
    let n = 0;
    for (const s of [...this.streams]) {
      if (s.target !== server) continue;
      s.close(reason);
      n++;
    }
    return n;
  }
}
