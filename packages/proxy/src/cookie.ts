/**
 * Cookie persistence (`cookie` in a backend, server `cookie <value>`), as HAProxy 2.6 does it:
 *
 *   request  ── Cookie: NAME=<server value>[|<last seen>[|<first seen>]]   (insert, rewrite, passive)
 *            ── Cookie: NAME=<server value>~<application value>            (prefix)
 *      the first running server whose value matches takes the request (a stopped one only with
 *      `option persist` or `force-persist`); `indirect` + `insert` removes the cookie before
 *      forwarding, `prefix` strips the server part.
 *   response ── the server's own Set-Cookie NAME is removed (insert, or indirect on a direct
 *      request), rewritten (rewrite) or prefixed (prefix), unless `preserve`; then, in insert
 *      mode, `Set-Cookie: NAME=<value>[|dates]; path=/[; domain=..][; HttpOnly][; Secure][; attr]`
 *      is added when the client did not come with a valid cookie (or its dates need refreshing),
 *      with `Cache-control: private` when `nocache` and the response is cacheable.
 *
 * The functions here work on a message's flat header list ([name, value, name, value, ...]);
 * the per-transaction facts live in a CookieTxn the session keeps and resets per request.
 */

import type { ClientCookieState, ServerCookieState } from '@hap/log';
import type { SampleEnv } from '@hap/sample';
import { ipAddressBytes } from './proxy-protocol.ts';
import type { Server } from './server.ts';
import { xxh64 } from './xxh64.ts';

/** A backend's `cookie` line. */
export interface CookieSpec {
  readonly name: string;
  readonly rewrite: boolean;
  readonly insert: boolean;
  readonly prefix: boolean;
  readonly indirect: boolean;
  readonly nocache: boolean;
  readonly postonly: boolean;
  readonly preserve: boolean;
  readonly httponly: boolean;
  readonly secure: boolean;
  readonly domains: readonly string[];
  /** Seconds; 0 = not set. */
  readonly maxidle: number;
  readonly maxlife: number;
  readonly attrs: readonly string[];
}

/** What `force-persist` / `ignore-persist` decide for a request. */
export const PERSIST_NONE = 0;
export const PERSIST_FORCE = 1;
export const PERSIST_IGNORE = 2;

/** The cookie persistence of a backend (built once by the application). */
export class CookiePersistence {
  readonly spec: CookieSpec;
  /** `option persist`: a cookie naming a stopped server still sends the request there. */
  readonly persistDown: boolean;
  /** Whether %tsc shows the cookie letters (a mode or `indirect` is set, as HAProxy). */
  readonly logged: boolean;
  /** The attributes written after `path=/` (domains, HttpOnly, Secure, attr values). */
  readonly attributes: string;
  /**
   * `force-persist` / `ignore-persist` rules (the first matching one decides); evaluated with
   * the stream's sample env. Undefined when the backend has none.
   */
  persistRules: ((env: SampleEnv) => number) | undefined;
  /**
   * `cookie ... dynamic`: servers without their own `cookie` value get one derived from
   * `dynamicKey` (see setDynamicCookies). The runtime API turns it on and off.
   */
  dynamic: boolean;
  /** `dynamic-cookie-key`, as bytes; undefined when none is set. */
  dynamicKey: Uint8Array | undefined;

  constructor(spec: CookieSpec, persistDown: boolean) {
    this.spec = spec;
    this.persistDown = persistDown;
    this.logged = spec.rewrite || spec.insert || spec.prefix || spec.indirect;
    let a = '';
    for (const d of spec.domains) a += `; domain=${d}`;
    if (spec.httponly) a += '; HttpOnly';
    if (spec.secure) a += '; Secure';
    if (spec.attrs.length > 0) a += `; ${spec.attrs.join('; ')}`;
    this.attributes = a;
    this.persistRules = undefined;
    this.dynamic = false;
    this.dynamicKey = undefined;
  }
}

// --- dynamic cookies ------------------------------------------------------------------------

/** What dynamic cookies need of a server (a Server has it; a configuration check makes its own). */
export interface DynamicCookieServer {
  cookie: string | undefined;
  /** The server line gave `cookie <value>`: that value is never replaced. */
  readonly fixedCookie: boolean;
  readonly host: string;
  readonly port: number;
}

const dynScratch = { buf: new Uint8Array(64) };

/**
 * The dynamic cookie of a server at `host`:`port` (HAProxy 2.6's derivation): XXH64, seed 0,
 * of the key's bytes, then the address in network order (4 or 16 bytes), then the port as
 * 4 bytes big-endian; written as 16 lowercase hex digits. Undefined when `host` is not an IP
 * address (a UNIX socket, a name not resolved yet).
 */
