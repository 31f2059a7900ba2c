/**
 * A backend: its servers, how the next one is chosen, and what its streams
 * need to know (timeouts, retries, HTTP connection handling). Round-robin over
 * the usable servers for now; the balancing algorithms arrive as
 * `@hap/balance` and are given to the backend as a "pick a server" function.
 */

import type { TargetRules } from '@hap/rules';
import type { SampleEnv } from '@hap/sample';
import { ProxyCounters } from '@hap/stats/engine';
import type { CookiePersistence } from './cookie.ts';
import type { ErrorSnapshot } from './error-capture.ts';
import { Server, type ServerTarget } from './server.ts';

/** What a balancing algorithm may read of a request (all optional but the client address). */
export interface RequestKey {
  clientIp: string;
  /** The request target as received (HTTP). */
  uri?: string;
  method?: string;
  /** A request header's first value (name in lower case). */
  header?: (name: string) => string | undefined;
}

/**
 * A balancing algorithm over the backend's servers (the application adapts `@hap/balance`).
 * Without one the backend takes its servers in plain turn.
 */
export interface BackendBalancer {
  /** Whether pick() reads the request (hash-based algorithms); if not, no key is built. */
  readonly needsKey: boolean;
  /** The server for a new request; undefined when none takes traffic or all are full. */
  pick(key: RequestKey | undefined, avoid?: Server): Server | undefined;
  taken(server: Server): void;
  released(server: Server): void;
  /** Whether any server takes traffic at all. */
  available(): boolean;
  /** The server may take no traffic (its address could not be resolved). */
  disable(server: Server): void;
  /** Servers that may take traffic now: the active ones, or the backups when no active one may (HAProxy's nbsrv). */
  usableServers(): number;
  /** Whether the balancer may choose `server` (up, weight > 0). */
  isUsable(server: Server): boolean;
  /** Whether `server` is running (up or draining: neither down nor in maintenance). */
  isRunning(server: Server): boolean;
  /** Health checks and the runtime API change a server's state and weight. */
  setState(server: Server, state: 'up' | 'down' | 'drain' | 'maint'): void;
  setWeight(server: Server, weight: number): void;
  /** `set maxconn server`: the balancer skips a server at its new limit. */
  setMaxconn?(server: Server, maxconn: number): void;
  /** Whether `server` is a backup one. */
  isBackup(server: Server): boolean;
  /**
   * The server's weight as the user set it (`weight`, `set weight`), and the one it takes
   * traffic with now in user units (a part of it during a slow start), for `srv_uweight` and
   * `srv_weight`. Absent: the configured weight.
   */
  userWeight?(server: Server): number | undefined;
  currentWeight?(server: Server): number | undefined;
}

/**
 * `stick match|on|store-request|store-response`: persistence of a client (by a sample of its request) on a
 * server, kept in a stick table. Built by the application; the streams call it around the
 * balancer's choice.
 */
export interface StickPersistence {
  /** The server a matching rule finds for this stream (usable or not: the caller decides). */
  match(env: SampleEnv): Server | undefined;
  /** Records the chosen server for the storing rules. */
  store(env: SampleEnv, server: Server): void;
  /**
   * `stick store-response`: records the server under keys read from its response (the env's
   * response message is set); undefined when the backend has no such rule.
   */
  readonly storeResponse: ((env: SampleEnv, server: Server) => void) | undefined;
  /** The runtime API added `server` to the backend with this id (`add server`): rules may name it. */
  serverAdded?(server: Server, id: number): void;
  /** The runtime API removed `server` (`del server`): entries with its id no longer find it. */
  serverRemoved?(server: Server): void;
}

/** What traffic tells of a server (`observe`). */
export type ObservedEvent =
  | 'l4-ok'
  | 'l4-error'
  | 'http-ok'
  | 'http-status'
  | 'http-invalid'
  | 'http-read-timeout'
  | 'http-broken-pipe';

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
  /**
   * The one server this request waits for (a persistence cookie named it: HAProxy's server
   * queue); null: any server of the backend.
   */
  readonly waitsFor: Server | null;
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
  /** The `balance` algorithm; servers in plain turn without it. Built over `backend.servers`. */
  balancer?: (servers: readonly Server[]) => BackendBalancer;
}

