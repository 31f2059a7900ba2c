/**
 * The PROXY protocol, versions 1 (text) and 2 (binary): the header a proxy puts
 * in front of a connection to tell the next hop the original client and
 * destination addresses. Here are both sides of it:
 *
 * - `ProxyHeaderReader` — the receiving side of `bind ... accept-proxy`: feed it
 *   the first chunks of a freshly accepted connection, it answers "more", the
 *   parsed header (and how many bytes of the last chunk it used, the rest being
 *   payload), or an error. The version is told from the first byte and any
 *   other first byte fails at once.
 * - `encodeProxyV1()` / `encodeProxyV2()` — the sending side of `send-proxy` and
 *   `send-proxy-v2`, byte for byte what HAProxy 2.6 emits for the same addresses.
 *
 * Nothing here touches a socket or a timer: the caller owns the connection, its
 * `timeout client` and what to do on error (HAProxy closes).
 *
 * What HAProxy 2.6.12 does, measured with raw sockets against `bind ...
 * accept-proxy` in `mode tcp` (and checked again by test/proxy-protocol.test.ts):
 *
 * - Bytes that are not a PROXY header ("GET / HTTP/1.0..."): the connection is
 *   reset at once (RST, no byte sent back); log "Received something which does
 *   not look like a PROXY protocol header".
 * - Nothing sent: HAProxy waits for `timeout client` (2.6 has no separate
 *   handshake timeout), then closes with a FIN, no byte sent; log "Timeout while
 *   waiting for PROXY protocol header". With no `timeout client` it waits for ever.
 * - A header split over two TCP segments ("PROX", then the rest 300 ms later):
 *   reset at once, "Truncated PROXY protocol header received". 2.6 reads the
 *   first segment with MSG_PEEK and does not wait for the rest; the reader
 *   mirrors that with `singleRead: true` and reassembles by default.
 * - 2.6's v1 parser is lax where this one follows the specification: ports above
 *   65535 wrap (70000 → 4464), "01.2.3.4" is 1.2.3.4, "256.2.3.4" is 0.2.3.4,
 *   "1.2.3" is 1.2.3.0, a missing destination port is 0. All of these are refused
 *   here. 2.6 refuses the long form "PROXY UNKNOWN <anything>\r\n" (only
 *   "PROXY UNKNOWN\r\n"); the specification says to ignore what follows UNKNOWN,
 *   and so does this reader.
 * - v2 with the PROXY command and a family other than TCP over IPv4/IPv6 (UNSPEC,
 *   UDP, UNIX) is refused by 2.6 as invalid; the specification allows it, and this
 *   reader accepts it (UNSPEC: use the connection's addresses). LOCAL is accepted
 *   whatever its family and length, and its block is skipped, by both.
 * - `send-proxy` when the two addresses are of different families (after
 *   `set-src`/`set-dst`, for example): both are written as IPv6, the IPv4 one as
 *   an IPv4-mapped address (`::ffff:10.1.2.3`), in v1 ("TCP6") and in v2 (family
 *   0x21). IPv6 text is written as inet_ntop() does (lower case, longest run of
 *   zero groups as "::", mapped and compatible IPv4 in dotted form).
 * - `send-proxy-v2` TLV order: CRC32C (`proxy-v2-options crc32c`), ALPN (the
 *   client's TLS ALPN), AUTHORITY (`authority`: SNI, or the authority received
 *   in a PROXY v2 header), UNIQUE_ID (`unique-id`), then SSL and NETNS.
 */

/** PP2 TLV types (section 2.2 of the specification). */
export const PP2_TYPE_ALPN = 0x01;
export const PP2_TYPE_AUTHORITY = 0x02;
export const PP2_TYPE_CRC32C = 0x03;
export const PP2_TYPE_NOOP = 0x04;
export const PP2_TYPE_UNIQUE_ID = 0x05;
export const PP2_TYPE_SSL = 0x20;
export const PP2_TYPE_NETNS = 0x30;

/** The longest v1 line, CRLF included ("PROXY UNKNOWN" with two full IPv6 addresses and ports). */
export const PROXY_V1_MAX_LENGTH = 107;
/** Default limit on a whole v2 header: HAProxy reads it into one buffer of `tune.bufsize` bytes. */
export const PROXY_V2_DEFAULT_MAX_LENGTH = 16384;

export type ProxyCommand = 'PROXY' | 'LOCAL';
/**
 * `TCP4`/`TCP6`: IPv4/IPv6 addresses with ports (named after v1's protocol words; v2 may
 * say datagram, see `transport`). `UNIX`: socket paths, no ports. `UNKNOWN`: no usable
 * address (v1 "UNKNOWN", v2 LOCAL or UNSPEC): use the connection's own addresses.
 */
export type ProxyFamily = 'TCP4' | 'TCP6' | 'UNIX' | 'UNKNOWN';
/** v2's transport nibble; v1 is always STREAM (or UNSPEC for UNKNOWN). */
export type ProxyTransport = 'STREAM' | 'DGRAM' | 'UNSPEC';

/** A v2 Type-Length-Value field. */
export interface ProxyTlv {
  readonly type: number;
  readonly value: Buffer;
}

/** A parsed PROXY header. */
export interface ProxyHeader {
  readonly version: 1 | 2;
  readonly command: ProxyCommand;
  readonly family: ProxyFamily;
  readonly transport: ProxyTransport;
  /** Source address (canonical text; a path for UNIX); null when `family` is UNKNOWN. */
  readonly src: string | null;
  /** 0 when there is no port (UNIX, UNKNOWN). */
  readonly srcPort: number;
  readonly dst: string | null;
  readonly dstPort: number;
  /**
   * v2 TLVs in the order received (empty for v1, LOCAL and UNSPEC). The values are views
   * into the bytes given to the reader, not copies.
   */
  readonly tlvs: readonly ProxyTlv[];
  /** Bytes the whole header takes on the wire. */
  readonly length: number;
}

