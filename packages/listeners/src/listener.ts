/**
 * One listening socket and its states (HAProxy's `struct listener`).
 *
 * Connections are taken from the kernel by Node; the listener decides whether each one
 * is handed to `onAccept` now or held until the listener may accept again (enabled, a
 * slot freed, resumed). See the README's "Choices" for why.
 */

import { readFileSync } from 'node:fs';
import { lstat, rename, chmod as setMode, chown as setOwner, unlink } from 'node:fs/promises';
import net from 'node:net';
import { groupId, userId } from './accounts.ts';
import { errnoOf, ListenerError, strerror } from './errors.ts';
import { nowMs, type RateLimit } from './rate.ts';

/**
 * The states of a listener and what moves it between them.
 *
 *            bind()                 enable()
 *   new ─────────────▶ bound ─────────────────▶ ready ◀─────────────────┐
 *    │ (a failed bind                          │ ▲   │ ▲                │
 *    │  stays in new)          maxconn reached │ │   │ │ the window has │
 *    │                     a connection closed ▼ │   ▼ │ room (timer)   │
 *    │                                      full ┘ limited ┘            │
 *    │                                     (a rate limit reached)       │ resume()
 *    │              pause() from bound, ready, full or limited          │ (rebinds)
 *    │                                          ▼                       │
 *    │                                        paused ───────────────────┘
 *    │
 *    └──── unbind(), from any state ────▶ stopped (final)
 *
 * - new:     nothing exists yet.
 * - bound:   the socket is bound and listening in the kernel; no connection is handed
 *            to `onAccept` yet (HAProxy between protocol_bind_all and protocol_enable_all).
 * - ready:   connections are handed to `onAccept`.
 * - full:    `maxconn` connections are open; new ones wait until one closes.
 * - limited: a rate limit (`RateLimit`) is reached; new ones wait until its sliding second
 *            has room again (HAProxy's LI_LIMITED; the stats show it as WAITING).
 * - paused:  the port is released (IP and abstract sockets: the socket is closed) so
 *            another process can bind it; `resume()` binds again. UNIX path sockets and
 *            `fd@` sockets keep their socket (see README) and only stop accepting.
 * - stopped: unbound for good; open connections are left to finish.
 */
export type ListenerState = 'new' | 'bound' | 'ready' | 'full' | 'limited' | 'paused' | 'stopped';

/** Address families a listener can bind (HAProxy's `sockpair@` is not supported). */
export type ListenerFamily = 'ipv4' | 'ipv6' | 'unix' | 'abns' | 'fd';

/**
 * Called once per accepted connection; `listener` is the context (no closure per connection).
 * Returning `false` says the application refused it at once (tcp-request rules): it is not
 * counted by the `session` rates. Any other return value (none) keeps it.
 */
// biome-ignore lint/suspicious/noConfusingVoidType: handlers that return nothing are the common case
export type AcceptHandler = (socket: net.Socket, listener: Listener) => boolean | void;

/** Where a listener binds. */
export interface ListenAddress {
  family: ListenerFamily;
  /** IP address ('' = any: 0.0.0.0 / ::), UNIX path, abstract name, or fd number as text. */
  host: string;
  /** TCP port (0 = any free port, fixed at the first bind); 0 for other families. */
  port: number;
}

/**
 * A limit shared by several listeners: HAProxy's global `maxconn`. When the connections of
 * all its listeners reach it, every one of them is full until one closes.
 */
export class ConnectionLimit {
  max: number;
  current: number;
  /** @internal */
  readonly members: Set<Listener>;

  constructor(max: number) {
    this.max = max;
    this.current = 0;
    this.members = new Set();
  }

  get reached(): boolean {
    return this.max > 0 && this.current >= this.max;
  }

  /**
   * Changes the limit at run time (`set maxconn global`): a lower one holds new accepts
   * until enough connections close, a higher one lets the held ones through at once.
   */
  setMax(max: number): void {
    this.max = max;
    for (const l of this.members) l.limitChanged();
  }
}

