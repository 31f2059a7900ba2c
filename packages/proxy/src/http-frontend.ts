/**
 * An HTTP frontend (`mode http`): accepted client connections become HTTP sessions that
 * forward each request to the frontend's backend. It owns the timer wheel of its
 * sessions' timeouts and counts its sessions so the run loop knows when a soft stop may end.
 */

import type { Socket } from 'node:net';
import type { TargetRules } from '@hap/rules';
import type { ProxyWorld } from '@hap/sample';
import { countRate, ProxyCounters } from '@hap/stats/engine';
import type { Backend } from './backend.ts';
import { ErrorEvents, type ErrorSnapshot } from './error-capture.ts';
import type { Frontend, FrontendHooks } from './frontend.ts';
import {
  H2_STREAM,
  type HttpFrontendTimeouts,
  type HttpProxySettings,
  HttpSession,
  type HttpSessionOwner,
  type MonitorSettings,
} from './http-session.ts';
import type { Server } from './server.ts';
import type { FrontendLog } from './stream.ts';
import type { StreamEnv } from './stream-env.ts';
import { TimerWheel } from './timer-wheel.ts';

export interface HttpFrontendSpec {
  name: string;
  /** The default backend. */
  backend: Backend;
  timeouts: HttpFrontendTimeouts;
  http: HttpProxySettings;
  hooks: FrontendHooks<HttpFrontend, HttpSession>;
  /** `use_backend` rules and the backends they may name. */
  switching?: { rules: TargetRules; backends: ReadonlyMap<string, Backend> } | undefined;
  monitor?: MonitorSettings | undefined;
  /** Live figures of every proxy, for the sample fetches that read them. */
  world: ProxyWorld;
  /** Whether a backend this frontend may use has rules of its own. */
  backendRules?: boolean;
  /** The traffic log (absent: nothing logged, nothing measured). */
  log?: FrontendLog | undefined;
  /** The process's error event counter, shared by every frontend (default: one of its own). */
  errorEvents?: ErrorEvents | undefined;
}

export class HttpFrontend implements HttpSessionOwner, Frontend {
  readonly name: string;
  readonly backend: Backend;
  readonly timeouts: HttpFrontendTimeouts;
  readonly http: HttpProxySettings;
  readonly wheel: TimerWheel;
  /** `show stat` counters of the frontend (its FRONTEND line). */
  readonly counters: ProxyCounters;
  readonly hasRules: boolean;
  readonly monitor: MonitorSettings | undefined;
  readonly world: ProxyWorld;
  private readonly switching: HttpFrontendSpec['switching'];
  readonly streams: Set<HttpSession>;
  totalStreams: number;
  /** Sessions that are streams of a multiplexed connection (handleStream), and those connections. */
  private muxStreams: number;
  private muxConnections: number;
  stopping: boolean;
  readonly log: FrontendLog | undefined;
  /** The last request refused (`show errors`), null when none. */
  invalidReq: ErrorSnapshot | null;
  readonly errorEvents: ErrorEvents;
  private readonly hooks: FrontendHooks<HttpFrontend, HttpSession>;

  constructor(spec: HttpFrontendSpec) {
    this.name = spec.name;
    this.backend = spec.backend;
    this.timeouts = spec.timeouts;
    this.http = spec.http;
    this.wheel = new TimerWheel();
    this.streams = new Set();
    this.totalStreams = 0;
    this.muxStreams = 0;
    this.muxConnections = 0;
    this.stopping = false;
    this.hooks = spec.hooks;
    this.switching = spec.switching;
    this.counters = new ProxyCounters();
    this.monitor = spec.monitor;
    this.world = spec.world;
    this.log = spec.log;
    this.invalidReq = null;
    this.errorEvents = spec.errorEvents ?? new ErrorEvents();
    this.hasRules =
      spec.http.rules !== undefined ||
      spec.switching !== undefined ||
      spec.monitor !== undefined ||
      spec.http.intercept !== undefined ||
      spec.backendRules === true;
  }

  /** Takes an accepted client connection. */
  handleConnection(socket: Socket, env?: StreamEnv): void {
    this.totalStreams++;
    this.counters.conn_tot++;
    this.counters.stot++;
    countRate(this.counters.conn_per_sec);
    countRate(this.counters.sess_per_sec);
    const session = new HttpSession(this, socket);
    // session variables set by tcp-request connection/session rules
    if (env !== undefined) session.env = env;
    this.streams.add(session);
    this.hooks.streamOpened(this, session);
  }

  /**
   * Takes one HTTP/2 stream carried as an HTTP/1.1 exchange (`h2Stream` marks the socket): a
   * request like another, but the connection and the session were counted once for all the
   * streams of the connection (countConnection).
   */
  handleStream(socket: Socket): void {
    this.muxStreams++;
    const session = new HttpSession(this, socket);
    this.streams.add(session);
    this.hooks.streamOpened(this, session);
  }

  /** A connection whose streams come through handleStream (HTTP/2): counted once. */
  countConnection(): void {
    this.muxConnections++;
    this.totalStreams++;
    this.counters.conn_tot++;
    this.counters.stot++;
    countRate(this.counters.conn_per_sec);
    countRate(this.counters.sess_per_sec);
  }

  /** A connection counted by countConnection() closed. */
  connectionClosed(): void {
    this.muxConnections--;
  }

  /** Client connections open: one per HTTP/1 session, one per multiplexed connection. */
  get connections(): number {
    return this.streams.size - this.muxStreams + this.muxConnections;
  }

  backendFor(session: HttpSession): Backend {
    const sw = this.switching;
    if (sw === undefined || session.env === null) return this.backend;
    const name = sw.rules.select(session.env);
    return (name !== undefined ? sw.backends.get(name) : undefined) ?? this.backend;
  }

  sessionClosed(session: HttpSession): void {
    if (!this.streams.delete(session)) return;
    if (session.client[H2_STREAM] === true) this.muxStreams--;
    this.hooks.streamClosed(this, session);
  }

  /** Soft stop: idle keep-alive connections close now, the others after their current response. */
  softStop(): void {
    this.stopping = true;
    for (const s of [...this.streams]) if (s.isIdle()) s.close('soft stop');
    this.closeIdleServerConnections();
  }

  private closeIdleServerConnections(): void {
    this.backend.closeIdleConnections();
    if (this.switching !== undefined)
      for (const b of this.switching.backends.values()) b.closeIdleConnections();
  }

  /** Ends every session now (hard stop), and the idle server connections with them. */
  destroyAll(): void {
    this.stopping = true;
    for (const s of [...this.streams]) s.close('hard stop');
    this.closeIdleServerConnections();
  }
  shutdownServerSessions(server: Server, reason: string): number {
    let n = 0;
    for (const s of [...this.streams]) {
      if (s.server !== server && s.slot !== server) continue;
      s.close(reason);
      n++;
    }
    return n;
  }
}
