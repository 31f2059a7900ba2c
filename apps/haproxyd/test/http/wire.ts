// HTTP/1 wire parsing for the differential suite: a lenient request framer (what reached
// the recording backend) and a lenient response framer (what reached the client). They
// are written here on purpose, independent of @hap/http (the code under test), and they
// never reject: whatever they cannot frame is kept as raw bytes so that the comparison
// still shows it.

export type Header = readonly [name: string, value: string];

export type Framing = 'none' | 'content-length' | 'chunked' | 'until-close' | 'tunnel';

export interface ChunkedInfo {
  /** The chunk sizes as they were on the wire (hex text, including any padding). */
  readonly sizes: string[];
  /** The chunk extensions (text after the size, ';' included), in order; empty strings omitted. */
  readonly extensions: string[];
  readonly trailers: Header[];
}

export interface Message {
  /** Request line or status line, without the line ending. */
  readonly startLine: string;
  /** Names and values exactly as received (names not lower-cased), in order. */
  readonly headers: Header[];
  /** The raw head bytes (start line to the empty line included), latin1. */
  readonly rawHead: string;
  readonly framing: Framing;
  /** The decoded body (chunk framing removed). */
  body: Buffer;
  chunked: ChunkedInfo | null;
  /** Whether the body was received in full (until-close bodies: only once the peer closed). */
  complete: boolean;
}

export interface ParseResult {
  readonly messages: Message[];
  /** Bytes after the last framed message (unframeable data, or a tunnel's payload). */
  readonly rest: Buffer;
  /** Why framing stopped early, if it did ('' when everything was framed or simply incomplete). */
  readonly error: string;
}

const CRLF = 0x0a;

/** Index just past the line ending (CRLF or bare LF) of the line starting at `from`, or -1. */
function lineEnd(buf: Buffer, from: number): number {
  const lf = buf.indexOf(CRLF, from);
  return lf === -1 ? -1 : lf + 1;
}

function lineText(buf: Buffer, from: number, end: number): string {
  let stop = end - 1;
  if (stop > from && buf[stop - 1] === 0x0d) stop -= 1;
  return buf.toString('latin1', from, stop);
}

interface Head {
  startLine: string;
  headers: Header[];
  rawHead: string;
  end: number;
}