/** Per-listener settings (the bind line's options, already typed). */
export interface ListenerSettings {
  onAccept: AcceptHandler;
  /** Concurrent connections before the listener is full; 0 = no limit. */
  maxconn?: number;
  /** `maxconn` is the frontend's (the bind line has none of its own). */
  maxconnFromFrontend?: boolean;
  /** A limit shared with other listeners (global maxconn). */
  limit?: ConnectionLimit;
  /**
   * Rates counted on this listener's connections, and their limits (global `maxconnrate`,
   * `maxsessrate`, `maxsslrate`, the frontend's `rate-limit sessions`). None: no clock read,
   * nothing counted, one null check per connection.
   */
  rates?: readonly RateLimit[];
  /** listen() backlog; also the most connections held while not accepting. Default: maxconn, else 511. */
  backlog?: number;
  /** SO_REUSEPORT (default true; HAProxy's `noreuseport` / `-dR` turn it off). */
  reusePort?: boolean;
  /**
   * Takes every connection still queued in the kernel on a listening fd (non-blocking
   * accept until EAGAIN) and returns their fds. Called just before an IP listening socket
   * is closed (soft stop, pause), so that queued clients are served instead of reset.
   */
  drainPending?: (listenFd: number) => number[];
  /** IPv6 only (`v6only`); false = also IPv4 (`v4v6`); default: the system's bindv6only. */
  ipv6Only?: boolean;
  /** UNIX socket permissions (`mode`), e.g. 0o600; -1 = leave as created. */
  mode?: number;
  /** UNIX socket owner: a user name (`user`) or a uid (`uid`). */
  user?: string | number;
  /** UNIX socket group: a group name (`group`) or a gid (`gid`). */
  group?: string | number;
  /** `name` option. */
  name?: string;
  /** `id` option (0 = not fixed). */
  id?: number;
  /** What alerts name, e.g. `frontend www`. */
  proxy?: string;
  /** The configuration line the listener comes from. */
  source?: { file: string; line: number } | null;
}

const DEFAULT_BACKLOG = 511;
/** sun_path size on Linux, terminating NUL included. */
const SUN_PATH_MAX = 108;

let v6onlyDefault: boolean | undefined;
/** The system's IPV6_V6ONLY default (HAProxy's sock_inet6_v6only_default). */
function systemV6Only(): boolean {
  if (v6onlyDefault === undefined) {
    try {
      v6onlyDefault = readFileSync('/proc/sys/net/ipv6/bindv6only', 'utf8').trim() === '1';
    } catch {
      v6onlyDefault = false;
    }
  }
  return v6onlyDefault;
}

/** The address as a stable text key: `127.0.0.1:80`, `[::1]:80`, `unix@/path`, `abns@name`, `fd@3`. */
export function addressKey(address: ListenAddress): string {
  switch (address.family) {
    case 'ipv4':
      return `${address.host === '' ? '0.0.0.0' : address.host}:${address.port}`;
    case 'ipv6':
      return `[${address.host === '' ? '::' : address.host}]:${address.port}`;
    default:
      return `${address.family}@${address.host}`;
  }
}

/** The net.Server of one listener: reaches its listener through `this`, no closures. */
class ListenerServer extends net.Server {
  readonly listener: Listener;
  /** The generation of the listener this server was opened for. */
  readonly generation: number;

  constructor(listener: Listener, generation: number) {
    // pauseOnConnect: an accepted socket reads nothing until it is handed over.
    // allowHalfOpen: a client FIN must not close our side; the handler decides (HAProxy forwards half-closes)
    super({ pauseOnConnect: true, allowHalfOpen: true });
    this.listener = listener;
    this.generation = generation;
    this.on('connection', onServerConnection);
  }
}

function onServerConnection(this: ListenerServer, socket: net.Socket): void {
  if (this.generation !== this.listener.generation) {
    socket.destroy();
    return;
  }
  this.listener.incoming(socket);
}

/** Errors on a listening server after it is up (accept() failures such as EMFILE). */
function onServerError(this: ListenerServer, err: Error): void {
  this.listener.acceptErrors++;
  this.listener.lastAcceptError = err;
}

function onSocketClose(this: net.Socket): void {
  const server = (this as unknown as { server?: unknown }).server;
  if (server instanceof ListenerServer) server.listener.connectionClosed();
}

type Settled = ListenerError | null;

export class Listener {
  readonly family: ListenerFamily;
  /** As in ListenAddress. */
  readonly host: string;
  /** The port; a port 0 becomes the port the system chose at the first bind. */
  port: number;
  /** The address key (see `addressKey`). */
  key: string;
  readonly name: string;
  readonly id: number;
  maxconn: number;
  /** `maxconn` came from the frontend, not the bind line (`set maxconn frontend` changes it). */
  readonly maxconnFromFrontend: boolean;
  readonly backlog: number;
  readonly reusePort: boolean;
  readonly ipv6Only: boolean;
  readonly mode: number;
  readonly user: string | number;
  readonly group: string | number;
  readonly proxy: string;
  readonly source: { file: string; line: number } | null;
  readonly onAccept: AcceptHandler;
  readonly drainPending: ((listenFd: number) => number[]) | null;
  /** The rates this listener counts and obeys (null: none). */
  readonly rates: readonly RateLimit[] | null;