/**
 * Stable error codes. The reader produces NOT_HEADER, BAD_PROTO, BAD_HEADER, TOO_LARGE,
 * TRUNCATED and EMPTY; TIMEOUT and ABORT are for the caller (timer, socket error), so that
 * every way of failing has a code and HAProxy's log text.
 */
export type ProxyErrorCode =
  | 'HAP_ERR_PROXY_NOT_HEADER'
  | 'HAP_ERR_PROXY_BAD_PROTO'
  | 'HAP_ERR_PROXY_BAD_HEADER'
  | 'HAP_ERR_PROXY_TOO_LARGE'
  | 'HAP_ERR_PROXY_TRUNCATED'
  | 'HAP_ERR_PROXY_EMPTY'
  | 'HAP_ERR_PROXY_TIMEOUT'
  | 'HAP_ERR_PROXY_ABORT';

/** What HAProxy 2.6 writes in its log for each failure (observable, so kept verbatim). */
export const PROXY_ERROR_LOG_TEXT: Readonly<Record<ProxyErrorCode, string>> = {
  HAP_ERR_PROXY_NOT_HEADER: 'Received something which does not look like a PROXY protocol header',
  HAP_ERR_PROXY_BAD_PROTO: 'Received an unhandled protocol in the PROXY protocol header',
  HAP_ERR_PROXY_BAD_HEADER: 'Received an invalid PROXY protocol header',
  // HAProxy cannot read a header larger than its buffer: it sees it as truncated
  HAP_ERR_PROXY_TOO_LARGE: 'Truncated PROXY protocol header received',
  HAP_ERR_PROXY_TRUNCATED: 'Truncated PROXY protocol header received',
  HAP_ERR_PROXY_EMPTY: 'Connection closed while waiting for PROXY protocol header',
  HAP_ERR_PROXY_TIMEOUT: 'Timeout while waiting for PROXY protocol header',
  HAP_ERR_PROXY_ABORT: 'Connection error while waiting for PROXY protocol header',
};

/** HAProxy 2.6's connection error code (CO_ER_*, what %[fc_err] prints) for each failure. */
export const PROXY_ERROR_CONN_CODE: Readonly<Record<ProxyErrorCode, number>> = {
  HAP_ERR_PROXY_EMPTY: 11,
  HAP_ERR_PROXY_ABORT: 12,
  HAP_ERR_PROXY_TIMEOUT: 13,
  HAP_ERR_PROXY_TRUNCATED: 14,
  HAP_ERR_PROXY_TOO_LARGE: 14,
  HAP_ERR_PROXY_NOT_HEADER: 15,
  HAP_ERR_PROXY_BAD_HEADER: 16,
  HAP_ERR_PROXY_BAD_PROTO: 17,
};

export class ProxyProtocolError extends Error {
  readonly code: ProxyErrorCode;
  /** Offset, from the connection's first byte, of the byte found wrong (or the length seen). */
  readonly offset: number;
  /** HAProxy's log text for this failure. */
  readonly logText: string;

  constructor(code: ProxyErrorCode, message: string, offset: number) {
    super(message);
    this.name = 'ProxyProtocolError';
    this.code = code;
    this.offset = offset;
    this.logText = PROXY_ERROR_LOG_TEXT[code];
  }
}

export interface ProxyNeedMore {
  readonly status: 'more';
}
export interface ProxyDone {
  readonly status: 'done';
  readonly header: ProxyHeader;
  /** Bytes of the chunk just given that belong to the header: `chunk.subarray(used)` is payload. */
  readonly used: number;
}
export interface ProxyFailed {
  readonly status: 'error';
  readonly error: ProxyProtocolError;
}
export type ProxyReadResult = ProxyNeedMore | ProxyDone | ProxyFailed;

const NEED_MORE: ProxyNeedMore = Object.freeze({ status: 'more' });
const NO_TLVS: readonly ProxyTlv[] = Object.freeze([]);

function fail(code: ProxyErrorCode, message: string, offset: number): ProxyFailed {
  return { status: 'error', error: new ProxyProtocolError(code, message, offset) };
}

// ---------------------------------------------------------------------------------------
// Addresses: strict IPv4 / IPv6 text to bytes, and bytes to canonical text.

const CH_0 = 0x30;
const CH_9 = 0x39;
const CH_DOT = 0x2e;
const CH_COLON = 0x3a;
const CH_SP = 0x20;
const CH_CR = 0x0d;
const CH_LF = 0x0a;

function hexValue(c: number): number {
  if (c >= CH_0 && c <= CH_9) return c - CH_0;
  const l = c | 0x20;
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10;
  return -1;
}

/**
 * Parses dotted-quad IPv4 text in `s[from, to)`, strictly: four decimal numbers 0-255,
 * no leading zeros, no sign or space. Returns the address as an unsigned 32-bit
 * number, or -1.
 */
function parseIPv4(s: string, from: number, to: number): number {
  let value = 0;
  let parts = 0;
  let i = from;
  while (parts < 4) {
    const start = i;
    let n = 0;
    while (i < to) {
      const c = s.charCodeAt(i);
      if (c < CH_0 || c > CH_9) break;
      n = n * 10 + (c - CH_0);
      i++;
    }
    const digits = i - start;
    if (digits === 0 || digits > 3 || n > 255) return -1;
    if (digits > 1 && s.charCodeAt(start) === CH_0) return -1;
    value = value * 256 + n;
    parts++;
    if (parts < 4) {
      if (i >= to || s.charCodeAt(i) !== CH_DOT) return -1;
      i++;
    }
  }
  return i === to ? value : -1;
}