export function dynamicCookie(key: Uint8Array, host: string, port: number): string | undefined {
  const addr = ipAddressBytes(host);
  if (addr === null) return undefined;
  const len = key.length + addr.length + 4;
  if (dynScratch.buf.length < len) dynScratch.buf = new Uint8Array(len);
  const b = dynScratch.buf;
  b.set(key, 0);
  b.set(addr, key.length);
  new DataView(b.buffer).setUint32(key.length + addr.length, port >>> 0, false);
  return xxh64(b.subarray(0, len)).toString(16).padStart(16, '0');
}

/**
 * Gives each server without its own value, in order, its dynamic cookie for `key` (nothing
 * changes without a key, or for a server whose address is not an IP). Returns how many times
 * a new value equals one another server holds, servers in maintenance (`inMaint(i)`) left
 * out on both sides: HAProxy warns once for each.
 */
export function setDynamicCookies(
  key: Uint8Array | undefined,
  servers: readonly DynamicCookieServer[],
  inMaint: (index: number) => boolean,
): number {
  if (key === undefined) return 0;
  let clashes = 0;
  for (let i = 0; i < servers.length; i++) {
    const s = servers[i]!;
    if (s.fixedCookie) continue;
    const v = dynamicCookie(key, s.host, s.port);
    if (v === undefined) continue;
    s.cookie = v;
    if (inMaint(i)) continue;
    for (let j = 0; j < servers.length; j++)
      if (j !== i && !inMaint(j) && servers[j]!.cookie === v) clashes++;
  }
  return clashes;
}

/** Takes the dynamic cookies back (`disable dynamic-cookie backend`): only fixed values stay. */
export function clearDynamicCookies(servers: readonly DynamicCookieServer[]): void {
  for (const s of servers) if (!s.fixedCookie) s.cookie = undefined;
}

/** The cookie facts of the current transaction (one object per session, reset per request). */
export class CookieTxn {
  client: ClientCookieState;
  server: ServerCookieState;
  /** The server the cookie designates (HAProxy's SF_ASSIGNED from a cookie), or null. */
  assigned: Server | null;
  /** The request went to the server its cookie named (HAProxy's SF_DIRECT). */
  direct: boolean;
  /** Dates read from the cookie, seconds since the epoch (multiples of 4); 0 = none. */
  lastDate: number;
  firstDate: number;
  force: boolean;
  ignore: boolean;

  constructor() {
    this.client = 'none';
    this.server = 'none';
    this.assigned = null;
    this.direct = false;
    this.lastDate = 0;
    this.firstDate = 0;
    this.force = false;
    this.ignore = false;
  }

  reset(): void {
    this.client = 'none';
    this.server = 'none';
    this.assigned = null;
    this.direct = false;
    this.lastDate = 0;
    this.firstDate = 0;
    this.force = false;
    this.ignore = false;
  }
}

// --- the 30-bit date encoding (5 characters of base64, most significant first) --------------

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Five base64 characters for a 30-bit value. */
export function s30ToB64(v: number): string {
  let out = '';
  for (let shift = 24; shift >= 0; shift -= 6) out += B64[(v >>> shift) & 0x3f];
  return out;
}

/** The 30-bit value of five base64 characters at `at`; -1 when one is not base64. */
export function b64ToS30(s: string, at: number): number {
  let v = 0;
  for (let i = 0; i < 5; i++) {
    const d = B64.indexOf(s[at + i] ?? '=');
    if (d < 0) return -1;
    v = v * 64 + d;
  }
  return v;
}

// --- header scanning ------------------------------------------------------------------------

function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t';
}

/** The end of a cookie value starting at `at`: the first ',' or ';' outside double quotes. */
function valueEnd(h: string, at: number, end: number): number {
  let quoted = false;
  let escaped = false;
  for (let i = at; i < end; i++) {
    const c = h[i];
    if (escaped) escaped = false;
    else if (quoted) {
      if (c === '\\') escaped = true;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === ',' || c === ';') return i;
  }
  return end;
}

/**
 * Removes the cookie between `from` (its leading delimiter, or 0) and `next` (the delimiter
 * after it) from header value `h`, keeping one "; " between the neighbours.
 */