  state: ListenerState;
  /** Connections handed to `onAccept` and not closed yet. */
  currentConns: number;
  /** Connections handed to `onAccept` since creation. */
  totalConns: number;
  /** Connections refused because `backlog` connections were already waiting. */
  droppedConns: number;
  acceptErrors: number;
  lastAcceptError: Error | null;
  /**
   * Bumped whenever the socket is closed or replaced: an async step (listen callback,
   * chmod, rename) that finds another generation knows it is stale (Node's `_listeningId`).
   */
  generation: number;
  /** A listening socket handed over by a parent process (`adoptFds`), used by the next bind; -1 = none. */
  inheritedFd: number;

  private server: ListenerServer | null;
  private readonly limit: ConnectionLimit | null;
  /** Connections taken from the kernel while not accepting, in arrival order. */
  private readonly held: net.Socket[];
  private opening: Promise<Settled> | null;

  constructor(address: ListenAddress, settings: ListenerSettings) {
    this.family = address.family;
    this.host = address.host;
    this.port = address.port;
    this.key = addressKey(address);
    this.name = settings.name ?? '';
    this.id = settings.id ?? 0;
    this.maxconn = settings.maxconn ?? 0;
    this.maxconnFromFrontend = settings.maxconnFromFrontend ?? false;
    this.limit = settings.limit ?? null;
    this.limit?.members.add(this);
    this.backlog = settings.backlog ?? (this.maxconn > 0 ? this.maxconn : DEFAULT_BACKLOG);
    this.reusePort = settings.reusePort ?? true;
    this.ipv6Only = settings.ipv6Only ?? systemV6Only();
    this.mode = settings.mode ?? -1;
    this.user = settings.user ?? -1;
    this.group = settings.group ?? -1;
    this.proxy = settings.proxy ?? '';
    this.source = settings.source ?? null;
    this.onAccept = settings.onAccept;
    this.drainPending = settings.drainPending ?? null;
    this.rates = settings.rates !== undefined && settings.rates.length > 0 ? settings.rates : null;
    this.state = 'new';
    this.currentConns = 0;
    this.totalConns = 0;
    this.droppedConns = 0;
    this.acceptErrors = 0;
    this.lastAcceptError = null;
    this.generation = 0;
    this.inheritedFd = this.family === 'fd' ? Number(this.host) : -1;
    this.server = null;
    this.held = [];
    this.opening = null;
  }

  /** Connections taken from the kernel and waiting to be handed to `onAccept`. */
  get heldConns(): number {
    return this.held.length;
  }

  /** The descriptors of the held connections (a daemon parent hands them to its worker). */
  get heldFds(): number[] {
    const fds: number[] = [];
    for (const socket of this.held) {
      const fd = handleFd(socket);
      if (fd >= 0 && !socket.destroyed) fds.push(fd);
    }
    return fds;
  }

  /** The listening socket's file descriptor, -1 when there is none. */
  get fd(): number {
    return this.server === null ? -1 : handleFd(this.server);
  }

  /**
   * new → bound: create, bind and listen. Resolves with null on success (also when the
   * listener was already bound), or the error; a failed listener stays `new` and may be
   * bound again (the start-up retry loop does). Never rejects.
   */
  bind(): Promise<Settled> {
    if (this.state === 'stopped') return Promise.resolve(stoppedError(this));
    if (this.state !== 'new') return Promise.resolve(null);
    return this.openOnce().then((err) => {
      if (err === null && this.state === 'new') this.state = 'bound';
      return err;
    });
  }

  /** bound → ready (or full): start handing connections to `onAccept`. No-op otherwise. */
  enable(): void {
    if (this.state !== 'bound') return;
    this.state = this.hasRoom() ? 'ready' : 'full';
    this.drain();
  }

  /**
   * bound/ready/full/limited → paused: stop accepting and release the port (see the state
   * drawing for UNIX path and fd@ sockets). Connections already open go on. No-op in
   * other states.
   */
  pause(): void {
    const s = this.state;
    if (s !== 'bound' && s !== 'ready' && s !== 'full' && s !== 'limited') return;
    if (this.family === 'ipv4' || this.family === 'ipv6' || this.family === 'abns') this.close();
    this.state = 'paused';
  }

