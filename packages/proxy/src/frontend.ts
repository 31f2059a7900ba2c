/**
 * A TCP frontend: accepted client connections become streams to the servers
 * of its default backend. It counts its streams so the run loop knows when a
 * soft stop may end the process.
 */

import type { Socket } from 'node:net';
import { connectionAddresses } from './accept-proxy.ts';
import type { Backend } from './backend.ts';
import type { Server, ServerTarget } from './server.ts';
import { type StreamOwner, type StreamTimeouts, TcpStream } from './stream.ts';
import { TimerWheel } from './timer-wheel.ts';

/** What the application sees of any frontend, whatever its mode. */
export interface Frontend {
  readonly name: string;
  /** The default backend. */
  readonly backend: Backend;
  /** Live streams (TCP) or sessions (HTTP). */
  readonly streams: ReadonlySet<{ readonly endReason: string }>;
  readonly totalStreams: number;
  /** Takes an accepted client connection. */
  handleConnection(socket: Socket): void;
  /** Soft stop: no new work; what is idle closes now. */
  softStop(): void;
  /** Ends everything now (hard stop). */
  destroyAll(): void;
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
}

export class TcpFrontend implements StreamOwner, Frontend {
  readonly name: string;
  readonly backend: Backend;
  readonly timeouts: StreamTimeouts;
  readonly retries: number;
  readonly redispatch: boolean;
  readonly streams: Set<TcpStream>;
  readonly wheel: TimerWheel;
  totalStreams: number;
  private readonly hooks: FrontendHooks<TcpFrontend, TcpStream>;

  constructor(spec: FrontendSpec) {
    this.name = spec.name;
    this.backend = spec.backend;
    this.retries = spec.backend.retries;
    this.redispatch = spec.backend.redispatch;
    this.timeouts = {
      client: spec.clientTimeout,
      connect: spec.backend.timeouts.connect,
      server: spec.backend.timeouts.server,
      tunnel: spec.backend.timeouts.tunnel,
      clientFin: spec.clientFinTimeout ?? 0,
      serverFin: spec.backend.timeouts.serverFin ?? 0,
      queue: spec.backend.timeouts.queue ?? 0,
    };
    this.streams = new Set();
    this.wheel = new TimerWheel();
    this.totalStreams = 0;
    this.hooks = spec.hooks;
  }

  /** Takes an accepted client connection. */
  handleConnection(socket: Socket): void {
    this.totalStreams++;
    const stream = new TcpStream(this, socket);
    if (stream.state === 'closed') return;
    this.streams.add(stream);
    this.hooks.streamOpened(this, stream);
  }

  /** TCP streams have nothing idle: they end when either side closes. */
  softStop(): void {}

  /** A server with a free slot (TCP streams are refused, not queued, when every server is at its maxconn). */
  pickServer(stream: TcpStream): ServerTarget | undefined {
    const be = this.backend;
    const s = be.pickServer(be.needsKey ? { clientIp: connectionAddresses(stream.client).src } : undefined);
    if (s !== undefined) be.take(s);
    return s;
  }

  /** The slot goes to the oldest queued stream, if any. */
  releaseServer(target: ServerTarget): void {
    this.backend.releaseSlot(target as Server);
  }

  enqueue(stream: TcpStream): boolean {
    if (!this.backend.hasUsableServer()) return false;
    this.backend.queue.push(stream);
    return true;
  }

  leaveQueue(stream: TcpStream): void {
    this.backend.leaveQueue(stream);
  }

  streamClosed(stream: TcpStream): void {
    if (this.streams.delete(stream)) this.hooks.streamClosed(this, stream);
  }

  /** Ends every stream now (hard stop). */
  destroyAll(): void {
    for (const s of [...this.streams]) s.close('hard stop');
  }
}