function removeValue(h: string, from: number, next: number): { h: string; from: number; delta: number } {
  const end = h.length;
  let prev = from;
  let out: string;
  if (prev === 0) {
    if (next < end) next++;
    while (next < end && isSpace(h[next])) next++;
    out = h.slice(next);
  } else {
    while (prev > 0 && isSpace(h[prev - 1])) prev--;
    let mid = '';
    if (next < end) {
      mid = h[next]!;
      // a blank after the delimiter when the removed part leaves room for it
      if (prev + 1 < next) mid += ' ';
      next++;
      while (next < end && isSpace(h[next])) next++;
    }
    out = h.slice(0, prev) + mid + h.slice(next);
  }
  return { h: out, from: prev, delta: out.length - end };
}

/** The servers a cookie may name, in their configuration order, and whether each is running. */
export interface CookieServers {
  readonly servers: readonly Server[];
  isRunning(server: Server): boolean;
}

/** `capture cookie <name> len <n>`: the first cookie whose "name=value" starts with `name`. */
export interface CookieCapture {
  readonly name: string;
  readonly len: number;
}

/**
 * Request side: what the `Cookie` headers say, and their rewriting before forwarding (blanks
 * around '=' go, as HAProxy does whenever it scans them). `ck` null: only `capture` is done.
 * Returns the captured "name=value" (cut to the capture's length), or undefined.
 */
export function requestCookies(
  headers: string[],
  ck: CookiePersistence | null,
  t: CookieTxn,
  be: CookieServers,
  nowSec: number,
  capture: CookieCapture | null = null,
): string | undefined {
  let captured: string | undefined;
  for (let i = 0; i < headers.length; i += 2) {
    const n = headers[i]!;
    if (n.length !== 6 || n.toLowerCase() !== 'cookie') continue;
    let h = headers[i + 1]!;
    let delFrom = -1;
    let preserve = false;
    let first = true;
    let next = 0;
    for (let prev = 0; prev < h.length; prev = next) {
      let att = first ? prev : prev + 1;
      first = false;
      while (att < h.length && isSpace(h[att])) att++;
      let eq = att;
      let attEnd = att;
      while (eq < h.length) {
        const c = h[eq];
        if (c === '=' || c === ',' || c === ';') break;
        eq++;
        if (!isSpace(c)) attEnd = eq;
      }
      let valBeg: number;
      let valEnd: number;
      if (eq < h.length && h[eq] === '=') {
        valBeg = eq + 1;
        while (valBeg < h.length && isSpace(h[valBeg])) valBeg++;
        next = valueEnd(h, valBeg, h.length);
        valEnd = next;
        while (valEnd > valBeg && isSpace(h[valEnd - 1])) valEnd--;
      } else {
        valBeg = valEnd = next = eq;
      }
      if (h[att] === '$') continue;
      if (eq === next) {
        // no equal sign: not ours, kept; a removal pending before it is done now
        preserve = true;
        if (delFrom >= 0) {
          const r = removeValue(h, delFrom, prev);
          h = r.h;
          next += r.delta;
          delFrom = -1;
        }
        continue;
      }
      if (attEnd !== eq || valBeg > eq + 1) {
        // blanks around '=' are removed
        const q = squeezeEquals(h, attEnd, eq, valBeg);
        h = q.h;
        eq = q.eq;
        valBeg = q.valBeg;
        valEnd += q.shift;
        next += q.shift;
      }
      if (
        captured === undefined &&
        capture !== null &&
        valEnd - att >= capture.name.length &&
        h.startsWith(capture.name, att)
      )
        captured = h.slice(att, Math.min(valEnd, att + capture.len));
      if (ck !== null && attEnd - att === ck.spec.name.length && h.startsWith(ck.spec.name, att)) {
        const spec = ck.spec;
        const servers = be.servers;
        let delim: number;
        if (spec.prefix) {
          delim = valBeg;
          while (delim < valEnd && h[delim] !== '~') delim++;
        } else {
          delim = valEnd;
          const bar = h.indexOf('|', valBeg);
          if (bar >= 0 && bar < valEnd) {
            delim = bar;
            const d1 = bar + 1;
            if (valEnd - d1 >= 5) {
              const v = b64ToS30(h, d1);
              if (v > 0) t.lastDate = v * 4;
            }
            const bar2 = h.indexOf('|', d1);
            if (bar2 >= 0 && bar2 < valEnd && valEnd - bar2 > 5) {
              const v = b64ToS30(h, bar2 + 1);
              if (v > 0) t.firstDate = v * 4;
            }
          }
        }
        // too old, or idle for too long (dates more than a day ahead count as wrong)
        if (
          t.firstDate !== 0 &&
          spec.maxlife > 0 &&
          (nowSec - t.firstDate > spec.maxlife || t.firstDate - nowSec > 86400)
        ) {
          t.client = 'old';
          delim = valBeg;
          t.firstDate = 0;
          t.lastDate = 0;
        } else if (
          t.lastDate !== 0 &&
          spec.maxidle > 0 &&
          (nowSec - t.lastDate > spec.maxidle || t.lastDate - nowSec > 86400)
        ) {
          t.client = 'expired';
          delim = valBeg;
          t.firstDate = 0;
          t.lastDate = 0;
        }
        let found = false;
        if (delim !== valBeg && !t.ignore && t.assigned === null) {
          const value = h.slice(valBeg, delim);
          for (let k = 0; k < servers.length; k++) {
            const s = servers[k]!;
            if (s.cookie !== value) continue;
            const up = be.isRunning(s);
            if (up || ck.persistDown || t.force) {
              t.client = up ? 'valid' : 'down';
              t.direct = true;
              t.assigned = s;
              found = true;
              break;
            }
            // a stopped server: another one may share the value
            t.client = 'down';
          }
        }
        if (!found && t.client === 'none') t.client = t.ignore || t.assigned !== null ? 'unused' : 'invalid';
        if (spec.prefix && delim !== valEnd) {
          // prefix: the server gets its own value back
          const cut = delim + 1 - valBeg;
          h = h.slice(0, valBeg) + h.slice(delim + 1);
          next -= cut;
          delFrom = -1;
          preserve = true;
        } else if (delFrom < 0 && spec.insert && spec.indirect) delFrom = prev;
      } else {
        preserve = true;
        if (delFrom >= 0) {
          const r = removeValue(h, delFrom, prev);
          h = r.h;
          next += r.delta;
          delFrom = -1;
        }
      }
    }
    if (delFrom >= 0) h = preserve ? h.slice(0, delFrom) : '';
    if (h.length === 0) {
      headers.splice(i, 2);
      i -= 2;
    } else headers[i + 1] = h;
  }
  return captured;
}

