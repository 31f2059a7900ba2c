/**
 * Writing heads the way HAProxy 2.6's HTTP/1 side writes them, from what the parser
 * reported (`HeadInfo`): header names in lower case, values as parsed (trimmed, folds
 * joined), `close`/`keep-alive` tokens taken out of `Connection` (the proxy decides
 * persistence per side and says so itself), one `Content-Length` with the number only,
 * none when `Transfer-Encoding` is present. Chunk extensions are not kept: the forwarder
 * re-frames chunked bodies with `chunkHeader()`.
 *
 * Heads are returned as latin1 strings: a socket writes them without an intermediate
 * Buffer, and header bytes stay byte-exact.
 */

import type { HeadInfo } from './parser.ts';

/** What the proxy says about persistence on the side it writes to. */
export type ConnectionHeader = 'none' | 'close' | 'keep-alive';

/** A header added after the received ones (e.g. `x-forwarded-for`). */
export interface ExtraHeader {
  /** Lower-case name. */
  name: string;
  value: string;
}

/** The `Connection` value without `close`/`keep-alive` tokens ('' when nothing is left). */
function otherConnectionTokens(value: string): string {
  let out = '';
  let start = 0;
  const n = value.length;
  while (start <= n) {
    let end = value.indexOf(',', start);
    if (end < 0) end = n;
    const tok = value.slice(start, end).trim();
    start = end + 1;
    if (tok === '') continue;
    const low = tok.toLowerCase();
    if (low === 'close' || low === 'keep-alive') continue;
    out = out === '' ? tok : `${out}, ${tok}`;
  }
  return out;
}

/**
 * The header lines of a head, rewritten as described above, ending with the extra lines and
 * CRLF CRLF. `noFraming` drops Content-Length and Transfer-Encoding (a 204 has no body).
 */
function headerLines(
  info: HeadInfo,
  connection: ConnectionHeader,
  extra: ExtraHeader | undefined,
  noFraming: boolean,
): string {
  const h = info.headers;
  let out = '';
  let clWritten = false;
  let host: string | undefined;
  for (let i = 0; i < h.length; i += 2) {
    const name = (h[i] as string).toLowerCase();
    let value = h[i + 1] as string;
    if (name === 'host') {
      // identical Host headers are merged into one, as HAProxy does
      if (host === value) continue;
      host = value;
    } else if (name === 'connection') {
      value = otherConnectionTokens(value);
      if (value === '') continue;
    } else if (name === 'content-length') {
      if (info.contentLength < 0 || clWritten || noFraming) continue;
      clWritten = true;
      // the value as written ('05' stays); a list of equal values becomes one
      if (value.includes(',')) value = String(info.contentLength);
    } else if (noFraming && name === 'transfer-encoding') continue;
    out += `${name}: ${value}\r\n`;
  }
  if (extra !== undefined) out += `${extra.name}: ${extra.value}\r\n`;
  if (connection === 'close') out += 'connection: close\r\n';
  else if (connection === 'keep-alive') out += 'connection: keep-alive\r\n';
  return `${out}\r\n`;
}

/** A request head for the server: the request line as received, then the rewritten headers. */
export function requestHead(info: HeadInfo, connection: ConnectionHeader, extra?: ExtraHeader): string {
  return `${info.method} ${info.target} ${version(info)}\r\n${headerLines(info, connection, extra, false)}`;
}

/** A response head for the client: the status line as received, then the rewritten headers. */
export function responseHead(
  info: HeadInfo,
  reason: string,
  connection: ConnectionHeader,
  noFraming = false,
): string {
  const status = info.status < 100 ? String(info.status).padStart(3, '0') : String(info.status);
  return `${version(info)} ${status} ${reason}\r\n${headerLines(info, connection, undefined, noFraming)}`;
}

/** HTTP/1.0 stays; any later version is written HTTP/1.1, as HAProxy does. */
function version(info: HeadInfo): string {
  return info.versionMajor === 1 && info.versionMinor === 0 ? 'HTTP/1.0' : 'HTTP/1.1';
}