/**
 * Parses IPv6 text in `s[from, to)` into 16 bytes at `out[at]`, with the syntax
 * inet_pton() accepts: one to four hex digits per group, at most one "::" standing for
 * at least one zero group, and optionally a strict dotted IPv4 as the last 32 bits.
 * Returns false (and leaves `out` in an unspecified state) when invalid.
 */
function parseIPv6(s: string, from: number, to: number, out: Uint8Array, at: number): boolean {
  let i = from;
  let pos = 0; // bytes written
  let gap = -1; // byte position of "::"
  if (i < to && s.charCodeAt(i) === CH_COLON) {
    if (i + 1 >= to || s.charCodeAt(i + 1) !== CH_COLON) return false;
    gap = 0;
    i += 2;
    if (i === to) {
      out.fill(0, at, at + 16);
      return true;
    }
  }
  for (;;) {
    // one group, or the dotted IPv4 tail
    const start = i;
    let v = 0;
    let digits = 0;
    while (i < to) {
      const h = hexValue(s.charCodeAt(i));
      if (h < 0) break;
      v = v * 16 + h;
      digits++;
      i++;
    }
    if (i < to && s.charCodeAt(i) === CH_DOT) {
      if (pos > 12) return false;
      const v4 = parseIPv4(s, start, to);
      if (v4 < 0) return false;
      out[at + pos] = v4 >>> 24;
      out[at + pos + 1] = (v4 >>> 16) & 0xff;
      out[at + pos + 2] = (v4 >>> 8) & 0xff;
      out[at + pos + 3] = v4 & 0xff;
      pos += 4;
      i = to;
      break;
    }
    if (digits === 0 || digits > 4 || pos > 14) return false;
    out[at + pos] = v >>> 8;
    out[at + pos + 1] = v & 0xff;
    pos += 2;
    if (i === to) break;
    if (s.charCodeAt(i) !== CH_COLON) return false;
    i++;
    if (i < to && s.charCodeAt(i) === CH_COLON) {
      if (gap >= 0) return false;
      gap = pos;
      i++;
      if (i === to) break;
    } else if (i === to) {
      return false; // a single trailing colon
    }
  }
  if (gap >= 0) {
    if (pos === 16) return false; // "::" must stand for at least one group
    const tail = pos - gap;
    out.copyWithin(at + 16 - tail, at + gap, at + pos);
    out.fill(0, at + gap, at + 16 - tail);
  } else if (pos !== 16) {
    return false;
  }
  return true;
}

