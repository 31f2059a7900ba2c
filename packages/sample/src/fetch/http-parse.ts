// Reading HTTP messages as HAProxy's fetches do: header values split at commas (outside
// quotes), cookies, URL parameters, the path of a request target. Everything works on
// positions in the message's own strings; nothing is copied until a value is returned.
import type { FetchCtx } from '../defs.ts';

/** ASCII case-insensitive equality of a header name with a lower-case name. */
export function nameIs(name: string, lower: string): boolean {
  if (name.length !== lower.length) return false;
  if (name === lower) return true;
  for (let i = 0; i < name.length; i++) {
    let c = name.charCodeAt(i);
    if (c >= 65 && c <= 90) c += 32;
    if (c !== lower.charCodeAt(i)) return false;
  }
  return true;
}

function isLws(c: number): boolean {
  return c === 32 || c === 9 || c === 13 || c === 10;
}

/** End of a comma-delimited value starting at `i`: the next ',' outside double quotes. */
function valueEnd(v: string, i: number): number {
  let quoted = false;
  let pair = false;
  for (; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (pair) pair = false;
    else if (quoted) {
      if (c === 92) pair = true;
      else if (c === 34) quoted = false;
    } else if (c === 34) quoted = true;
    else if (c === 44) return i;
  }
  return i;
}

/**
 * A cursor over the values of the headers named `lower` ('' = every header): `h` is the
 * index of the current header's name in the flat list (-2 before the first), `p` where the
 * next value of that header starts (-1: the header is done). `start`/`end` frame the value.
 */
export interface HdrCursor {
  h: number;
  p: number;
  start: number;
  end: number;
}

export function newCursor(): HdrCursor {
  return { h: -2, p: -1, start: 0, end: 0 };
}

export function resetCursor(c: HdrCursor): void {
  c.h = -2;
  c.p = -1;
}

/**
 * Moves to the next value; `full` keeps whole lines (fhdr). Returns false at the end. The
 * value is `headers[c.h + 1].slice(c.start, c.end)`.
 */
export function nextValue(headers: readonly string[], lower: string, full: boolean, c: HdrCursor): boolean {
  if (c.h >= 0 && c.p >= 0 && !full) {
    const v = headers[c.h + 1]!;
    // continue after the previous value: skip the comma
    let i = c.p;
    if (i < v.length) {
      if (v.charCodeAt(i) === 44) i++;
      return frame(v, i, full, c);
    }
  }
  for (let h = c.h < 0 ? 0 : c.h + 2; h < headers.length; h += 2) {
    if (lower.length > 0 && !nameIs(headers[h]!, lower)) continue;
    c.h = h;
    return frame(headers[h + 1]!, 0, full, c);
  }
  c.h = headers.length;
  c.p = -1;
  return false;
}

function frame(v: string, i: number, full: boolean, c: HdrCursor): boolean {
  while (i < v.length && isLws(v.charCodeAt(i))) i++;
  let e = full ? v.length : valueEnd(v, i);
  const next = e;
  while (e > i && isLws(v.charCodeAt(e - 1))) e--;
  c.start = i;
  c.end = e;
  c.p = full ? v.length : next;
  return true;
}

/** The cursor's current value. */
export function cursorValue(headers: readonly string[], c: HdrCursor): string {
  return headers[c.h + 1]!.slice(c.start, c.end);
}

/** Number of values (or of whole lines with `full`) of the headers named `lower`. */
export function countValues(headers: readonly string[], lower: string, full: boolean, c: HdrCursor): number {
  resetCursor(c);
  let n = 0;
  while (nextValue(headers, lower, full, c)) n++;
  return n;
}

/**
 * Occurrence `occ` of the values (1 = first, -1 = last, as HAProxy: at most 10 back),
 * left in the cursor; false when there is none.
 */
export function valueAt(
  headers: readonly string[],
  lower: string,
  full: boolean,
  occ: number,
  c: HdrCursor,
): boolean {
  resetCursor(c);
  if (occ >= 0) {
    let left = occ;
    while (nextValue(headers, lower, full, c)) {
      left--;
      if (left <= 0) return true;
    }
    return false;
  }
  if (occ === -1) {
    // the common case (the last value): one pass, remembering where it was
    let h = -1;
    let start = 0;
    let end = 0;
    while (nextValue(headers, lower, full, c)) {
      h = c.h;
      start = c.start;
      end = c.end;
    }
    if (h < 0) return false;
    c.h = h;
    c.start = start;
    c.end = end;
    return true;
  }
  if (-occ > 10) return false;
  const total = countValues(headers, lower, full, c);
  if (-occ > total) return false;
  const want = total + occ + 1;
  resetCursor(c);
  for (let i = 0; i < want; i++) nextValue(headers, lower, full, c);
  return true;
}

