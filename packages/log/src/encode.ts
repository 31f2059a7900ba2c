// The character encodings of log lines (HAProxy manual 8.6): '#' and two hex digits for
// what must not appear raw, and rfc5424's backslash escapes with the E flag.

const HEX = '0123456789ABCDEF';

/** '#'-encoded in request lines and URIs: controls, bytes ≥ 127, '"' and '#'. */
export const URL_ENCODE = new Uint8Array(256);
/** '#'-encoded in captured headers: the same plus '{', '|' and '}'. */
export const HDR_ENCODE = new Uint8Array(256);
/** Escaped with a backslash by the E flag: '"', '\' and ']'. */
export const RFC5424_ESCAPE = new Uint8Array(256);

for (let i = 0; i < 256; i++) {
  if (i < 32 || i >= 127) {
    URL_ENCODE[i] = 1;
    HDR_ENCODE[i] = 1;
  }
}
for (const c of '"#') URL_ENCODE[c.charCodeAt(0)] = 1;
for (const c of '"#{|}') HDR_ENCODE[c.charCodeAt(0)] = 1;
for (const c of '"\\]') RFC5424_ESCAPE[c.charCodeAt(0)] = 1;

const WIDE = /[^\u0000-\u00ff]/;

/** A byte string (one char per byte): text with chars above 255 becomes its UTF-8 bytes. */
export function byteString(s: string): string {
  return WIDE.test(s) ? Buffer.from(s, 'utf8').toString('latin1') : s;
}

/**
 * encode_string / lf_encode_string: bytes in `map` become '#XX'; with `esc` (E flag), the
 * others among '"', '\' and ']' get a backslash. Stops at a NUL byte.
 */
export function encodeWithMap(s: string, map: Uint8Array, esc: boolean): string {
  const b = byteString(s);
  let out = '';
  let from = 0;
  for (let i = 0; i < b.length; i++) {
    const c = b.charCodeAt(i);
    if (c === 0) return out + b.slice(from, i);
    if (map[c]) {
      out += `${b.slice(from, i)}#${HEX[c >> 4]}${HEX[c & 15]}`;
      from = i + 1;
    } else if (esc && RFC5424_ESCAPE[c]) {
      out += `${b.slice(from, i)}\\${b[i]}`;
      from = i + 1;
    }
  }
  return from === 0 ? b : out + b.slice(from);
}

/** escape_string with the rfc5424 map: a backslash before '"', '\' and ']'. Stops at NUL. */
export function escapeRfc5424(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0) break;
    out += RFC5424_ESCAPE[c] ? `\\${s[i]}` : s[i];
  }
  return out;
}

export function hex(n: number, width: number): string {
  return (n >>> 0).toString(16).toUpperCase().padStart(width, '0');
}
