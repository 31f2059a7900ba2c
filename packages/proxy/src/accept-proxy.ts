/**
 * `bind … accept-proxy`: a connection starts with a PROXY protocol header (v1 or v2)
 * giving the real client and destination addresses. The header is read before the
 * connection is handed to its frontend; the bytes after it are put back into the socket
 * (unshift) so the frontend reads them first. As HAProxy 2.6: anything that is not a
 * header resets the connection at once, and a client that sends nothing is closed at
 * `timeout client`.
 */

import type { Socket } from 'node:net';
import type { ListenerView } from '@hap/sample';
import { type ProxyErrorCode, type ProxyHeader, ProxyHeaderReader } from './proxy-protocol.ts';

/** The addresses a connection is known by (the PROXY header's, or the socket's own). */
export interface ConnectionAddresses {
  src: string;
  srcPort: number;
  dst: string;
  dstPort: number;
}

const ADDRESSES = Symbol('hap.connection-addresses');
const LISTENER = Symbol('hap.listener');

interface AddressedSocket extends Socket {
  [ADDRESSES]?: ConnectionAddresses;
  [LISTENER]?: ListenerView;
}

function plainIp(a: string | undefined): string {
  const ip = a ?? '';
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}

/** The client and destination addresses of an accepted connection, PROXY header first. */
export function connectionAddresses(s: Socket): ConnectionAddresses {
  const known = (s as AddressedSocket)[ADDRESSES];
  if (known !== undefined) return known;
  return {
    src: plainIp(s.remoteAddress),
    srcPort: s.remotePort ?? 0,
    dst: plainIp(s.localAddress),
    dstPort: s.localPort ?? 0,
  };
}

/**
 * A connection that failed before its header was read: `reason` in haproxyd's words, `code`
 * for HAProxy's log text, `acceptedAt` the accept date (ms since the epoch).
 */
export type ProxyHeaderFailure = (
  socket: Socket,
  reason: string,
  code: ProxyErrorCode,
  acceptedAt: number,
) => void;

/** A socket wrapping `from` (TLS) answers with the addresses a PROXY header gave `from`. */
export function carryAddresses(from: Socket, to: Socket): void {
  const known = (from as AddressedSocket)[ADDRESSES];
  if (known !== undefined) (to as AddressedSocket)[ADDRESSES] = known;
  const l = (from as AddressedSocket)[LISTENER];
  if (l !== undefined) (to as AddressedSocket)[LISTENER] = l;
}

/**
 * The listening socket that accepted `s`, for `so_id`, `so_name` and `dst_conn`: marked by the
 * application when a rule reads it (otherwise no socket carries it).
 */
export function markListener(s: Socket, l: ListenerView): void {
  (s as AddressedSocket)[LISTENER] = l;
}

export function listenerOf(s: Socket): ListenerView | undefined {
  return (s as AddressedSocket)[LISTENER];
}

interface PendingProxy {
  reader: ProxyHeaderReader;
  timer: NodeJS.Timeout | undefined;
  ready: (socket: Socket) => void;
  onFailure: ProxyHeaderFailure | undefined;
  /** The accept date, kept only when someone listens to failures. */
  acceptedAt: number;
}

const PENDING = Symbol('hap.pending-proxy');

interface PendingSocket extends Socket {
  [PENDING]?: PendingProxy | undefined;
}

function settle(s: PendingSocket): PendingProxy | undefined {
  const p = s[PENDING];
  if (p === undefined) return undefined;
  s[PENDING] = undefined;
  if (p.timer !== undefined) clearTimeout(p.timer);
  s.off('data', onHeaderData);
  s.off('end', onHeaderEnd);
  s.off('close', onHeaderClose);
  return p;
}

function fail(s: PendingSocket, reason: string, code: ProxyErrorCode, reset: boolean): void {
  const p = settle(s);
  // told before the socket goes: its addresses are still readable
  p?.onFailure?.(s, reason, code, p.acceptedAt);
  if (reset) s.resetAndDestroy();
  else s.destroy();
}

function onHeaderData(this: PendingSocket, chunk: Buffer): void {
  const p = this[PENDING];
  if (p === undefined) return;
  const r = p.reader.push(chunk);
  if (r.status === 'more') return;
  if (r.status === 'error') {
    fail(this, r.error.message, r.error.code, true);
    return;
  }
  settle(this);
  this.pause();
  adopt(this, r.header);
  if (r.used < chunk.length) this.unshift(chunk.subarray(r.used));
  p.ready(this);
}

function onHeaderEnd(this: PendingSocket): void {
  const p = this[PENDING];
  if (p) {
    const e = p.reader.end();
    fail(this, e.message, e.code, false);
  }
}

function onHeaderClose(this: PendingSocket): void {
  if (this[PENDING])
    fail(this, 'connection closed while waiting for the PROXY header', 'HAP_ERR_PROXY_ABORT', false);
}

/** LOCAL and UNKNOWN headers keep the connection's own addresses. */
function adopt(s: Socket, h: ProxyHeader): void {
  if (h.command !== 'PROXY' || h.src === null || h.dst === null) return;
  if (h.family !== 'TCP4' && h.family !== 'TCP6') return;
  (s as AddressedSocket)[ADDRESSES] = {
    src: plainIp(h.src),
    srcPort: h.srcPort,
    dst: plainIp(h.dst),
    dstPort: h.dstPort,
  };
}

/**
 * Reads the PROXY header of a new connection, then calls `ready(socket)`; the socket is
 * paused, with the bytes after the header still to be read. `timeoutMs` 0 waits forever.
 */
export function readProxyHeader(
  socket: Socket,
  timeoutMs: number,
  ready: (socket: Socket) => void,
  onFailure?: ProxyHeaderFailure,
): void {
  const s = socket as PendingSocket;
  const pending: PendingProxy = {
    reader: new ProxyHeaderReader(),
    timer: undefined,
    ready,
    onFailure,
    acceptedAt: onFailure !== undefined ? Date.now() : 0,
  };
  // read once now: Node keeps the addresses, so a connection reset later is still named
  if (onFailure !== undefined) connectionAddresses(s);
  s[PENDING] = pending;
  if (timeoutMs > 0) {
    pending.timer = setTimeout(
      () => fail(s, 'timeout while waiting for the PROXY header', 'HAP_ERR_PROXY_TIMEOUT', false),
      timeoutMs,
    );
  }
  s.on('data', onHeaderData);
  s.on('end', onHeaderEnd);
  s.on('close', onHeaderClose);
  s.on('error', noop);
  s.resume();
}

function noop(): void {}