export class Backend {
  readonly name: string;
  readonly servers: Server[];
  readonly retries: number;
  readonly timeouts: BackendTimeouts;
  readonly reuse: HttpReuse;
  readonly redispatch: boolean;
  readonly balancer: BackendBalancer | undefined;
  /** Requests waiting for a server with a free slot, oldest first. */
  readonly queue: QueuedRequest[];
  /** `use-server` rules (HTTP), set by the application; undefined when there are none. */
  useServer: TargetRules | undefined;
  /** `stick` rules, set by the application; undefined when there are none. */
  persist: StickPersistence | undefined;
  /** `cookie` persistence, set by the application; undefined without `cookie`. */
  cookie: CookiePersistence | undefined;
  /** `show stat` counters of the backend (its BACKEND line). */
  readonly counters: ProxyCounters;
  /**
   * `observe layer4|layer7`: what traffic tells of a server's health (HAProxy's event names:
   * l4-ok, l4-error, http-ok, http-status, http-invalid, http-read-timeout,
   * http-broken-pipe); set by the application when a server observes.
   */
  observe: ((server: Server, event: ObservedEvent) => void) | undefined;
  /** The last response refused from one of its servers (`show errors`), null when none. */
  invalidRep: ErrorSnapshot | null;
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
    this.balancer = spec.balancer?.(this.servers);
    this.useServer = undefined;
    this.persist = undefined;
    this.cookie = undefined;
    this.counters = new ProxyCounters();
    this.observe = undefined;
    this.invalidRep = null;
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

  /** Whether picking a server reads the request. */
  get needsKey(): boolean {
    return this.balancer?.needsKey ?? false;
  }

  /**
   * The server for a new request: the balancer's choice, or the next in turn, among those
   * not at their maxconn; undefined when there is none (then: queue, or 503 without any usable).
   */
  pickServer(key?: RequestKey, avoid?: Server): Server | undefined {
    const b = this.balancer;
    if (b !== undefined) {
      const s = b.pick(key, avoid);
      return s === undefined || s.full ? undefined : s;
    }
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
    if (this.balancer !== undefined) return this.balancer.available();
    for (const s of this.servers) if (!s.unresolved) return true;
    return false;
  }

  /** A request or stream starts on `server` (counted against its maxconn and by the balancer). */
  take(server: Server): void {
    server.served++;
    this.balancer?.taken(server);
  }

  /** The server takes no traffic from now on (its address could not be resolved). */
  disable(server: Server): void {
    server.unresolved = true;
    this.balancer?.disable(server);
  }

  /** Servers that may take traffic now (HAProxy's `nbsrv`). */
  usableServers(): number {
    if (this.balancer !== undefined) return this.balancer.usableServers();
    let n = 0;
    for (const s of this.servers) if (!s.unresolved) n++;
    return n;
  }

  /** Whether `server` may take traffic now. */
  isUsable(server: Server): boolean {
    if (server.unresolved) return false;
    return this.balancer === undefined || this.balancer.isUsable(server);
  }

  /** Whether `server` is running (not down, not in maintenance): cookies may name it. */
  isRunning(server: Server): boolean {
    if (server.unresolved) return false;
    return this.balancer === undefined || this.balancer.isRunning(server);
  }

  /** Connections open to the backend's servers now (busy or idle). */
  currentConns(): number {
    let n = 0;
    for (const s of this.servers) n += s.served;
    return n;
  }

  /** How long a request may wait in the queue (timeout queue, else timeout connect; 0 = forever). */
  get queueTimeout(): number {
    return this.timeouts.queue || this.timeouts.connect;
  }

  /** A request done with `server`: its slot goes to the oldest queued request that may use it, if any. */
  releaseSlot(server: Server): void {
    const next = this.nextFor(server);
    if (next !== undefined) {
      // the slot passes to the oldest queued request: still served, still taken
      next.dequeued(server);
      return;
    }
    server.served--;
    this.balancer?.released(server);
  }

  /** Takes out the oldest queued request `server` may serve (its own, or one for any server). */
  private nextFor(server: Server): QueuedRequest | undefined {
    const q = this.queue;
    for (let i = 0; i < q.length; i++) {
      const r = q[i]!;
      if (r.waitsFor === null || r.waitsFor === server) {
        if (i === 0) q.shift();
        else q.splice(i, 1);
        return r;
      }
    }
    return undefined;
  }

  /**
   * `set maxconn server`: the server's new limit (0: none). Slots it frees go at once to the
   * requests waiting in the backend's queue, oldest first.
   */
  setMaxconn(server: Server, maxconn: number): void {
    server.maxconn = maxconn;
    this.balancer?.setMaxconn?.(server, maxconn);
    while (!server.full && this.isUsable(server)) {
      const next = this.nextFor(server);
      if (next === undefined) break;
      this.take(server);
      next.dequeued(server);
    }
  }

  /** Takes a request out of the queue (it gave up: timeout, client gone). */
  leaveQueue(q: QueuedRequest): void {
    const i = this.queue.indexOf(q);
    if (i >= 0) this.queue.splice(i, 1);
  }
}
