/**
 * A server of a backend, and the HTTP connections haproxyd holds to it.
 *
 * Idle connections that may serve any client are kept on the server (`idle`, HAProxy's
 * idle/safe lists); a connection a client session opened stays attached to that session
 * between its requests and joins the server's list when the session ends (unless
 * `http-reuse never`). Idle connections on the server are closed after `IDLE_PURGE_MS`.
 */

import { type NetConnectOpts, connect as netConnect, type Socket } from 'node:net';
import type { ConnectionOptions, TLSSocket } from 'node:tls';
import { ServerCounters } from '@hap/stats/engine';
import { connectionAddresses } from './accept-proxy.ts';
import { encodeProxyV1, encodeProxyV2 } from './proxy-protocol.ts';
import { readBuffer } from './read-buffer.ts';
import { isTlsSocket } from './tls-facts.ts';

export interface ServerTarget {
  name: string;
  host: string;
  port: number;
  /** A unix socket path (abstract names start with NUL): used instead of host and port. */
  path?: string | undefined;
  /** Most requests (HTTP) or connections (TCP) served at once; 0 = no limit. */
  maxconn?: number | undefined;
  /** `send-proxy` (1) / `send-proxy-v2` (2): a PROXY header opens each connection. */
  sendProxy?: 0 | 1 | 2 | undefined;
  /** `cookie <value>`: the persistence cookie value naming this server. */
  cookie?: string | undefined;
  /** `ssl`: connections to the server speak TLS (absent: plain TCP, nothing else is paid). */
  tls?: ServerTlsConnector | undefined;
  /**
   * `proto h2`, or `alpn h2…` on a TLS server: requests travel as HTTP/2 streams (made by
   * `@hap/proxy/h2`, loaded only when a configuration asks for it; absent: HTTP/1.1).
   */
  h2?: ServerH2Connector | undefined;
}

/**
 * How a new server connection may share an HTTP/2 connection with other requests (HAProxy's
 * `http-reuse`): `shared` joins any connection that has room for one more stream, `own` opens
 * a new one that later requests may share (`safe`, a session's first request), `private` opens
 * one that serves this connection's requests only (`never`).
 */
export type H2Share = 'shared' | 'own' | 'private';

/**
 * Makes the connections of an HTTP/2 server. What it returns behaves, for the HTTP/1.1 engine,
 * as a server socket: it takes HTTP/1.1 requests, gives HTTP/1.1 responses through `onRead`,
 * and emits 'connect', 'drain', 'timeout' and 'close' as a socket does; each request is one
 * stream of a multiplexed connection (see h2-server.ts).
 */
export interface ServerH2Connector {
  open(
    t: ServerTarget,
    onRead: (this: Socket, nread: number, buf: Buffer) => boolean | undefined,
    client: Socket | undefined,
    share: H2Share,
  ): Socket;
}

/** What a TLS server needs at each connection (made once per server, e.g. by @hap/ssl). */
export interface ServerTlsConnector {
  /** `sni ssl_fc_sni`: the client's own server name is sent on. */
  readonly forwardClientSni: boolean;
  /** Options for `tls.connect()`; `clientSni` is the client's server name, if any. */
  connectOptions(clientSni: string | undefined): ConnectionOptions;
  /** Node's `tls.connect()`, given by the TLS module (the engine does not load node:tls itself). */
  connect(options: ConnectionOptions): Socket;
}

/**
 * Opens a connection to a server: plain TCP, or TLS when the server has `ssl` (the server's
 * bytes still arrive through `onRead` in the shared read buffer). The socket is ready for
 * bytes at the event `readyEvent(t)` names.
 */
export function openServerSocket(
  t: ServerTarget,
  allowHalfOpen: boolean,
  onRead: (this: Socket, nread: number, buf: Buffer) => boolean | undefined,
  client: Socket | undefined,
  share: H2Share = 'own',
): Socket {
  if (t.h2 !== undefined) return t.h2.open(t, onRead, client, share);
  const o = connectOptions(t, allowHalfOpen, onRead);
  const tls = t.tls;
  if (tls === undefined) return netConnect(o);
  const sni = tls.forwardClientSni ? clientServerName(client) : undefined;
  return tls.connect({ ...(o as ConnectionOptions), ...tls.connectOptions(sni) });
}

/** The server name a TLS client sent (SNI); undefined for a plain socket or no name. */
export function clientServerName(client: Socket | undefined): string | undefined {
  if (client === undefined || !isTlsSocket(client)) return undefined;
  return (client as TLSSocket & { servername?: string | false }).servername || undefined;
}

/** 'connect' for plain servers; over TLS the connection is usable once its handshake is done. */
export function readyEvent(t: ServerTarget): 'connect' | 'secureConnect' {
  return t.tls === undefined || t.h2 !== undefined ? 'connect' : 'secureConnect';
}

/** The PROXY header announcing `client`'s addresses to a `send-proxy` server. */
export function proxyHeaderFor(t: ServerTarget, client: Socket): Buffer {
  const a = connectionAddresses(client);
  return t.sendProxy === 2 ? encodeProxyV2(a) : encodeProxyV1(a);
}