function formatIPv4(b: Uint8Array, at: number): string {
  return `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
}

/** 16 bytes at `b[at]` as inet_ntop() writes them. */
function formatIPv6(b: Uint8Array, at: number): string {
  // longest run of zero 16-bit groups, at least two long, the first one on a tie
  let bestStart = -1;
  let bestLen = 0;
  let curStart = -1;
  let curLen = 0;
  for (let g = 0; g < 8; g++) {
    if (b[at + 2 * g] === 0 && b[at + 2 * g + 1] === 0) {
      if (curStart < 0) {
        curStart = g;
        curLen = 1;
      } else {
        curLen++;
      }
      if (curLen > bestLen) {
        bestStart = curStart;
        bestLen = curLen;
      }
    } else {
      curStart = -1;
      curLen = 0;
    }
  }
  if (bestLen < 2) bestStart = -1;
  // IPv4-compatible (::a.b.c.d) and IPv4-mapped (::ffff:a.b.c.d) keep the dotted form
  if (bestStart === 0) {
    if (bestLen === 6) return `::${formatIPv4(b, at + 12)}`;
    if (bestLen === 5 && b[at + 10] === 0xff && b[at + 11] === 0xff)
      return `::ffff:${formatIPv4(b, at + 12)}`;
  }
  let out = '';
  for (let g = 0; g < 8; g++) {
    if (g === bestStart) {
      out += '::';
      g += bestLen - 1;
      continue;
    }
    if (out.length > 0 && !out.endsWith(':')) out += ':';
    out += (((b[at + 2 * g] as number) << 8) | (b[at + 2 * g + 1] as number)).toString(16);
  }
  return out;
}

const scratch16 = new Uint8Array(16);

/**
 * The canonical text of an IP address (inet_ntop() form for IPv6), or null when `text`
 * is neither strict dotted IPv4 nor IPv6. A zone suffix (`%eth0`) is dropped, as the
 * PROXY protocol cannot carry it.
 */
export function canonicalIp(text: string): string | null {
  if (parseIPv4(text, 0, text.length) >= 0) return text;
  const end = zoneStart(text);
  if (!parseIPv6(text, 0, end, scratch16, 0)) return null;
  return formatIPv6(scratch16, 0);
}

/**
 * The bytes of an IP address in network order (4 for IPv4, 16 for IPv6; a zone suffix is
 * dropped), or null when `text` is not an IP address.
 */
export function ipAddressBytes(text: string): Uint8Array | null {
  const v4 = parseIPv4(text, 0, text.length);
  if (v4 >= 0) return new Uint8Array([v4 >>> 24, (v4 >>> 16) & 0xff, (v4 >>> 8) & 0xff, v4 & 0xff]);
  const out = new Uint8Array(16);
  return parseIPv6(text, 0, zoneStart(text), out, 0) ? out : null;
}

function zoneStart(text: string): number {
  const pct = text.indexOf('%');
  return pct < 0 ? text.length : pct;
}

// ---------------------------------------------------------------------------------------
// Reading.

/** The 12-byte v2 signature: \r\n\r\n\0\r\nQUIT\n. */
const V2_SIG = [0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a];
const V1_PREFIX = [0x50, 0x52, 0x4f, 0x58, 0x59, 0x20]; // "PROXY "
const V2_HEADER_LEN = 16;
const V2_ADDR_LEN_INET = 12;
const V2_ADDR_LEN_INET6 = 36;
const V2_ADDR_LEN_UNIX = 216;
/** Limits HAProxy applies to two TLVs it stores (PP2_AUTHORITY_MAX, UNIQUEID_LEN). */
const PP2_AUTHORITY_MAX = 255;
const PP2_UNIQUE_ID_MAX = 128;

export interface ProxyReaderOptions {
  /** Largest accepted v2 header, in bytes (default 16384, HAProxy's `tune.bufsize`). */
  readonly maxV2Length?: number;
  /**
   * HAProxy 2.6's behaviour: the whole header must be in the first chunk, otherwise the
   * connection is refused as truncated. Default false: the header may come in pieces.
   */
  readonly singleRead?: boolean;
}

/**
 * Parses a PROXY header at the start of `buf` (the first bytes of a connection). Answers
 * `more` when `buf` is a valid beginning of a header but not a whole one, and an error as
 * soon as the bytes seen cannot start one. `used` in the result is the header's length.
 */
export function parseProxyHeader(buf: Buffer, options?: ProxyReaderOptions): ProxyReadResult {
  const n = buf.length;
  if (n === 0) return NEED_MORE;
  const first = buf[0] as number;
  if (first === V1_PREFIX[0]) return parseV1(buf);
  if (first === V2_SIG[0]) return parseV2(buf, options?.maxV2Length ?? PROXY_V2_DEFAULT_MAX_LENGTH);
  return fail(
    'HAP_ERR_PROXY_NOT_HEADER',
    `not a PROXY protocol header: first byte 0x${first.toString(16).padStart(2, '0')} starts neither "PROXY " (v1) nor the v2 signature`,
    0,
  );
}

// v1 -----------------------------------------------------------------------------------

const PROTO_TCP4 = 'TCP4 ';
const PROTO_TCP6 = 'TCP6 ';
const PROTO_UNKNOWN = 'UNKNOWN';

function isV1FieldChar(c: number, v6: boolean): boolean {
  if ((c >= CH_0 && c <= CH_9) || c === CH_DOT || c === CH_SP) return true;
  return v6 && (c === CH_COLON || hexValue(c) >= 0);
}

function parseV1(buf: Buffer): ProxyReadResult {
  const n = buf.length;
  const prefixLen = Math.min(n, V1_PREFIX.length);
  for (let i = 0; i < prefixLen; i++) {
    if (buf[i] !== V1_PREFIX[i]) {
      return fail('HAP_ERR_PROXY_NOT_HEADER', 'not a PROXY protocol header: does not start with "PROXY "', i);
    }
  }
  if (n <= V1_PREFIX.length) return NEED_MORE;

  // which protocol word; checked as far as the bytes go, so junk fails early
  let proto = '';
  for (const word of [PROTO_TCP4, PROTO_TCP6, PROTO_UNKNOWN]) {
    let ok = true;
    const m = Math.min(word.length, n - 6);
    for (let i = 0; i < m; i++) {
      if (buf[6 + i] !== word.charCodeAt(i)) {
        ok = false;
        break;
      }
    }
    if (ok) {
      proto = word;
      break;
    }
  }
  if (proto === '') {
    return fail(
      'HAP_ERR_PROXY_BAD_PROTO',
      'PROXY v1: the protocol is not one of "TCP4", "TCP6", "UNKNOWN"',
      V1_PREFIX.length,
    );
  }
  const fieldsStart = 6 + proto.length;
  if (n <= fieldsStart) return NEED_MORE;
  const unknown = proto === PROTO_UNKNOWN;
  if (unknown) {
    const c = buf[fieldsStart] as number;
    if (c !== CH_SP && c !== CH_CR && c !== CH_LF) {
      return fail(
        'HAP_ERR_PROXY_BAD_PROTO',
        'PROXY v1: the protocol is not one of "TCP4", "TCP6", "UNKNOWN"',
        6,
      );
    }
  }

  // the line: CRLF within the first 107 bytes; a lone CR or LF is an error
  const limit = Math.min(n, PROXY_V1_MAX_LENGTH);
  const v6 = proto === PROTO_TCP6;
  let cr = -1;
  for (let i = fieldsStart; i < limit; i++) {
    const c = buf[i] as number;
    if (c === CH_CR) {
      if (i + 1 >= PROXY_V1_MAX_LENGTH) break; // its LF would be byte 108
      if (i + 1 >= n) return NEED_MORE;
      if (buf[i + 1] !== CH_LF)
        return fail('HAP_ERR_PROXY_BAD_HEADER', 'PROXY v1: CR not followed by LF', i + 1);
      cr = i;
      break;
    }
    if (c === CH_LF) return fail('HAP_ERR_PROXY_BAD_HEADER', 'PROXY v1: line ends with LF alone', i);
    if (!unknown && !isV1FieldChar(c, v6)) {
      return fail(
        'HAP_ERR_PROXY_BAD_HEADER',
        `PROXY v1: unexpected byte 0x${c.toString(16).padStart(2, '0')} in the ${v6 ? 'TCP6' : 'TCP4'} line`,
        i,
      );
    }
  }
  if (cr < 0) {
    if (limit === PROXY_V1_MAX_LENGTH) {
      return fail(
        'HAP_ERR_PROXY_BAD_HEADER',
        `PROXY v1: no CRLF within the first ${PROXY_V1_MAX_LENGTH} bytes`,
        PROXY_V1_MAX_LENGTH,
      );
    }
    return NEED_MORE;
  }
  const length = cr + 2;
  if (unknown) {
    return {
      status: 'done',
      header: {
        version: 1,
        command: 'PROXY',
        family: 'UNKNOWN',
        transport: 'UNSPEC',
        src: null,
        srcPort: 0,
        dst: null,
        dstPort: 0,
        tlvs: NO_TLVS,
        length,
      },
      used: length,
    };
  }
  return parseV1Fields(buf.toString('latin1', fieldsStart, cr), fieldsStart, v6, length);
}

/** "<src> <dst> <sport> <dport>", exactly one space between fields. */
function parseV1Fields(line: string, base: number, v6: boolean, length: number): ProxyReadResult {
  const s1 = line.indexOf(' ');
  const s2 = s1 < 0 ? -1 : line.indexOf(' ', s1 + 1);
  const s3 = s2 < 0 ? -1 : line.indexOf(' ', s2 + 1);
  if (s3 < 0 || line.indexOf(' ', s3 + 1) >= 0) {
    return fail(
      'HAP_ERR_PROXY_BAD_HEADER',
      'PROXY v1: expected "<src> <dst> <src port> <dst port>" separated by single spaces',
      base,
    );
  }
  const family = v6 ? 'TCP6' : 'TCP4';
  let src: string | null;
  let dst: string | null;
  if (v6) {
    src = parseIPv6(line, 0, s1, scratch16, 0) ? formatIPv6(scratch16, 0) : null;
    dst = parseIPv6(line, s1 + 1, s2, scratch16, 0) ? formatIPv6(scratch16, 0) : null;
  } else {
    src = parseIPv4(line, 0, s1) >= 0 ? line.slice(0, s1) : null;
    dst = parseIPv4(line, s1 + 1, s2) >= 0 ? line.slice(s1 + 1, s2) : null;
  }
  if (src === null) {
    return fail(
      'HAP_ERR_PROXY_BAD_HEADER',
      `PROXY v1: invalid ${family} source address "${line.slice(0, s1)}"`,
      base,
    );
  }
  if (dst === null) {
    return fail(
      'HAP_ERR_PROXY_BAD_HEADER',
      `PROXY v1: invalid ${family} destination address "${line.slice(s1 + 1, s2)}"`,
      base + s1 + 1,
    );
  }
  const srcPort = parsePort(line, s2 + 1, s3);
  if (srcPort < 0) {
    return fail(
      'HAP_ERR_PROXY_BAD_HEADER',
      `PROXY v1: invalid source port "${line.slice(s2 + 1, s3)}" (0-65535, no leading zero)`,
      base + s2 + 1,
    );
  }
  const dstPort = parsePort(line, s3 + 1, line.length);
  if (dstPort < 0) {
    return fail(
      'HAP_ERR_PROXY_BAD_HEADER',
      `PROXY v1: invalid destination port "${line.slice(s3 + 1)}" (0-65535, no leading zero)`,
      base + s3 + 1,
    );
  }
  return {
    status: 'done',
    header: {
      version: 1,
      command: 'PROXY',
      family,
      transport: 'STREAM',
      src,
      srcPort,
      dst,
      dstPort,
      tlvs: NO_TLVS,
      length,
    },
    used: length,
  };
}

function parsePort(s: string, from: number, to: number): number {
  const digits = to - from;
  if (digits < 1 || digits > 5) return -1;
  if (digits > 1 && s.charCodeAt(from) === CH_0) return -1;
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c < CH_0 || c > CH_9) return -1;
    n = n * 10 + (c - CH_0);
  }
  return n <= 65535 ? n : -1;
}

// v2 -----------------------------------------------------------------------------------

function parseV2(buf: Buffer, maxLength: number): ProxyReadResult {
  const n = buf.length;
  const sigLen = Math.min(n, V2_SIG.length);
  for (let i = 0; i < sigLen; i++) {
    if (buf[i] !== V2_SIG[i]) {
      return fail('HAP_ERR_PROXY_NOT_HEADER', 'not a PROXY protocol header: bad v2 signature', i);
    }
  }
  if (n <= 12) return NEED_MORE;
  const verCmd = buf[12] as number;
  if (verCmd >> 4 !== 2) {
    return fail('HAP_ERR_PROXY_NOT_HEADER', `PROXY v2: version ${verCmd >> 4} instead of 2`, 12);
  }
  const cmd = verCmd & 0x0f;
  if (cmd > 1) return fail('HAP_ERR_PROXY_BAD_HEADER', `PROXY v2: unknown command ${cmd}`, 12);
  if (n < V2_HEADER_LEN) return NEED_MORE;
  const famByte = buf[13] as number;
  const total = V2_HEADER_LEN + (((buf[14] as number) << 8) | (buf[15] as number));
  if (total > maxLength) {
    return fail(
      'HAP_ERR_PROXY_TOO_LARGE',
      `PROXY v2: a ${total}-byte header is larger than the ${maxLength} bytes accepted`,
      14,
    );
  }
  // check the family before waiting for the whole block, so that junk fails early
  let family: ProxyFamily;
  let transport: ProxyTransport;
  let addrLen: number;
  if (cmd === 0) {
    family = 'UNKNOWN';
    transport = 'UNSPEC';
    addrLen = 0;
  } else {
    switch (famByte) {
      case 0x00:
        family = 'UNKNOWN';
        transport = 'UNSPEC';
        addrLen = 0;
        break;
      case 0x11:
      case 0x12:
        family = 'TCP4';
        transport = famByte === 0x11 ? 'STREAM' : 'DGRAM';
        addrLen = V2_ADDR_LEN_INET;
        break;
      case 0x21:
      case 0x22:
        family = 'TCP6';
        transport = famByte === 0x21 ? 'STREAM' : 'DGRAM';
        addrLen = V2_ADDR_LEN_INET6;
        break;
      case 0x31:
      case 0x32:
        family = 'UNIX';
        transport = famByte === 0x31 ? 'STREAM' : 'DGRAM';
        addrLen = V2_ADDR_LEN_UNIX;
        break;
      default:
        return fail(
          'HAP_ERR_PROXY_BAD_HEADER',
          `PROXY v2: unknown address family/transport byte 0x${famByte.toString(16).padStart(2, '0')}`,
          13,
        );
    }
    if (total - V2_HEADER_LEN < addrLen) {
      return fail(
        'HAP_ERR_PROXY_BAD_HEADER',
        `PROXY v2: ${total - V2_HEADER_LEN} bytes of addresses, ${family} needs ${addrLen}`,
        14,
      );
    }
  }
  if (n < total) return NEED_MORE;

  // LOCAL, and PROXY over UNSPEC: the block is skipped, addresses come from the connection
  if (family === 'UNKNOWN') {
    return {
      status: 'done',
      header: {
        version: 2,
        command: cmd === 0 ? 'LOCAL' : 'PROXY',
        family,
        transport,
        src: null,
        srcPort: 0,
        dst: null,
        dstPort: 0,
        tlvs: NO_TLVS,
        length: total,
      },
      used: total,
    };
  }

  let src: string;
  let dst: string;
  let srcPort = 0;
  let dstPort = 0;
  const a = V2_HEADER_LEN;
  if (family === 'TCP4') {
    src = formatIPv4(buf, a);
    dst = formatIPv4(buf, a + 4);
    srcPort = buf.readUInt16BE(a + 8);
    dstPort = buf.readUInt16BE(a + 10);
  } else if (family === 'TCP6') {
    src = formatIPv6(buf, a);
    dst = formatIPv6(buf, a + 16);
    srcPort = buf.readUInt16BE(a + 32);
    dstPort = buf.readUInt16BE(a + 34);
  } else {
    src = unixPath(buf, a);
    dst = unixPath(buf, a + 108);
  }

  const tlvs = readTlvs(buf, a + addrLen, total);
  if (!Array.isArray(tlvs)) return tlvs as ProxyFailed;
  return {
    status: 'done',
    header: {
      version: 2,
      command: 'PROXY',
      family,
      transport,
      src,
      srcPort,
      dst,
      dstPort,
      tlvs: tlvs.length === 0 ? NO_TLVS : tlvs,
      length: total,
    },
    used: total,
  };
}

/** A 108-byte sun_path: its bytes without the trailing NUL padding (abstract names keep their leading NUL). */
function unixPath(buf: Buffer, at: number): string {
  let end = at + 108;
  while (end > at && buf[end - 1] === 0) end--;
  // a regular path ends at its first NUL
  if (end > at && buf[at] !== 0) {
    const nul = buf.indexOf(0, at);
    if (nul >= 0 && nul < end) end = nul;
  }
  return buf.toString('utf8', at, end);
}

function readTlvs(buf: Buffer, from: number, total: number): ProxyTlv[] | ProxyFailed {
  const tlvs: ProxyTlv[] = [];
  let at = from;
  while (at < total) {
    if (at + 3 > total) {
      return fail('HAP_ERR_PROXY_BAD_HEADER', `PROXY v2: ${total - at} stray bytes after the TLVs`, at);
    }
    const type = buf[at] as number;
    const len = ((buf[at + 1] as number) << 8) | (buf[at + 2] as number);
    const start = at + 3;
    if (start + len > total) {
      return fail(
        'HAP_ERR_PROXY_BAD_HEADER',
        `PROXY v2: TLV 0x${type.toString(16).padStart(2, '0')} of ${len} bytes runs past the header`,
        at,
      );
    }
    if (type === PP2_TYPE_CRC32C) {
      if (len !== 4) {
        return fail('HAP_ERR_PROXY_BAD_HEADER', `PROXY v2: CRC32C TLV of ${len} bytes instead of 4`, at);
      }
      const sent = buf.readUInt32BE(start);
      const computed = crc32cWithHole(buf, total, start);
      if (sent !== computed) {
        return fail(
          'HAP_ERR_PROXY_BAD_HEADER',
          `PROXY v2: CRC32C mismatch (header says 0x${sent.toString(16)}, computed 0x${computed.toString(16)})`,
          start,
        );
      }
    } else if (type === PP2_TYPE_AUTHORITY && len > PP2_AUTHORITY_MAX) {
      return fail(
        'HAP_ERR_PROXY_BAD_HEADER',
        `PROXY v2: AUTHORITY TLV of ${len} bytes (at most ${PP2_AUTHORITY_MAX})`,
        at,
      );
    } else if (type === PP2_TYPE_UNIQUE_ID && len > PP2_UNIQUE_ID_MAX) {
      return fail(
        'HAP_ERR_PROXY_BAD_HEADER',
        `PROXY v2: UNIQUE_ID TLV of ${len} bytes (at most ${PP2_UNIQUE_ID_MAX})`,
        at,
      );
    }
    tlvs.push({ type, value: buf.subarray(start, start + len) });
    at = start + len;
  }
  return tlvs;
}

// CRC32C (Castagnoli, reflected polynomial 0x82F63B78), as RFC 4960 appendix B.
const CRC32C_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

function crc32cUpdate(crc: number, buf: Uint8Array, from: number, to: number): number {
  let c = crc;
  for (let i = from; i < to; i++) c = (CRC32C_TABLE[(c ^ (buf[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return c;
}

/** CRC32C of `data`. */
export function crc32c(data: Uint8Array): number {
  return (crc32cUpdate(0xffffffff, data, 0, data.length) ^ 0xffffffff) >>> 0;
}

/** CRC32C of buf[0, total) with the four bytes at `hole` counted as zeros. */
function crc32cWithHole(buf: Uint8Array, total: number, hole: number): number {
  let c = crc32cUpdate(0xffffffff, buf, 0, hole);
  for (let k = 0; k < 4; k++) c = (CRC32C_TABLE[c & 0xff] as number) ^ (c >>> 8);
  c = crc32cUpdate(c, buf, hole + 4, total);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * Reads the PROXY header at the start of a connection, chunk by chunk.
 *
 * ```
 *   WAITING ──push(chunk)──► 'more' (stays WAITING)
 *      │
 *      ├──► 'done'  (DONE: header + bytes of this chunk used; the rest is payload)
 *      └──► 'error' (FAILED: close the connection)
 * ```
 *
 * When the first chunk holds the whole header (the usual case) nothing is copied.
 */
export class ProxyHeaderReader {
  private readonly maxV2Length: number;
  private readonly singleRead: boolean;
  /** Bytes received so far while the header is incomplete (null: none kept). */
  private pending: Buffer | null;
  private received: number;
  private finished: boolean;

  constructor(options: ProxyReaderOptions = {}) {
    this.maxV2Length = options.maxV2Length ?? PROXY_V2_DEFAULT_MAX_LENGTH;
    this.singleRead = options.singleRead ?? false;
    this.pending = null;
    this.received = 0;
    this.finished = false;
  }

  /** Whether a header or an error has been returned (push() may not be called again). */
  get done(): boolean {
    return this.finished;
  }

  /** Bytes received so far. */
  get bytesReceived(): number {
    return this.received;
  }

  /** Takes the next chunk of the connection. Throws when called after 'done' or 'error'. */
  push(chunk: Buffer): ProxyReadResult {
    if (this.finished) throw new Error('ProxyHeaderReader: the header was already read (reset() first)');
    if (chunk.length === 0) return NEED_MORE;
    const before = this.pending === null ? 0 : this.pending.length;
    const buf = this.pending === null ? chunk : Buffer.concat([this.pending, chunk]);
    this.received += chunk.length;
    const r = parseProxyHeader(buf, { maxV2Length: this.maxV2Length });
    if (r.status === 'more') {
      if (this.singleRead) {
        this.finish();
        return fail(
          'HAP_ERR_PROXY_TRUNCATED',
          `PROXY header incomplete in the first ${buf.length} bytes received`,
          buf.length,
        );
      }
      // keep a copy: the caller may reuse its chunk
      this.pending = buf === chunk ? Buffer.from(chunk) : buf;
      return NEED_MORE;
    }
    this.finish();
    if (r.status === 'error') return r;
    return before === 0 ? r : { status: 'done', header: r.header, used: r.used - before };
  }

  /**
   * The peer closed (or half-closed) before a whole header came: the error to report,
   * EMPTY when nothing was received, TRUNCATED otherwise.
   */
  end(): ProxyProtocolError {
    this.finish();
    if (this.received === 0) {
      return new ProxyProtocolError(
        'HAP_ERR_PROXY_EMPTY',
        'connection closed before any PROXY header byte',
        0,
      );
    }
    return new ProxyProtocolError(
      'HAP_ERR_PROXY_TRUNCATED',
      `connection closed after ${this.received} bytes of an incomplete PROXY header`,
      this.received,
    );
  }

  /** Back to the initial state, for another connection. */
  reset(): void {
    this.pending = null;
    this.received = 0;
    this.finished = false;
  }

  private finish(): void {
    this.finished = true;
    this.pending = null;
  }
}

// ---------------------------------------------------------------------------------------
// Writing (server side: send-proxy, send-proxy-v2).

/** The two ends of the proxied connection. Addresses are IPv4 or IPv6 text (a zone suffix is ignored). */
export interface ProxyAddresses {
  readonly src: string;
  readonly srcPort: number;
  readonly dst: string;
  readonly dstPort: number;
}

/** Thrown by the encoders for an address or port they cannot write. */
export class ProxyEncodeError extends TypeError {
  readonly code: 'HAP_ERR_PROXY_ADDRESS' | 'HAP_ERR_PROXY_PORT' | 'HAP_ERR_PROXY_TLV';

  constructor(code: ProxyEncodeError['code'], message: string) {
    super(message);
    this.name = 'ProxyEncodeError';
    this.code = code;
  }
}

function checkPort(port: number, which: string): void {
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ProxyEncodeError('HAP_ERR_PROXY_PORT', `PROXY header: ${which} port ${port} is not 0-65535`);
  }
}

/**
 * Writes `text` as 16 IPv6 bytes at `out[at]`, an IPv4 address as IPv4-mapped. Throws
 * for text that is no IP address.
 */
function writeIp6(text: string, out: Uint8Array, at: number, which: string): void {
  const v4 = parseIPv4(text, 0, text.length);
  if (v4 >= 0) {
    out.fill(0, at, at + 10);
    out[at + 10] = 0xff;
    out[at + 11] = 0xff;
    out[at + 12] = v4 >>> 24;
    out[at + 13] = (v4 >>> 16) & 0xff;
    out[at + 14] = (v4 >>> 8) & 0xff;
    out[at + 15] = v4 & 0xff;
    return;
  }
  if (!parseIPv6(text, 0, zoneStart(text), out, at)) {
    throw new ProxyEncodeError(
      'HAP_ERR_PROXY_ADDRESS',
      `PROXY header: ${which} address "${text}" is not an IP address`,
    );
  }
}

function checkIp(text: string, which: string): boolean {
  if (parseIPv4(text, 0, text.length) >= 0) return true;
  if (!parseIPv6(text, 0, zoneStart(text), scratch16, 0)) {
    throw new ProxyEncodeError(
      'HAP_ERR_PROXY_ADDRESS',
      `PROXY header: ${which} address "${text}" is not an IP address`,
    );
  }
  return false;
}

/**
 * The v1 line HAProxy's `send-proxy` writes: "TCP4" when both addresses are IPv4, else
 * "TCP6" with any IPv4 address written IPv4-mapped; "PROXY UNKNOWN\r\n" for `null` (no
 * usable addresses, e.g. a UNIX socket client).
 */
export function encodeProxyV1(addrs: ProxyAddresses | null): Buffer {
  if (addrs === null) return Buffer.from('PROXY UNKNOWN\r\n', 'latin1');
  checkPort(addrs.srcPort, 'source');
  checkPort(addrs.dstPort, 'destination');
  const src4 = checkIp(addrs.src, 'source');
  const dst4 = checkIp(addrs.dst, 'destination');
  let line: string;
  if (src4 && dst4) {
    line = `PROXY TCP4 ${addrs.src} ${addrs.dst} ${addrs.srcPort} ${addrs.dstPort}\r\n`;
  } else {
    writeIp6(addrs.src, scratch16, 0, 'source');
    const src = formatIPv6(scratch16, 0);
    writeIp6(addrs.dst, scratch16, 0, 'destination');
    const dst = formatIPv6(scratch16, 0);
    line = `PROXY TCP6 ${src} ${dst} ${addrs.srcPort} ${addrs.dstPort}\r\n`;
  }
  return Buffer.from(line, 'latin1');
}

export interface ProxyV2Options {
  /**
   * TLVs to append, in this order (HAProxy's order is ALPN, AUTHORITY, UNIQUE_ID, SSL,
   * NETNS). Values given as strings are written as UTF-8.
   */
  readonly tlvs?: readonly { readonly type: number; readonly value: Uint8Array | string }[];
  /** Add a CRC32C TLV first, as `proxy-v2-options crc32c` does. */
  readonly crc32c?: boolean;
}

/**
 * The binary header HAProxy's `send-proxy-v2` writes: PROXY over TCP/IPv4 when both
 * addresses are IPv4, else TCP/IPv6 (IPv4 written IPv4-mapped); LOCAL with the UNSPEC
 * family for `null` (what HAProxy sends on its own connections, health checks).
 */
export function encodeProxyV2(addrs: ProxyAddresses | null, options: ProxyV2Options = {}): Buffer {
  let famByte = 0x00;
  let addrLen = 0;
  if (addrs !== null) {
    checkPort(addrs.srcPort, 'source');
    checkPort(addrs.dstPort, 'destination');
    const both4 = checkIp(addrs.src, 'source') && checkIp(addrs.dst, 'destination');
    famByte = both4 ? 0x11 : 0x21;
    addrLen = both4 ? V2_ADDR_LEN_INET : V2_ADDR_LEN_INET6;
  }
  const tlvs = options.tlvs ?? [];
  const values: Uint8Array[] = [];
  let tlvLen = options.crc32c ? 7 : 0;
  for (const t of tlvs) {
    if (!Number.isInteger(t.type) || t.type < 0 || t.type > 255) {
      throw new ProxyEncodeError('HAP_ERR_PROXY_TLV', `PROXY v2: TLV type ${t.type} is not 0-255`);
    }
    const v = typeof t.value === 'string' ? Buffer.from(t.value, 'utf8') : t.value;
    if (v.length > 65535) {
      throw new ProxyEncodeError(
        'HAP_ERR_PROXY_TLV',
        `PROXY v2: TLV 0x${t.type.toString(16)} value of ${v.length} bytes`,
      );
    }
    values.push(v);
    tlvLen += 3 + v.length;
  }
  const bodyLen = addrLen + tlvLen;
  if (bodyLen > 65535) {
    throw new ProxyEncodeError(
      'HAP_ERR_PROXY_TLV',
      `PROXY v2: ${bodyLen} bytes after the header do not fit its 16-bit length`,
    );
  }
  const total = V2_HEADER_LEN + bodyLen;
  const out = Buffer.allocUnsafe(total);
  for (let i = 0; i < 12; i++) out[i] = V2_SIG[i] as number;
  out[12] = addrs === null ? 0x20 : 0x21;
  out[13] = famByte;
  out[14] = bodyLen >> 8;
  out[15] = bodyLen & 0xff;
  let at = V2_HEADER_LEN;
  if (addrs !== null) {
    if (famByte === 0x11) {
      writeIp4(addrs.src, out, at);
      writeIp4(addrs.dst, out, at + 4);
      out.writeUInt16BE(addrs.srcPort, at + 8);
      out.writeUInt16BE(addrs.dstPort, at + 10);
    } else {
      writeIp6(addrs.src, out, at, 'source');
      writeIp6(addrs.dst, out, at + 16, 'destination');
      out.writeUInt16BE(addrs.srcPort, at + 32);
      out.writeUInt16BE(addrs.dstPort, at + 34);
    }
    at += addrLen;
  }
  let crcAt = -1;
  if (options.crc32c) {
    out[at] = PP2_TYPE_CRC32C;
    out[at + 1] = 0;
    out[at + 2] = 4;
    crcAt = at + 3;
    out.writeUInt32BE(0, crcAt);
    at += 7;
  }
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as Uint8Array;
    out[at] = (tlvs[i] as { type: number }).type;
    out[at + 1] = v.length >> 8;
    out[at + 2] = v.length & 0xff;
    out.set(v, at + 3);
    at += 3 + v.length;
  }
  if (crcAt >= 0) out.writeUInt32BE(crc32c(out), crcAt);
  return out;
}

function writeIp4(text: string, out: Uint8Array, at: number): void {
  const v = parseIPv4(text, 0, text.length);
  out[at] = v >>> 24;
  out[at + 1] = (v >>> 16) & 0xff;
  out[at + 2] = (v >>> 8) & 0xff;
  out[at + 3] = v & 0xff;
}
