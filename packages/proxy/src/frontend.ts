/**
 * A TCP frontend: accepted client connections become streams to the servers
 * of its default backend. It counts its streams so the run loop knows when a
 * soft stop may end the process.
 */

import type { Socket } from 'node:net';
import type { Backend } from './backend.ts';
import { type ServerTarget, type StreamOwner, type StreamTimeouts, TcpStream } from './stream.ts';

export interface FrontendHooks {
  /** A stream started (a job for the run loop). */
  streamOpened(frontend: TcpFrontend, stream: TcpStream): void;
  /** A stream ended; `stream.endReason` says why. */
  streamClosed(frontend: TcpFrontend, stream: TcpStream): void;
}

export interface FrontendSpec {
  name: string;
  backend: Backend;
  /** The frontend's `timeout client`, ms (0 = none). */
  clientTimeout: number;
  hooks: FrontendHooks;
}

export class TcpFrontend implements StreamOwner {
  readonly name: string;
  readonly backend: Backend;
  readonly timeouts: StreamTimeouts;
  readonly retries: number;
  readonly streams: Set<TcpStream>;
  totalStreams: number;
  private readonly hooks: FrontendHooks;

  constructor(spec: FrontendSpec) {
    this.name = spec.name;
    this.backend = spec.backend;
    this.retries = spec.backend.retries;
    this.timeouts = {
      client: spec.clientTimeout,
      connect: spec.backend.timeouts.connect,
      server: spec.backend.timeouts.server,
      tunnel: spec.backend.timeouts.tunnel,
    };
    this.streams = new Set();
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

  pickServer(): ServerTarget | undefined {
    return this.backend.pickServer();
  }

  streamClosed(stream: TcpStream): void {
    if (this.streams.delete(stream)) this.hooks.streamClosed(this, stream);
  }

  /** Ends every stream now (hard stop). */
  destroyAll(): void {
    for (const s of [...this.streams]) s.close('hard stop');
  }
}