/** Options for net.connect() to a server. */
export function connectOptions(
  t: ServerTarget,
  allowHalfOpen: boolean,
  onRead: (this: Socket, nread: number, buf: Buffer) => boolean | undefined,
): NetConnectOpts {
  const onread = { buffer: readBuffer, callback: onRead as (n: number, b: Uint8Array) => boolean };
  return t.path !== undefined
    ? { path: t.path, allowHalfOpen, onread }
    : { host: t.host, port: t.port, allowHalfOpen, onread };
}

/** How long an unused connection stays on a server's idle list (HAProxy's pool-purge-delay). */
export const IDLE_PURGE_MS = 5000;
/**
 * Most idle connections kept per server. Under `http-reuse safe` a new client's first request
 * never takes one, so clients that close after one request would otherwise pile them up.
 */
export const IDLE_MAX = 256;

export class Server implements ServerTarget {
  readonly name: string;
  /**
   * Address to connect to; a host name is replaced by its address at start (resolveServers).
   * `set server … addr` changes it and `port` through setAddress().
   */
  host: string;
  port: number;
  /**
   * Counts the address changes (setAddress): a connection opened before the last change goes
   * to the old address and is not taken for a new request.
   */
  addrGen: number;
  readonly path: string | undefined;
  /** Set when the name could not be resolved and -dr let the start go on: never chosen. */
  unresolved: boolean;
  /** Most requests at once (0: no limit); `set maxconn server` changes it through the backend. */
  maxconn: number;
  readonly sendProxy: 0 | 1 | 2;
  /**
   * The persistence cookie value naming this server: its `cookie <value>`, else its dynamic
   * cookie when the backend has `cookie ... dynamic` (set by setDynamicCookies); undefined
   * without one.
   */
  cookie: string | undefined;
  /** The server line gave `cookie <value>`: a dynamic cookie never replaces it. */
  readonly fixedCookie: boolean;
  readonly tls: ServerTlsConnector | undefined;
  readonly h2: ServerH2Connector | undefined;
  /** Requests (HTTP) or streams (TCP) this server is serving now, counted against maxconn. */
  served: number;
  /** Idle HTTP connections any session may take (most recently used last). */
  readonly idle: IdleConnection[];
  /** Connections currently open to this server (busy or idle). */
  currentConns: number;
  totalConns: number;
  /** `show stat` counters of the server. */
  readonly counters: ServerCounters;

  constructor(t: ServerTarget) {
    this.name = t.name;
    this.host = t.host;
    this.port = t.port;
    this.addrGen = 0;
    this.path = t.path;
    this.unresolved = false;
    this.maxconn = t.maxconn ?? 0;
    this.sendProxy = t.sendProxy ?? 0;
    this.cookie = t.cookie;
    this.fixedCookie = t.cookie !== undefined;
    this.tls = t.tls;
    this.h2 = t.h2;
    this.served = 0;
    this.idle = [];
    this.currentConns = 0;
    this.totalConns = 0;
    this.counters = new ServerCounters();
  }

  /**
   * The runtime API's `set server … addr`: new connections go to `host`:`port`; the idle
   * connections kept for reuse (to the old address) are closed, and a busy one is not
   * taken again once its request is done (see addrGen). Streams in progress go on.
   */
  setAddress(host: string, port: number): void {
    this.host = host;
    this.port = port;
    this.addrGen++;
    for (const c of this.idle.splice(0)) {
      c.idleIndex = -1;
      c.socket.destroy();
    }
  }

  /** Whether maxconn allows one more request now. */
  get full(): boolean {
    return this.unresolved || (this.maxconn > 0 && this.served >= this.maxconn);
  }

  /** Takes the most recently used idle connection, or undefined. */
  takeIdle(): IdleConnection | undefined {
    const c = this.idle.pop();
    if (c !== undefined) {
      c.idleIndex = -1;
      c.socket.setTimeout(0);
    }
    return c;
  }

  /** Puts a connection on the idle list (closed if unused for IDLE_PURGE_MS); false when the list is full. */
  putIdle(c: IdleConnection): boolean {
    if (this.idle.length >= IDLE_MAX) return false;
    c.idleIndex = this.idle.length;
    this.idle.push(c);
    c.socket.setTimeout(IDLE_PURGE_MS);
    return true;
  }

  /** Removes a connection from the idle list (it closed or timed out), in constant time. */
  dropIdle(c: IdleConnection): void {
    const i = c.idleIndex;
    if (i < 0 || this.idle[i] !== c) return;
    const last = this.idle.pop()!;
    if (last !== c) {
      this.idle[i] = last;
      last.idleIndex = i;
    }
    c.idleIndex = -1;
  }
}

/** What the server keeps of an idle connection. */
export interface IdleConnection {
  readonly socket: Socket;
  /** Position on the server's idle list, -1 when not on it. */
  idleIndex: number;
}