  /**
   * paused → ready (or full): bind again when the socket was released. Resolves with
   * null, or the error (the listener stays paused). No-op (null) in other states.
   */
  async resume(): Promise<Settled> {
    if (this.state !== 'paused') return null;
    if (this.server === null) {
      const err = await this.openOnce();
      if (err !== null) return err;
      if (this.state !== 'paused') return this.state === 'stopped' ? stoppedError(this) : null;
    }
    this.state = this.hasRoom() ? 'ready' : 'full';
    this.drain();
    return null;
  }

  /**
   * any → stopped: close the listening socket and reset the connections still held.
   * Connections handed to `onAccept` are left to finish. Idempotent.
   */
  /**
   * → stopped. `handOver`: another process keeps serving this socket (daemon mode, the
   * worker inherited it), so this copy closes without taking the queued connections.
   */
  unbind(handOver = false): void {
    if (this.state === 'stopped') return;
    this.close(!handOver);
    for (const socket of this.held.splice(0)) socket.destroy();
    this.state = 'stopped';
    if (this.rates !== null) for (const r of this.rates) r.forget(this);
  }

  /** @internal A connection came from the kernel. */
  incoming(socket: net.Socket): void {
    if (this.state === 'ready' && this.held.length === 0 && (this.rates === null || this.underRates()))
      deliver(this, socket);
    else if (this.held.length < this.backlog) this.held.push(socket);
    else {
      this.droppedConns++;
      socket.destroy();
    }
  }

  /** @internal A connection handed to `onAccept` closed. */
  connectionClosed(): void {
    this.currentConns--;
    const limit = this.limit;
    if (limit === null) {
      this.refill();
      return;
    }
    const wasReached = limit.reached;
    limit.current--;
    if (!wasReached) this.refill();
    // the global limit has room again: every listener it held may take connections
    else for (const l of limit.members) l.refill();
  }

  /**
   * Changes this listener's maxconn at run time (`set maxconn frontend`): lowered, new
   * accepts are held once it is reached; raised, held connections go through at once.
   */
  setMaxconn(maxconn: number): void {
    this.maxconn = maxconn;
    this.limitChanged();
  }

  /** The global limit this listener shares, if any. */
  get sharedLimit(): ConnectionLimit | null {
    return this.limit;
  }

  /** @internal A limit changed: ready ↔ full as the room says, then hand over what was held. */
  limitChanged(): void {
    if (this.state === 'ready' && !this.hasRoom()) this.state = 'full';
    else this.refill();
  }

  /** @internal A rate limit that held this listener has room again (or changed). */
  rateAllows(): void {
    if (this.state !== 'limited') return;
    this.state = this.hasRoom() ? 'ready' : 'full';
    this.drain();
  }

  /** Whether every rate has room for one more connection; ready → limited when one has not. */
  private underRates(): boolean {
    const now = nowMs();
    for (const r of this.rates!) {
      if (!r.allows(now)) {
        this.state = 'limited';
        r.hold(this, now);
        return false;
      }
    }
    return true;
  }

  /** full → ready when there is room, then hand over what was held. */
  private refill(): void {
    if (this.state === 'full' && this.hasRoom()) this.state = 'ready';
    this.drain();
  }

  /** @internal Counts a delivered connection; ready → full at maxconn. */
  counted(): void {
    this.currentConns++;
    this.totalConns++;
    const limit = this.limit;
    if (limit !== null) {
      limit.current++;
      if (limit.reached) {
        for (const l of limit.members) if (l.state === 'ready') l.state = 'full';
        return;
      }
    }
    if (this.state === 'ready' && !this.hasRoom()) this.state = 'full';
  }

  private hasRoom(): boolean {
    return (this.maxconn <= 0 || this.currentConns < this.maxconn) && !(this.limit?.reached ?? false);
  }

  private drain(): void {
    while (this.state === 'ready' && this.held.length > 0) {
      if (this.rates !== null && !this.underRates()) return;
      const socket = this.held.shift()!;
      if (socket.destroyed) continue;
      deliver(this, socket);
    }
  }

  /** Closes the listening socket (the port is free when this returns). */
  private close(drain = true): void {
    this.generation++;
    const server = this.server;
    this.server = null;
    if (server === null) return;
    // closing a listening socket resets what the kernel still queues on it: take those first
    if (drain && this.drainPending !== null && (this.family === 'ipv4' || this.family === 'ipv6')) {
      const fd = handleFd(server);
      if (fd >= 0) {
        for (const cfd of this.drainPending(fd)) this.incoming(socketOfFd(cfd));
      }
    }
    server.close();
  }

