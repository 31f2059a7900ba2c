/**
 * A backend: its servers, how the next one is chosen, and what its streams
 * need to know (timeouts, retries, HTTP connection handling). Round-robin over
 * the usable servers for now; the balancing algorithms arrive as
 * `@hap/balance` and are given to the backend as a "pick a server" function.
 */

import { Server, type ServerTarget } from './server.ts';

/** `http-reuse`: which idle server connections a request may use. */
export type HttpReuse = 'never' | 'safe' | 'aggressive' | 'always';

export interface BackendTimeouts {
  /** ms; 0 = none */
  connect: number;
  server: number;
  tunnel: number;
  /** How long a request may wait in the queue for a server (0: `timeout connect` is used, as HAProxy does). */
  queue?: number;
  /** `timeout server-fin` (TCP streams): a half-closed server side's inactivity timeout. */
  serverFin?: number;
}

/** A request waiting for a server slot (servers at maxconn). */
export interface QueuedRequest {
  /** A server has a free slot for this request (it was counted as served already). */
  dequeued(server: Server): void;
}

export interface BackendSpec {
  name: string;
  servers: ServerTarget[];
  /** Connect retries after the first attempt (HAProxy's `retries`, default 3). */
  retries: number;
  timeouts: BackendTimeouts;
  /** `http-reuse` (default safe). */
  reuse?: HttpReuse;
  /** `option redispatch`: the last connect retry may go to another server. */
  redispatch?: boolean;
}

export class Backend {
  readonly name: string;
  readonly servers: Server[];
  readonly retries: number;
  readonly timeouts: BackendTimeouts;
  readonly reuse: HttpReuse;
  readonly redispatch: boolean;
  /** Requests waiting for a server with a free slot, oldest first. */
  readonly queue: QueuedRequest[];
  private next: number;

  constructor(spec: BackendSpec) {
    this.name = spec.name;
    this.servers = spec.servers.map((t) => new Server(t));
    this.retries = spec.retries;
    this.timeouts = spec.timeouts;
    this.reuse = spec.reuse ?? 'safe';
    this.redispatch = spec.redispatch ?? false;
    this.queue = [];
    this.next = 0;
  }

  /** Closes the idle server connections kept for reuse (stop, or a test's cleanup). */
  closeIdleConnections(): void {
    for (const s of this.servers) {
      for (const c of s.idle.splice(0)) {
        c.idleIndex = -1;
        c.socket.destroy();
      }
    }
  }

  /** The next server in turn that is not at its maxconn, or undefined when there is none. */
  pickServer(): Server | undefined {
    const n = this.servers.length;
    for (let i = 0; i < n; i++) {
      const s = this.servers[this.next % n]!;
      this.next = (this.next + 1) % n;
      if (!s.full) return s;
    }
    return undefined;
  }

  /** Whether any server could take a request once it has a free slot. */
  hasUsableServer(): boolean {
    for (const s of this.servers) if (!s.unresolved) return true;
    return false;
  }

  /** How long a request may wait in the queue (timeout queue, else timeout connect; 0 = forever). */
  get queueTimeout(): number {
    return this.timeouts.queue || this.timeouts.connect;
  }

  /** A request done with `server`: its slot goes to the oldest queued request, if any. */
  releaseSlot(server: Server): void {
    server.served--;
    const next = this.queue.shift();
    if (next !== undefined) {
      server.served++;
      next.dequeued(server);
    }
  }

  /** Takes a request out of the queue (it gave up: timeout, client gone). */
  leaveQueue(q: QueuedRequest): void {
    const i = this.queue.indexOf(q);
    if (i >= 0) this.queue.splice(i, 1);
  }
}