/**
 * Response side, before insertion: the server's own Set-Cookie of our name (`ck` null: only
 * `capture`). Returns the captured "name=value" of the first matching Set-Cookie, or undefined.
 */
export function responseCookies(
  headers: string[],
  ck: CookiePersistence | null,
  t: CookieTxn,
  server: Server | null,
  capture: CookieCapture | null = null,
): string | undefined {
  let captured: string | undefined;
  for (let i = 0; i < headers.length; i += 2) {
    const n = headers[i]!;
    if (n.length !== 10 || n.toLowerCase() !== 'set-cookie') continue;
    let h = headers[i + 1]!;
    let att = 0;
    while (att < h.length && isSpace(h[att])) att++;
    let eq = att;
    let attEnd = att;
    while (eq < h.length) {
      const c = h[eq];
      if (c === '=' || c === ';') break;
      eq++;
      if (!isSpace(c)) attEnd = eq;
    }
    if (eq >= h.length || h[eq] !== '=') continue; // no equal sign: ignored
    let valBeg = eq + 1;
    while (valBeg < h.length && isSpace(h[valBeg])) valBeg++;
    let valEnd = valueEnd(h, valBeg, h.length);
    while (valEnd > valBeg && isSpace(h[valEnd - 1])) valEnd--;
    if (attEnd !== eq || valBeg > eq + 1) {
      const q = squeezeEquals(h, attEnd, eq, valBeg);
      h = q.h;
      eq = q.eq;
      valBeg = q.valBeg;
      valEnd += q.shift;
      headers[i + 1] = h;
    }
    if (
      captured === undefined &&
      capture !== null &&
      valEnd - att >= capture.name.length &&
      h.startsWith(capture.name, att)
    )
      captured = h.slice(att, Math.min(valEnd, att + capture.len));
    if (ck === null || t.ignore) continue;
    const spec = ck.spec;
    if (attEnd - att !== spec.name.length || !h.startsWith(spec.name, att)) continue;
    t.server = 'passive';
    if (spec.preserve) continue;
    if ((server !== null && spec.insert) || (t.direct && spec.indirect)) {
      headers.splice(i, 2);
      i -= 2;
      t.server = 'deleted';
    } else if (server !== null && server.cookie !== undefined && spec.rewrite) {
      headers[i + 1] = h.slice(0, valBeg) + server.cookie + h.slice(valEnd);
      t.server = 'rewritten';
    } else if (server !== null && server.cookie !== undefined && spec.prefix) {
      headers[i + 1] = `${h.slice(0, valBeg)}${server.cookie}~${h.slice(valBeg)}`;
      t.server = 'rewritten';
    }
  }
  return captured;
}

/** Statuses a cache may keep by default (RFC 7231 §6.1). */
function cacheableStatus(status: number): boolean {
  switch (status) {
    case 200:
    case 203:
    case 204:
    case 206:
    case 300:
    case 301:
    case 404:
    case 405:
    case 410:
    case 414:
    case 501:
      return true;
    default:
      return false;
  }
}