  /** One open() at a time: a second caller waits for the first one's outcome. */
  private openOnce(): Promise<Settled> {
    if (this.opening === null) {
      this.opening = this.open().then((err) => {
        this.opening = null;
        return err;
      });
    }
    return this.opening;
  }

  /** Opens the listening socket for the current address; sets `server` on success. */
  private async open(): Promise<Settled> {
    const gen = ++this.generation;
    if (this.inheritedFd >= 0) return this.openFd(gen, this.inheritedFd);
    switch (this.family) {
      case 'ipv4':
      case 'ipv6':
        return this.openInet(gen);
      case 'abns':
        return this.openAbns(gen);
      case 'unix':
        return this.openUnix(gen);
      case 'fd':
        return new ListenerError(
          'HAP_ERR_FD_ADOPT',
          `cannot adopt file descriptor (it was closed) [fd ${this.host}]`,
          'EBADF',
        );
    }
  }

  private async openInet(gen: number): Promise<Settled> {
    const host = this.host === '' ? (this.family === 'ipv4' ? '0.0.0.0' : '::') : this.host;
    const options: net.ListenOptions = {
      host,
      port: this.port,
      backlog: this.backlog,
      exclusive: true,
      reusePort: this.reusePort,
    };
    if (this.family === 'ipv6') options.ipv6Only = this.ipv6Only;
    const server = new ListenerServer(this, gen);
    const err = await listen(server, options);
    if (err !== null) {
      const errno = errnoOf(err);
      return new ListenerError(
        errno === 'EADDRINUSE' ? 'HAP_ERR_BIND_ADDRINUSE' : 'HAP_ERR_BIND',
        `cannot bind socket (${strerror(err)}) for [${host}:${this.port}]`,
        errno,
        true,
      );
    }
    if (this.port === 0) {
      const addr = server.address();
      if (addr !== null && typeof addr === 'object') {
        this.port = addr.port;
        this.key = addressKey(this);
      }
    }
    return this.adopt(gen, server);
  }

  private async openAbns(gen: number): Promise<Settled> {
    const server = new ListenerServer(this, gen);
    const err = await listen(server, { path: `\0${this.host}`, backlog: this.backlog, exclusive: true });
    if (err !== null) return unixBindError(err, this.key);
    return this.adopt(gen, server);
  }

  /**
   * HAProxy's way: bind `<path>.<pid>.tmp`, set owner and mode, then rename it over
   * `<path>`: a socket already there (stale, or an old process's) is replaced at once,
   * and the path never exists with the wrong permissions.
   */
  private async openUnix(gen: number): Promise<Settled> {
    const path = this.host;
    const temp = `${path}.${process.pid}.tmp`;
    if (Buffer.byteLength(temp) >= SUN_PATH_MAX) {
      return new ListenerError(
        'HAP_ERR_UNIX_PATH',
        `name too long for UNIX socket (limit usually 97) [${path}]`,
        'ENAMETOOLONG',
      );
    }
    for (const name of [path, temp]) {
      const err = await ensureSocketOrAbsent(name);
      if (err !== null) return pathError(`cannot bind UNIX socket (${err})`, path);
    }
    if (gen !== this.generation) return stoppedError(this);
    try {
      await unlink(temp);
    } catch (err) {
      if (errnoOf(err) !== 'ENOENT') {
        return pathError(`error when trying to unlink previous UNIX socket (${strerror(err)})`, path);
      }
    }
    const server = new ListenerServer(this, gen);
    const err = await listen(server, { path: temp, backlog: this.backlog, exclusive: true });
    if (err !== null) return unixBindError(err, path);
    // From here on, a failure closes the server, which also unlinks `temp` (libuv does).
    const owner = await this.setOwnership(temp);
    if (owner !== null) {
      server.close();
      return owner;
    }
    if (gen !== this.generation) {
      server.close();
      return stoppedError(this);
    }
    try {
      await rename(temp, path);
    } catch (e) {
      server.close();
      return pathError(`cannot switch final and temporary UNIX sockets (${strerror(e)})`, path);
    }
    return this.adopt(gen, server);
  }

