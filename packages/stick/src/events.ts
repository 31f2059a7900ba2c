// What the proxy calls, and when, so that the counters move as in HAProxy 2.6. Each
// helper changes only the data types the table stores, and refreshes the entry when
// HAProxy does (every change except the session count).
import type { StickDataType } from './datatypes.ts';
import type { StickKeyInput } from './keys.ts';
import type { StickEntry, StickTable } from './table.ts';

/** Adds to a counter and its rate; true when either is stored. */
function bump(e: StickEntry, cnt: StickDataType, rate: StickDataType, n: number): boolean {
  const a = e.add(cnt as Exclude<StickDataType, 'server_key'>, n);
  const b = e.add(rate as Exclude<StickDataType, 'server_key'>, n);
  return a !== undefined || b !== undefined;
}

/**
 * A new connection counted on a tracked entry: conn_cur, conn_cnt, conn_rate, then a
 * refresh. StickTable.track() does this together with taking the reference; call this
 * alone only when managing references elsewhere (conn_cur must then be balanced by
 * release()).
 */
export function updateOnConnection(e: StickEntry): void {
  e.add('conn_cur');
  e.add('conn_cnt');
  e.add('conn_rate');
  e.table.touch(e);
}

/**
 * The session was accepted (after the `tcp-request session` rules): sess_cnt and
 * sess_rate of the entries tracked by `tcp-request connection|session track-sc*`.
 * HAProxy does not refresh the entry here.
 */
export function updateOnSession(e: StickEntry): void {
  e.add('sess_cnt');
  e.add('sess_rate');
}

/** An HTTP request was received (valid or not): http_req_cnt, http_req_rate. */
export function updateOnHttpRequest(e: StickEntry): void {
  if (bump(e, 'http_req_cnt', 'http_req_rate', 1)) e.table.touch(e);
}

/**
 * A request error caused by the client: http_err_cnt, http_err_rate. HAProxy counts a
 * request that fails to parse, a denial or tarpit, a failed authentication, and a 4xx
 * answered by the server (not a 4xx that HAProxy itself returns).
 */
export function updateOnHttpError(e: StickEntry): void {
  if (bump(e, 'http_err_cnt', 'http_err_rate', 1)) e.table.touch(e);
}

/** A failure caused by the server: http_fail_cnt, http_fail_rate (invalid, truncated or aborted response, 5xx). */
export function updateOnHttpFailure(e: StickEntry): void {
  if (bump(e, 'http_fail_cnt', 'http_fail_rate', 1)) e.table.touch(e);
}

/** The server's response status: 4xx counts as an error, 5xx but 501 and 505 as a failure. */
export function updateOnHttpResponse(e: StickEntry, status: number): void {
  if (status >= 400 && status < 500) updateOnHttpError(e);
  else if (status >= 500 && status < 600 && status !== 501 && status !== 505) updateOnHttpFailure(e);
}

/**
 * Bytes moved since the last call (HAProxy adds them as the stream progresses and at its
 * end): bytes_in_cnt/rate for client to server, bytes_out_cnt/rate for server to client.
 * HAProxy 2.6 counts an HTTP message by its internal (HTX) size, not its wire size: see
 * the README.
 */
export function updateOnBytes(e: StickEntry, inBytes: number, outBytes: number): void {
  if (inBytes > 0 && bump(e, 'bytes_in_cnt', 'bytes_in_rate', inBytes)) e.table.touch(e);
  if (outBytes > 0 && bump(e, 'bytes_out_cnt', 'bytes_out_rate', outBytes)) e.table.touch(e);
}

/**
 * `http-request track-sc*` (or `http-response` with the response `status`): tracks the key
 * and counts the request being processed, which HAProxy counted before the entry was
 * tracked; on the response side a 4xx/5xx status is counted too. undefined when no entry
 * could be had.
 */
export function trackHttp(table: StickTable, key: StickKeyInput, status?: number): StickEntry | undefined {
  const e = table.track(key);
  if (!e) return undefined;
  let changed = e.add('http_req_cnt') !== undefined;
  changed = e.add('http_req_rate') !== undefined || changed;
  if (status !== undefined && status >= 400 && status < 500)
    changed = bump(e, 'http_err_cnt', 'http_err_rate', 1) || changed;
  if (status !== undefined && status >= 500 && status < 600 && status !== 501 && status !== 505)
    changed = bump(e, 'http_fail_cnt', 'http_fail_rate', 1) || changed;
  if (changed) table.touch(e);
  return e;
}

/**
 * `stick match` / `stick on` (matching part): the server stored for `key`, refreshing the
 * entry. The proxy looks `serverKey` up first (by name or address, per srvkey) and falls
 * back to `serverId`.
 */
export function stickMatch(
  table: StickTable,
  key: StickKeyInput,
): { serverId: number; serverKey: string | undefined } | undefined {
  const e = table.lookup(key);
  if (!e) return undefined;
  table.touch(e);
  return { serverId: e.get('server_id') ?? 0, serverKey: e.serverKey };
}

/**
 * `stick store-request` / `store-response` / `stick on` (storing part), once the server is
 * known: records its id and key (name or address per the table's srvkey) and refreshes
 * the entry. Use a spec passed through withStickRules(). undefined when no entry could be had.
 */
export function stickStore(
  table: StickTable,
  key: StickKeyInput,
  serverId: number,
  serverKey?: string,
): StickEntry | undefined {
  const e = table.getOrCreate(key);
  if (!e) return undefined;
  e.set('server_id', serverId);
  if (serverKey !== undefined) e.serverKey = serverKey;
  table.touch(e);
  return e;
}