/**
 * Whether a shared cache could keep this response, as HAProxy 2.6 judges it: a safe method and
 * a cacheable status, no `Pragma: no-cache`, Cache-Control values (`public` allows, `private`,
 * `no-cache`, `no-store`, `max-age=0`, `s-maxage=0` forbid; the last one seen wins), and an
 * expiration time (`max-age`, `s-maxage`, `Expires`) or a validator (`ETag`, `Last-Modified`).
 */
export function responseCacheable(method: string, status: number, headers: readonly string[]): boolean {
  let cacheable =
    (method === 'GET' || method === 'HEAD' || method === 'OPTIONS' || method === 'TRACE') &&
    cacheableStatus(status);
  let pragmaSeen = false;
  let fresh = false;
  let expires = false;
  let validator = false;
  for (let i = 0; i < headers.length; i += 2) {
    const n = headers[i]!.toLowerCase();
    if (n === 'pragma') {
      if (!pragmaSeen && headers[i + 1]!.trim().toLowerCase() === 'no-cache') return false;
      pragmaSeen = true;
    } else if (n === 'expires') expires = true;
    else if (n === 'etag' || n === 'last-modified') validator = true;
  }
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i]!.toLowerCase() !== 'cache-control') continue;
    for (const part of headers[i + 1]!.split(',')) {
      const v = part.trim().toLowerCase();
      if (v === 'public') cacheable = true;
      else if (
        v === 'private' ||
        v === 'no-cache' ||
        v === 'no-store' ||
        v === 'max-age=0' ||
        v === 's-maxage=0'
      )
        cacheable = false;
      else if (v.startsWith('max-age') || v.startsWith('s-maxage')) fresh = true;
    }
  }
  return cacheable && (fresh || expires || validator);
}

/**
 * Insert mode: adds the persistence cookie to the response when the client needs it (and
 * `Cache-control: private` with `nocache` on a cacheable response).
 * `statusCacheable`: the server's status and the request method allowed caching.
 */
export function insertCookie(
  headers: string[],
  ck: CookiePersistence,
  t: CookieTxn,
  server: Server | null,
  method: string,
  status: number,
  nowSec: number,
): void {
  const spec = ck.spec;
  if (server === null || !spec.insert || t.ignore) return;
  if (spec.preserve && t.server === 'passive') return;
  if (spec.postonly && method !== 'POST') return;
  const dated = spec.maxidle > 0 || t.lastDate !== 0;
  if (
    t.direct &&
    !(dated && (t.lastDate === 0 || t.lastDate - nowSec < 0)) &&
    !(spec.maxlife > 0 && t.firstDate === 0) &&
    !(spec.maxlife === 0 && t.firstDate !== 0)
  )
    return;
  let v: string;
  if (server.cookie === undefined) v = `${spec.name}=; Expires=Thu, 01-Jan-1970 00:00:01 GMT; path=/`;
  else {
    v = `${spec.name}=${server.cookie}`;
    if (spec.maxidle > 0 || spec.maxlife > 0) {
      const stamp = Math.floor((nowSec + 3) / 4);
      v += `|${s30ToB64(stamp)}`;
      if (spec.maxlife > 0) v += `|${s30ToB64(t.firstDate !== 0 ? Math.floor(t.firstDate / 4) : stamp)}`;
    }
    v += '; path=/';
  }
  headers.push('Set-Cookie', v + ck.attributes);
  t.server = server.cookie !== undefined && t.direct ? 'updated' : 'inserted';
  if (spec.nocache && responseCacheable(method, status, headers)) headers.push('Cache-control', 'private');
}

/**
 * `name = value` written `name=value` (HAProxy removes the blanks around '=' of the cookies it
 * parses): `attEnd` ends the name, `eq` is the '=', `valBeg` starts the value. Returns the new
 * text, the new positions of '=' and of the value, and how much the text shrank (negative).
 */
function squeezeEquals(
  h: string,
  attEnd: number,
  eq: number,
  valBeg: number,
): { h: string; eq: number; valBeg: number; shift: number } {
  let shift = 0;
  if (attEnd !== eq) {
    h = h.slice(0, attEnd) + h.slice(eq);
    shift = attEnd - eq;
    eq += shift;
    valBeg += shift;
  }
  if (valBeg > eq + 1) {
    const after = eq + 1 - valBeg;
    h = h.slice(0, eq + 1) + h.slice(valBeg);
    valBeg += after;
    shift += after;
  }
  return { h, eq, valBeg, shift };
}