  private async setOwnership(file: string): Promise<Settled> {
    const fail = (why: string, errno: string) =>
      new ListenerError(
        'HAP_ERR_UNIX_OWNERSHIP',
        `cannot change UNIX socket ownership (${why}) [${this.host}]`,
        errno,
      );
    const uid = typeof this.user === 'number' ? this.user : await userId(this.user);
    if (uid < 0 && typeof this.user === 'string') return fail(`unknown user '${this.user}'`, '');
    const gid = typeof this.group === 'number' ? this.group : await groupId(this.group);
    if (gid < 0 && typeof this.group === 'string') return fail(`unknown group '${this.group}'`, '');
    try {
      if (uid !== -1 || gid !== -1) await setOwner(file, uid, gid);
      if (this.mode > 0) await setMode(file, this.mode);
    } catch (err) {
      return fail(strerror(err), errnoOf(err));
    }
    return null;
  }

  private async openFd(gen: number, fd: number): Promise<Settled> {
    const server = new ListenerServer(this, gen);
    const err = await listen(server, { fd, backlog: this.backlog, exclusive: true });
    if (err !== null) {
      return new ListenerError(
        'HAP_ERR_FD_ADOPT',
        `cannot adopt file descriptor (${strerror(err)}) [fd ${fd}]`,
        errnoOf(err),
      );
    }
    // The descriptor now belongs to the server: a later bind (after a pause) starts afresh.
    if (this.family !== 'fd') this.inheritedFd = -1;
    return this.adopt(gen, server);
  }

  /** Keeps `server` if it is still current; closes it otherwise. */
  private adopt(gen: number, server: ListenerServer): Settled {
    if (gen !== this.generation || this.state === 'stopped') {
      server.close();
      return stoppedError(this);
    }
    server.on('error', onServerError);
    this.server = server;
    return null;
  }
}

/** The descriptor under a Node socket or server (libuv's, not public API), -1 when none. */
function handleFd(x: net.Socket | net.Server): number {
  const fd = (x as unknown as { _handle?: { fd?: unknown } | null })._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : -1;
}

/** An accepted connection known by its descriptor (taken from the kernel queue, or inherited). */
export function socketOfFd(fd: number): net.Socket {
  return new net.Socket({ fd, readable: true, writable: true, allowHalfOpen: true });
}

/** Hands a connection to the listener's handler, counting it. */
function deliver(listener: Listener, socket: net.Socket): void {
  listener.counted();
  socket.on('close', onSocketClose);
  // Undo pauseOnConnect: the handler gets the socket as Node would give it (reading,
  // flowing as soon as it listens to 'data' or pipes).
  (socket as { readableFlowing: boolean | null }).readableFlowing = null;
  socket.read(0);
  const rates = listener.rates;
  if (rates === null) {
    listener.onAccept(socket, listener);
    return;
  }
  const now = nowMs();
  for (const r of rates) if (r.counts === 'connection') r.count(now);
  if (listener.onAccept(socket, listener) === false) return;
  for (const r of rates) if (r.counts === 'session') r.count(now);
}

/** server.listen() as a promise of its error (null once listening). */
function listen(
  server: net.Server,
  options: net.ListenOptions | { fd: number; backlog: number; exclusive: boolean },
): Promise<Error | null> {
  return new Promise((resolve) => {
    const onError = (err: Error) => {
      server.off('listening', onListening);
      resolve(err);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve(null);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    try {
      server.listen(options);
    } catch (err) {
      server.off('error', onError);
      server.off('listening', onListening);
      resolve(err as Error);
    }
  });
}

/** null when `file` is absent or a socket; else why it is in the way. */
async function ensureSocketOrAbsent(file: string): Promise<string | null> {
  try {
    const st = await lstat(file);
    return st.isSocket() ? null : `'${file}' exists and is not a socket`;
  } catch (err) {
    const errno = errnoOf(err);
    if (errno === 'ENOENT') return null;
    return `cannot check '${file}' (${strerror(err)})`;
  }
}

function pathError(why: string, path: string): ListenerError {
  return new ListenerError('HAP_ERR_UNIX_PATH', `${why} [${path}]`);
}

function unixBindError(err: unknown, where: string): ListenerError {
  const errno = errnoOf(err);
  if (errno === 'EADDRINUSE') {
    return new ListenerError(
      'HAP_ERR_BIND_ADDRINUSE',
      `cannot bind UNIX socket (already in use) [${where}]`,
      errno,
      true,
    );
  }
  return new ListenerError('HAP_ERR_BIND', `cannot bind UNIX socket (${strerror(err)}) [${where}]`, errno);
}

function stoppedError(listener: Listener): ListenerError {
  return new ListenerError('HAP_ERR_LISTENER_STOPPED', `listener was unbound [${listener.key}]`);
}
