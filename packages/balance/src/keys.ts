/**
 * Reading the keys the hashing algorithms hash, with HAProxy's rules. Functions that
 * find a part of their input write its bounds into a `Range` the caller owns, so that
 * nothing is allocated per request.
 */

import type { Bytes } from './hash.ts';

/** Bounds [start, end) within some input. */
export interface Range {
  start: number;
  end: number;
}

function byteAt(data: Bytes, i: number): number {
  return typeof data === 'string' ? data.charCodeAt(i) & 0xff : data[i]!;
}

const groups = new Uint16Array(8);

/**
 * The client address folded to 32 bits as `source` hashes it: an IPv4 address as its
 * big-endian value, an IPv6 address as the xor of its four 32-bit words. -1 when the
 * text is not an address. A zone (`%eth0`) is ignored.
 */
export function foldAddress(ip: string): number {
  const v4 = parseIpv4(ip, 0, ip.length);
  if (v4 >= 0) return v4;
  let end = ip.indexOf('%');
  if (end < 0) end = ip.length;
  if (!parseIpv6(ip, end)) return -1;
  const g = groups;
  return (
    (((g[0]! << 16) | g[1]!) ^
      ((g[2]! << 16) | g[3]!) ^
      ((g[4]! << 16) | g[5]!) ^
      ((g[6]! << 16) | g[7]!)) >>>
    0
  );
}

/** Dotted IPv4 in [start, end) → its value, or -1. */
function parseIpv4(s: string, start: number, end: number): number {
  let value = 0;
  let parts = 0;
  let i = start;
  while (parts < 4) {
    let n = 0;
    let digits = 0;
    while (i < end) {
      const c = s.charCodeAt(i) - 0x30;
      if (c < 0 || c > 9) break;
      n = n * 10 + c;
      digits++;
      i++;
    }
    if (digits === 0 || digits > 3 || n > 255) return -1;
    value = value * 256 + n;
    parts++;
    if (parts < 4) {
      if (i >= end || s.charCodeAt(i) !== 0x2e /* . */) return -1;
      i++;
    }
  }
  return i === end ? value : -1;
}

/** IPv6 text in [0, end) into `groups`; false if malformed. */
function parseIpv6(s: string, end: number): boolean {
  const g = groups;
  g.fill(0);
  let i = 0;
  let n = 0; // groups written
  let gap = -1; // where '::' stands, in groups
  if (end >= 2 && s.charCodeAt(0) === 0x3a && s.charCodeAt(1) === 0x3a) {
    gap = 0;
    i = 2;
    if (i === end) return true;
  } else if (end > 0 && s.charCodeAt(0) === 0x3a) {
    return false;
  }
  while (i < end) {
    if (n === 8) return false;
    // an embedded IPv4 address takes the last two groups
    const dot = s.indexOf('.', i);
    const colon = s.indexOf(':', i);
    if (dot >= 0 && dot < end && (colon < 0 || colon >= end || dot < colon)) {
      if (n > 6) return false;
      const v4 = parseIpv4(s, i, end);
      if (v4 < 0) return false;
      g[n++] = v4 >>> 16;
      g[n++] = v4 & 0xffff;
      i = end;
      break;
    }
    let v = 0;
    let digits = 0;
    while (i < end) {
      const c = s.charCodeAt(i);
      const d =
        c >= 0x30 && c <= 0x39
          ? c - 0x30
          : c >= 0x61 && c <= 0x66
            ? c - 87
            : c >= 0x41 && c <= 0x46
              ? c - 55
              : -1;
      if (d < 0) break;
      v = v * 16 + d;
      digits++;
      i++;
    }
    if (digits === 0 || digits > 4) return false;
    g[n++] = v;
    if (i === end) break;
    if (s.charCodeAt(i) !== 0x3a) return false;
    i++;
    if (i < end && s.charCodeAt(i) === 0x3a) {
      if (gap >= 0) return false;
      gap = n;
      i++;
      if (i === end) break;
    } else if (i === end) {
      return false; // trailing single ':'
    }
  }
  if (gap < 0) return n === 8;
  if (n === 8) return false;
  // move the groups written after '::' to the end
  const tail = n - gap;
  for (let k = tail - 1; k >= 0; k--) {
    g[8 - tail + k] = g[gap + k]!;
  }
  for (let k = gap; k < 8 - tail; k++) g[k] = 0;
  return true;
}

