// HTTP for checks: the request bytes as HAProxy 2.6's H1 multiplexer writes them, and a
// small strict parser for the response (status line, headers, body by length, chunks or close).

export interface HttpRequestParts {
  readonly method: string;
  readonly uri: string;
  readonly version: string;
  readonly headers: readonly (readonly [string, string])[];
  readonly body: string;
}

/** The version HAProxy treats as 1.1 or later (it then closes with `connection: close`). */
function isVersion11(v: string): boolean {
  if (v.length === 6) return v[5] === '2';
  if (v.length === 8) return (v[5] ?? '0') > '1' || (v[5] === '1' && (v[7] ?? '0') >= '1');
  return false;
}

// Requests without a body get `content-length: 0` except for these methods.
const BODYLESS_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'DELETE']);

/**
 * Splits the request in two so that a per-check header (`x-haproxy-server-state`) can go
 * between them without rebuilding the rest.
 */
export function buildHttpRequest(parts: HttpRequestParts): { head: string; tail: Buffer } {
  const v11 = isVersion11(parts.version);
  // HAProxy's H1 mux writes HTTP/2+ versions as HTTP/1.1 and others as given.
  const wireVersion = /^HTTP\/[2-9]/.test(parts.version) ? 'HTTP/1.1' : parts.version;
  let head = `${parts.method} ${parts.uri} ${wireVersion}\r\n`;
  // Without a Connection header HAProxy asks for close; keep-alive/close only set the
  // mode, written at the end when the version does not imply it; other values stay in place.
  let mode: 'close' | 'keep-alive' | 'other' = 'close';
  for (const [name, value] of parts.headers) {
    const lname = name.toLowerCase();
    if (lname === 'content-length' || lname === 'transfer-encoding' || value === '') continue;
    if (lname === 'connection') {
      const tokens = value.split(',').map((t) => t.trim().toLowerCase());
      if (tokens.every((t) => t === 'close' || t === 'keep-alive')) {
        mode = tokens.includes('close') ? 'close' : 'keep-alive';
        continue;
      }
      mode = 'other';
    }
    head += `${lname}: ${value}\r\n`;
  }
  let tail = '';
  const body = Buffer.from(parts.body, 'latin1');
  if (body.length > 0) tail += `content-length: ${body.length}\r\n`;
  else if (!BODYLESS_METHODS.has(parts.method)) tail += 'content-length: 0\r\n';
  if (v11 && mode === 'close') tail += 'connection: close\r\n';
  if (!v11 && mode === 'keep-alive') tail += 'connection: keep-alive\r\n';
  tail += '\r\n';
  return { head, tail: Buffer.concat([Buffer.from(tail, 'latin1'), body]) };
}

export interface HttpResponse {
  /** 'partial': headers not complete yet; 'error': not HTTP/1.x. */
  readonly state: 'partial' | 'error' | 'headers';
  readonly status: number;
  readonly reason: string;
  readonly headers: readonly (readonly [string, string])[];
  /** Body bytes received so far (chunked coding removed). */
  readonly body: Buffer;
  /** The whole message was received. */
  readonly complete: boolean;
}

const PARTIAL: HttpResponse = {
  state: 'partial',
  status: 0,
  reason: '',
  headers: [],
  body: Buffer.alloc(0),
  complete: false,
};
const ERROR: HttpResponse = { ...PARTIAL, state: 'error' };
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const STATUS_LINE = /^HTTP\/(\d)\.(\d) (\d{3})(?: (.*))?$/;

/** Parses what was received so far; `eos`: the server closed its side. */
export function parseHttpResponse(buf: Buffer, eos: boolean): HttpResponse {
  let end = buf.indexOf('\n\n', 0, 'latin1');
  let crlfEnd = buf.indexOf('\r\n\r\n', 0, 'latin1');
  let headEnd: number;
  if (crlfEnd >= 0 && (end < 0 || crlfEnd < end)) {
    headEnd = crlfEnd + 4;
    end = crlfEnd;
  } else if (end >= 0) {
    headEnd = end + 2;
  } else {
    return eos ? ERROR : PARTIAL;
  }
  crlfEnd = end;
  const lines = buf.toString('latin1', 0, crlfEnd).split(/\r?\n/);
  const m = STATUS_LINE.exec(lines[0] ?? '');
  if (m?.[1] !== '1') return ERROR;
  const status = Number(m[3]);
  const headers: [string, string][] = [];
  let length = -1;
  let chunked = false;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const colon = line.indexOf(':');
    if (colon <= 0) return ERROR;
    const name = line.slice(0, colon);
    if (!TOKEN.test(name)) return ERROR;
    const value = line.slice(colon + 1).trim();
    headers.push([name, value]);
    const lname = name.toLowerCase();
    if (lname === 'content-length') {
      if (!/^\d+$/.test(value)) return ERROR;
      length = Number(value);
    } else if (lname === 'transfer-encoding' && /(^|,)\s*chunked\s*$/i.test(value)) {
      chunked = true;
    }
  }
  const reason = m[4] ?? '';
  const raw = buf.subarray(headEnd);
  if (status === 204 || status === 304 || (status >= 100 && status < 200)) {
    return { state: 'headers', status, reason, headers, body: Buffer.alloc(0), complete: true };
  }
  if (chunked) {
    const { body, complete } = dechunk(raw);
    return { state: 'headers', status, reason, headers, body, complete };
  }
  if (length >= 0) {
    const body = raw.length > length ? raw.subarray(0, length) : raw;
    return { state: 'headers', status, reason, headers, body, complete: body.length >= length };
  }
  return { state: 'headers', status, reason, headers, body: raw, complete: eos };
}

function dechunk(raw: Buffer): { body: Buffer; complete: boolean } {
  const parts: Buffer[] = [];
  let pos = 0;
  for (;;) {
    const eol = raw.indexOf('\r\n', pos, 'latin1');
    if (eol < 0) break;
    const size = Number.parseInt(raw.toString('latin1', pos, eol).split(';')[0] ?? '', 16);
    if (!Number.isFinite(size)) break;
    if (size === 0) return { body: Buffer.concat(parts), complete: true };
    const start = eol + 2;
    parts.push(raw.subarray(start, Math.min(start + size, raw.length)));
    if (start + size + 2 > raw.length) break;
    pos = start + size + 2;
  }
  return { body: Buffer.concat(parts), complete: false };
}