/** Iteration of a header fetch through the fetch context (ACLs: every value in turn). */
export function iterValue(headers: readonly string[], lower: string, full: boolean, ctx: FetchCtx): boolean {
  if (!ctx.more) resetCursor(ctx);
  const ok = nextValue(headers, lower, full, ctx);
  ctx.more = ok;
  return ok;
}

// --- cookies ------------------------------------------------------------------------

/** Where the last extracted cookie value lies. */
export interface CookieOut {
  vs: number;
  ve: number;
}

function isSpHt(c: number): boolean {
  return c === 32 || c === 9;
}

/**
 * HAProxy's http_extract_cookie_value over s[from, end): the next cookie named `name` ('' =
 * any). `list` (request side) allows several cookies per value. Returns the position to go
 * on from, or -1 when none; the value's bounds are left in `out`.
 */
export function extractCookie(
  s: string,
  from: number,
  end: number,
  name: string,
  list: boolean,
  out: CookieOut,
): number {
  let next = from;
  for (let att = from; att + name.length + 1 < end; att = next + 1) {
    while (att < end && isSpHt(s.charCodeAt(att))) att++;
    let eq = att;
    let attEnd = att;
    while (eq < end) {
      const c = s.charCodeAt(eq);
      if (c === 61 || c === 59 || (list && c === 44)) break;
      eq++;
      if (isSpHt(c)) continue;
      attEnd = eq;
    }
    let vs: number;
    let ve: number;
    if (eq < end && s.charCodeAt(eq) === 61) {
      vs = eq + 1;
      while (vs < end && isSpHt(s.charCodeAt(vs))) vs++;
      next = cookieValueEnd(s, vs, end);
      ve = next;
      while (ve > vs && isSpHt(s.charCodeAt(ve - 1))) ve--;
    } else {
      vs = ve = next = eq;
    }
    if (s.charCodeAt(att) === 36) continue; // $attributes
    if (eq === next) continue; // no '='
    if (name.length === 0 || (attEnd - att === name.length && s.startsWith(name, att))) {
      out.vs = vs;
      out.ve = ve;
      return next + 1;
    }
    if (!list) break;
  }
  return -1;
}

function cookieValueEnd(s: string, i: number, end: number): number {
  let quoted = false;
  let pair = false;
  for (; i < end; i++) {
    const c = s.charCodeAt(i);
    if (pair) pair = false;
    else if (quoted) {
      if (c === 92) pair = true;
      else if (c === 34) quoted = false;
    } else if (c === 34) quoted = true;
    else if (c === 44 || c === 59) return i;
  }
  return i;
}

// --- URL parameters -----------------------------------------------------------------

function isParamDelim(c: number, delim: number): boolean {
  return c === 38 || c === 59 || c === delim;
}

/**
 * HAProxy's URL parameter search over s[from, end): the next parameter named `name`
 * ('' = any). Returns the value's start, or -1; its end is left in `out.ve`.
 */
export function findParam(
  s: string,
  from: number,
  end: number,
  name: string,
  delim: number,
  out: CookieOut,
): number {
  let vs: number;
  if (name.length > 0) {
    let pos = from;
    let found = -1;
    while (pos < end) {
      const eq = pos + name.length;
      if (eq >= end) return -1;
      if (s.charCodeAt(eq) === 61) {
        if (s.startsWith(name, pos)) {
          found = pos;
          break;
        }
        pos += name.length + 1;
      }
      while (pos < end && !isParamDelim(s.charCodeAt(pos), delim)) pos++;
      if (pos >= end) return -1;
      pos++;
    }
    if (found < 0) return -1;
    vs = found + name.length + 1;
  } else {
    const eq = s.indexOf('=', from);
    if (eq < 0 || eq >= end) return -1;
    vs = eq + 1;
  }
  let ve = vs;
  while (ve < end && !isParamDelim(s.charCodeAt(ve), delim)) ve++;
  out.vs = vs;
  out.ve = ve;
  return vs;
}

// --- request target -----------------------------------------------------------------

/**
 * Where the path of a request target starts (HAProxy's http_parse_path): 0 for an origin
 * form, after the authority of an absolute form; -1 when there is none ('*', authority
 * form, an absolute URI without a path).
 */
export function pathStart(t: string): number {
  if (t.length === 0) return -1;
  const c0 = t.charCodeAt(0);
  if (c0 === 47) return 0;
  if (c0 === 42) return -1;
  // scheme://authority/path
  const isAlpha = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
  if (!isAlpha(c0)) return -1;
  let i = 1;
  for (; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (!(isAlpha(c) || (c >= 48 && c <= 57) || c === 43 || c === 45 || c === 46)) break;
  }
  if (!t.startsWith('://', i)) return -1;
  i += 3;
  while (i < t.length && t.charCodeAt(i) !== 47) i++;
  return i < t.length ? i : -1;
}