/** Parses a head starting at `from`; null when incomplete. Leading empty lines are skipped. */
function parseHead(buf: Buffer, from: number): Head | null {
  let at = from;
  // RFC 9112 2.2: a recipient may ignore at least one empty line before the start line.
  for (;;) {
    const e = lineEnd(buf, at);
    if (e === -1) return null;
    if (lineText(buf, at, e) !== '') break;
    at = e;
  }
  const headStart = at;
  const first = lineEnd(buf, at);
  if (first === -1) return null;
  const startLine = lineText(buf, at, first);
  at = first;
  const headers: [string, string][] = [];
  for (;;) {
    const e = lineEnd(buf, at);
    if (e === -1) return null;
    const line = lineText(buf, at, e);
    at = e;
    if (line === '') break;
    if ((line.startsWith(' ') || line.startsWith('\t')) && headers.length > 0) {
      const last = headers[headers.length - 1]!;
      last[1] = `${last[1]} ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon === -1) headers.push([line, '']);
    else headers.push([line.slice(0, colon), line.slice(colon + 1).trim()]);
  }
  return { startLine, headers, rawHead: buf.toString('latin1', headStart, at), end: at };
}

function values(headers: readonly Header[], name: string): string[] {
  const out: string[] = [];
  for (const [n, v] of headers) if (n.toLowerCase() === name) out.push(v);
  return out;
}

function isChunked(headers: readonly Header[]): boolean {
  const te = values(headers, 'transfer-encoding')
    .join(',')
    .split(',')
    .map((t) => t.trim().toLowerCase())
    .filter((t) => t !== '');
  return te.length > 0 && te[te.length - 1] === 'chunked';
}

function contentLength(headers: readonly Header[]): number | null {
  const cl = values(headers, 'content-length');
  if (cl.length === 0) return null;
  const first = (cl[0] ?? '').split(',')[0]?.trim() ?? '';
  const n = Number(first);
  return Number.isSafeInteger(n) && n >= 0 ? n : null;
}

interface Chunked {
  body: Buffer;
  info: ChunkedInfo;
  end: number;
}

/** Decodes a chunked body starting at `from`; null when incomplete, a string on a framing error. */
function parseChunked(buf: Buffer, from: number): Chunked | null | string {
  const parts: Buffer[] = [];
  const sizes: string[] = [];
  const extensions: string[] = [];
  let at = from;
  for (;;) {
    const e = lineEnd(buf, at);
    if (e === -1) return null;
    const line = lineText(buf, at, e);
    const semi = line.indexOf(';');
    const sizeText = (semi === -1 ? line : line.slice(0, semi)).trim();
    if (semi !== -1) extensions.push(line.slice(semi));
    if (!/^[0-9a-fA-F]+$/.test(sizeText)) return `bad chunk size line ${JSON.stringify(line)}`;
    const size = Number.parseInt(sizeText, 16);
    sizes.push(line.slice(0, semi === -1 ? line.length : semi));
    at = e;
    if (size === 0) {
      const trailers: [string, string][] = [];
      for (;;) {
        const te = lineEnd(buf, at);
        if (te === -1) return null;
        const tl = lineText(buf, at, te);
        at = te;
        if (tl === '') break;
        const colon = tl.indexOf(':');
        trailers.push(colon === -1 ? [tl, ''] : [tl.slice(0, colon), tl.slice(colon + 1).trim()]);
      }
      return { body: Buffer.concat(parts), info: { sizes, extensions, trailers }, end: at };
    }
    if (buf.length < at + size) return null;
    parts.push(buf.subarray(at, at + size));
    at += size;
    const de = lineEnd(buf, at);
    if (de === -1) return buf.length - at >= 2 ? 'chunk data not followed by CRLF' : null;
    if (lineText(buf, at, de) !== '') return 'chunk data not followed by CRLF';
    at = de;
  }
}

export interface RequestParseOptions {
  /** Request line prefixes after which the connection becomes a tunnel (e.g. an upgrade was answered 101). */
  readonly tunnelAfter?: (msg: Message, index: number) => boolean;
}

/** Frames every request in `buf` (what a backend connection received). */
export function parseRequests(buf: Buffer, opts: RequestParseOptions = {}): ParseResult {
  const messages: Message[] = [];
  let at = 0;
  for (;;) {
    if (at >= buf.length) return { messages, rest: Buffer.alloc(0), error: '' };
    const head = parseHead(buf, at);
    if (head === null) return { messages, rest: buf.subarray(at), error: '' };
    let framing: Framing = 'none';
    let body: Buffer = Buffer.alloc(0);
    let chunked: ChunkedInfo | null = null;
    let complete = true;
    let end = head.end;
    if (isChunked(head.headers)) {
      framing = 'chunked';
      const c = parseChunked(buf, head.end);
      if (typeof c === 'string') {
        messages.push({ ...head, framing, body: buf.subarray(head.end), chunked: null, complete: false });
        return { messages, rest: Buffer.alloc(0), error: c };
      }
      if (c === null) {
        complete = false;
        end = buf.length;
        body = buf.subarray(head.end);
      } else {
        body = c.body;
        chunked = c.info;
        end = c.end;
      }
    } else {
      const cl = contentLength(head.headers);
      if (cl !== null) {
        framing = 'content-length';
        end = Math.min(buf.length, head.end + cl);
        body = buf.subarray(head.end, end);
        complete = end === head.end + cl;
      }
    }
    const msg: Message = {
      startLine: head.startLine,
      headers: head.headers,
      rawHead: head.rawHead,
      framing,
      body,
      chunked,
      complete,
    };
    messages.push(msg);
    if (!complete) return { messages, rest: Buffer.alloc(0), error: '' };
    at = end;
    if (opts.tunnelAfter?.(msg, messages.length - 1)) {
      return { messages, rest: buf.subarray(at), error: '' };
    }
  }
}

export interface ResponseParseOptions {
  /** Methods of the requests, in order (HEAD responses have no body); default GET. */
  readonly methods?: readonly string[];
  /** Whether the peer closed: completes an until-close body. */
  readonly closed?: boolean;
}

export function statusOf(msg: Message): number {
  const m = /^HTTP\/\d\.\d (\d{3})/.exec(msg.startLine);
  return m ? Number(m[1]) : 0;
}

/** Frames every response in `buf` (what a client received). */
export function parseResponses(buf: Buffer, opts: ResponseParseOptions = {}): ParseResult {
  const messages: Message[] = [];
  const methods = opts.methods ?? [];
  let finals = 0;
  let at = 0;
  for (;;) {
    if (at >= buf.length) return { messages, rest: Buffer.alloc(0), error: '' };
    const head = parseHead(buf, at);
    if (head === null) return { messages, rest: buf.subarray(at), error: '' };
    if (!/^HTTP\/\d\.\d \d{3}/.test(head.startLine)) {
      return {
        messages,
        rest: buf.subarray(at),
        error: `not a status line: ${JSON.stringify(head.startLine)}`,
      };
    }
    const status = Number(head.startLine.slice(9, 12));
    const method = (methods[finals] ?? 'GET').toUpperCase();
    const base = { startLine: head.startLine, headers: head.headers, rawHead: head.rawHead };
    if (status === 101) {
      messages.push({ ...base, framing: 'tunnel', body: Buffer.alloc(0), chunked: null, complete: true });
      return { messages, rest: buf.subarray(head.end), error: '' };
    }
    if (status >= 100 && status < 200) {
      messages.push({ ...base, framing: 'none', body: Buffer.alloc(0), chunked: null, complete: true });
      at = head.end;
      continue;
    }
    finals += 1;
    if (method === 'HEAD' || status === 204 || status === 304) {
      messages.push({ ...base, framing: 'none', body: Buffer.alloc(0), chunked: null, complete: true });
      at = head.end;
      continue;
    }
    if (method === 'CONNECT' && status >= 200 && status < 300) {
      messages.push({ ...base, framing: 'tunnel', body: Buffer.alloc(0), chunked: null, complete: true });
      return { messages, rest: buf.subarray(head.end), error: '' };
    }
    if (isChunked(head.headers)) {
      const c = parseChunked(buf, head.end);
      if (typeof c === 'string' || c === null) {
        messages.push({
          ...base,
          framing: 'chunked',
          body: buf.subarray(head.end),
          chunked: null,
          complete: false,
        });
        return { messages, rest: Buffer.alloc(0), error: typeof c === 'string' ? c : '' };
      }
      messages.push({ ...base, framing: 'chunked', body: c.body, chunked: c.info, complete: true });
      at = c.end;
      continue;
    }
    const cl = contentLength(head.headers);
    if (cl !== null) {
      const end = Math.min(buf.length, head.end + cl);
      const complete = end === head.end + cl;
      messages.push({
        ...base,
        framing: 'content-length',
        body: buf.subarray(head.end, end),
        chunked: null,
        complete,
      });
      if (!complete) return { messages, rest: Buffer.alloc(0), error: '' };
      at = end;
      continue;
    }
    messages.push({
      ...base,
      framing: 'until-close',
      body: buf.subarray(head.end),
      chunked: null,
      complete: opts.closed === true,
    });
    return { messages, rest: Buffer.alloc(0), error: '' };
  }
}

/** Number of complete final (non-1xx, or 101) responses. */
export function finalResponses(r: ParseResult): number {
  let n = 0;
  for (const m of r.messages) {
    const s = statusOf(m);
    if (m.complete && (s >= 200 || s === 101)) n += 1;
  }
  return n;
}
