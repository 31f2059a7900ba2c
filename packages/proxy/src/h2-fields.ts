/**
 * HTTP/1.1 ↔ HTTP/2 field conversions both HTTP/2 sides share: the frontend gateway
 * (an h2 client's streams run through the HTTP/1.1 engine) and the server channel (the
 * engine's HTTP/1.1 requests sent as h2 streams).
 */

import type { IncomingHttpHeaders } from 'node:http2';

/** HTTP/1-only fields RFC 9113 §8.2.2 forbids in HTTP/2: never sent over it. */
export const CONNECTION_FIELDS: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
]);

/** HTTP/1.1 trailer fields (name, value, …) as an HTTP/2 trailer block, without the names in `skip`. */
export function h2Trailers(
  fields: readonly string[],
  skip: ReadonlySet<string>,
): Record<string, string | string[]> {
  const t: Record<string, string | string[]> = {};
  for (let i = 0; i < fields.length; i += 2) {
    const name = (fields[i] as string).toLowerCase();
    if (skip.has(name)) continue;
    const had = t[name];
    const v = fields[i + 1] as string;
    t[name] = had === undefined ? v : Array.isArray(had) ? [...had, v] : [had, v];
  }
  return t;
}

/** The last chunk of an HTTP/1.1 chunked body carrying HTTP/2 trailers (pseudo-headers left out). */
export function lastChunk(trailers: IncomingHttpHeaders | undefined): string {
  let last = '0\r\n';
  if (trailers !== undefined) {
    for (const name of Object.keys(trailers)) {
      if (name.charCodeAt(0) === 0x3a) continue;
      const v = trailers[name];
      for (const one of Array.isArray(v) ? v : [v]) last += `${name}: ${one ?? ''}\r\n`;
    }
  }
  return `${last}\r\n`;
}