/** `<size in upper-case hex>\r\n` before a chunk of `size` bytes (HAProxy's spelling). */
export function chunkHeader(size: number): string {
  return `${size.toString(16).toUpperCase()}\r\n`;
}

/** The last chunk and trailers (names in lower case), ending the chunked body. */
export function lastChunk(trailers: string[] | undefined): string {
  if (trailers === undefined || trailers.length === 0) return '0\r\n\r\n';
  let out = '0\r\n';
  for (let i = 0; i < trailers.length; i += 2) {
    out += `${(trailers[i] as string).toLowerCase()}: ${trailers[i + 1] as string}\r\n`;
  }
  return `${out}\r\n`;
}

/** The first value of a header (name compared without case), or undefined. */
export function headerValue(headers: string[], lowerName: string): string | undefined {
  for (let i = 0; i < headers.length; i += 2) {
    const n = headers[i] as string;
    if (n.length === lowerName.length && n.toLowerCase() === lowerName) return headers[i + 1];
  }
  return undefined;
}

const REASONS: Record<number, string> = {
  100: 'Continue',
  101: 'Switching Protocols',
  102: 'Processing',
  103: 'Early Hints',
  200: 'OK',
  201: 'Created',
  202: 'Accepted',
  203: 'Non-Authoritative Information',
  204: 'No Content',
  205: 'Reset Content',
  206: 'Partial Content',
  207: 'Multi-Status',
  300: 'Multiple Choices',
  301: 'Moved Permanently',
  302: 'Found',
  303: 'See Other',
  304: 'Not Modified',
  305: 'Use Proxy',
  307: 'Temporary Redirect',
  308: 'Permanent Redirect',
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  407: 'Proxy Authentication Required',
  408: 'Request Timeout',
  409: 'Conflict',
  410: 'Gone',
  411: 'Length Required',
  412: 'Precondition Failed',
  413: 'Payload Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  416: 'Range Not Satisfiable',
  417: 'Expectation Failed',
  418: "I'm a teapot",
  421: 'Misdirected Request',
  422: 'Unprocessable Content',
  425: 'Too Early',
  426: 'Upgrade Required',
  428: 'Precondition Required',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  451: 'Unavailable For Legal Reasons',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
  505: 'HTTP Version Not Supported',
  507: 'Insufficient Storage',
  511: 'Network Authentication Required',
};

/** The standard reason phrase of a status, as a proxy writes it in responses it makes itself. */
export function reasonPhrase(status: number): string {
  return REASONS[status] ?? 'Other';
}

/**
 * HAProxy's scheme-based normalisation: a default port (`:80` for http, `:443` for https and
 * CONNECT) is taken out of an absolute-form target's authority and out of the Host header.
 * Origin-form requests (`/…`) are left alone. Changes `info` in place.
 */
export function normalizeDefaultPort(info: HeadInfo): void {
  const t = info.target;
  let port: string;
  if (info.method === 'CONNECT') {
    port = ':443';
    if (!t.endsWith(port)) return;
  } else {
    const scheme = t.slice(0, 8).toLowerCase();
    if (scheme.startsWith('http://')) port = ':80';
    else if (scheme === 'https://') port = ':443';
    else return;
    const start = t.indexOf('//') + 2;
    let end = start;
    while (end < t.length && t[end] !== '/' && t[end] !== '?') end++;
    // the Host header is only normalised along with a target that had the default port
    if (!t.slice(start, end).endsWith(port)) return;
    info.target = t.slice(0, end - port.length) + t.slice(end);
  }
  const h = info.headers;
  for (let i = 0; i < h.length; i += 2) {
    const v = h[i + 1] as string;
    if ((h[i] as string).toLowerCase() === 'host' && v.endsWith(port)) h[i + 1] = v.slice(0, -port.length);
  }
}