/**
 * `path-only`: the path of a request target, from its first '/' (after the scheme and
 * authority of an absolute URI) to its end, query included. An empty range when there is
 * none (`*`, an authority, `http://host`).
 */
export function pathRange(uri: string, out: Range): void {
  out.start = 0;
  out.end = 0;
  const end = uri.length;
  if (end === 0) return;
  const c0 = uri.charCodeAt(0);
  if (c0 === 0x2f /* / */) {
    out.end = end;
    return;
  }
  if (c0 === 0x2a /* * */ || !isAlpha(c0)) return;
  // scheme "://"
  let i = 1;
  while (i < end) {
    const c = uri.charCodeAt(i);
    if (isAlpha(c) || (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e) i++;
    else break;
  }
  if (i + 2 >= end) return;
  if (uri.charCodeAt(i) !== 0x3a || uri.charCodeAt(i + 1) !== 0x2f || uri.charCodeAt(i + 2) !== 0x2f) return;
  i += 3;
  while (i < end && uri.charCodeAt(i) !== 0x2f) i++;
  if (i === end) return;
  out.start = i;
  out.end = end;
}

function isAlpha(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

/**
 * `uri`'s key within [start, end): up to the '?' (unless `whole`), at most `len` bytes
 * (0: no limit), and no further than the slash that opens level `depth + 1` (0: no
 * limit). Writes the bounds into `out`.
 */
export function uriKeyRange(
  uri: string,
  start: number,
  end: number,
  whole: boolean,
  len: number,
  depth: number,
  out: Range,
): void {
  let left = end - start;
  if (len > 0 && len < left) left = len;
  let slashes = 0;
  let i = start;
  while (left-- > 0) {
    const c = uri.charCodeAt(i);
    if (c === 0x2f) {
      slashes++;
      if (slashes === depth + 1 && depth > 0) break;
    } else if (c === 0x3f /* ? */ && !whole) {
      break;
    }
    i++;
  }
  out.start = start;
  out.end = i;
}

/**
 * Finds `name=` among the `&`-separated parameters in [start, end) of `data` (the query
 * string after '?', or a form body) and writes the value's bounds into `out`, up to the
 * next '&'. The name is compared byte for byte (case-sensitive). With `form`, the value's
 * first byte must be a token character: a space or line end there means an empty value,
 * anything else means the body is not a form (false).
 */
export function findParam(
  data: Bytes,
  start: number,
  end: number,
  name: string,
  form: boolean,
  out: Range,
): boolean {
  const plen = name.length;
  let params = start;
  let left = end - start;
  while (left > plen) {
    if (byteAt(data, params + plen) === 0x3d /* = */ && sameBytes(data, params, name)) {
      const value = params + plen + 1;
      left -= plen + 1;
      let v = value;
      if (form && left > 0 && !isToken(byteAt(data, value))) {
        if (!isLws(byteAt(data, value))) return false;
        out.start = value;
        out.end = value;
        return true;
      }
      while (left > 0 && byteAt(data, v) !== 0x26 /* & */) {
        left--;
        v++;
      }
      out.start = value;
      out.end = v;
      return true;
    }
    // skip to the next parameter
    let amp = -1;
    for (let i = params; i < params + left; i++) {
      if (byteAt(data, i) === 0x26) {
        amp = i;
        break;
      }
    }
    if (amp < 0) return false;
    left -= amp + 1 - params;
    params = amp + 1;
  }
  return false;
}

function sameBytes(data: Bytes, at: number, name: string): boolean {
  for (let i = 0; i < name.length; i++)
    if (byteAt(data, at + i) !== (name.charCodeAt(i) & 0xff)) return false;
  return true;
}

/** RFC 9110 token characters. */
function isToken(c: number): boolean {
  if ((c >= 0x30 && c <= 0x39) || isAlpha(c)) return true;
  switch (c) {
    case 0x21: // !
    case 0x23: // #
    case 0x24: // $
    case 0x25: // %
    case 0x26: // &
    case 0x27: // '
    case 0x2a: // *
    case 0x2b: // +
    case 0x2d: // -
    case 0x2e: // .
    case 0x5e: // ^
    case 0x5f: // _
    case 0x60: // `
    case 0x7c: // |
    case 0x7e: // ~
      return true;
    default:
      return false;
  }
}

/** Space, tab, CR, LF. */
function isLws(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;
}

/**
 * A header's first value, as HAProxy takes it: leading blanks skipped, up to the first
 * comma outside double quotes, trailing blanks dropped.
 */
export function firstValueRange(value: string, out: Range): void {
  let i = 0;
  const end = value.length;
  while (i < end && isLws(value.charCodeAt(i))) i++;
  const start = i;
  let quoted = false;
  let escaped = false;
  for (; i < end; i++) {
    const c = value.charCodeAt(i);
    if (escaped) escaped = false;
    else if (quoted) {
      if (c === 0x5c /* \ */) escaped = true;
      else if (c === 0x22) quoted = false;
    } else if (c === 0x22) quoted = true;
    else if (c === 0x2c) break;
  }
  let stop = i;
  while (stop > start && isLws(value.charCodeAt(stop - 1))) stop--;
  out.start = start;
  out.end = stop;
}

/**
 * `use_domain_only`: within [start, end), the label before the last dot
 * (`haproxy.1wt.eu` → `1wt`); the part before a single dot; everything without a dot.
 */
export function domainRange(value: string, start: number, end: number, out: Range): void {
  let p = end;
  let left = end - start;
  let stop = end;
  let inLabel = false;
  while (left > 0) {
    if (inLabel) {
      if (value.charCodeAt(p - 1) === 0x2e) break;
    } else if (p < end && value.charCodeAt(p) === 0x2e) {
      stop = p;
      inLabel = true;
    }
    p--;
    left--;
  }
  out.start = p;
  out.end = stop;
}

/**
 * The value of RDP cookie `name` in an RDP connection request: after the 11 bytes of
 * TPKT and X.224 headers comes `Cookie: <name>=<value>\r\n` (`Cookie:` and the name
 * compared without case). False when absent or incomplete.
 */
export function rdpCookieRange(payload: Uint8Array, name: string, out: Range): boolean {
  const end = payload.length;
  let i = 11;
  if (end - i <= 7) return false;
  if (!asciiCaseEqual(payload, i, 'cookie:')) return false;
  i += 7;
  while (i < end && payload[i] === 0x20) i++;
  const clen = name.length;
  if (end - i <= clen) return false;
  if (payload[i + clen] !== 0x3d || !asciiCaseEqual(payload, i, name)) return false;
  i += clen + 1;
  const start = i;
  while (i < end && payload[i] !== 0x0d) i++;
  if (end - i < 2 || payload[i + 1] !== 0x0a) return false;
  out.start = start;
  out.end = i;
  return true;
}

function asciiCaseEqual(data: Uint8Array, at: number, text: string): boolean {
  for (let k = 0; k < text.length; k++) {
    let a = data[at + k]!;
    let b = text.charCodeAt(k) & 0xff;
    if (a >= 0x41 && a <= 0x5a) a += 0x20;
    if (b >= 0x41 && b <= 0x5a) b += 0x20;
    if (a !== b) return false;
  }
  return true;
}

/** The value of RDP cookie `name` (default `mstshash`) as a view into `payload`, or undefined. */
export function readRdpCookie(payload: Uint8Array, name = 'mstshash'): Uint8Array | undefined {
  const r: Range = { start: 0, end: 0 };
  return rdpCookieRange(payload, name, r) ? payload.subarray(r.start, r.end) : undefined;
}
