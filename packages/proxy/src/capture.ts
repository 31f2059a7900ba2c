/**
 * `capture request header <name> len <n>`, `capture response header <name> len <n>` and
 * `capture cookie <name> len <n>` of a frontend: what its log lines show as %hr/%hs and
 * %CC/%CS. Header captures read the message as it arrived (before any rule); the last
 * occurrence of a header wins, cut to `len` characters. The cookie captures are taken by the
 * cookie scans of cookie.ts.
 */

import type { CookieCapture } from './cookie.ts';

export interface HeaderCapture {
  /** Header name in lower case; '' for a slot filled by rules (`declare capture`, `… capture … len`). */
  readonly name: string;
  readonly len: number;
}

/** A frontend's captures, in declaration order. */
export interface HttpCaptures {
  readonly request: readonly HeaderCapture[];
  readonly response: readonly HeaderCapture[];
  readonly cookie: CookieCapture | null;
  /** Nothing captured yet: one empty slot per capture (what a request without them logs). */
  readonly emptyRequest: readonly undefined[] | undefined;
  readonly emptyResponse: readonly undefined[] | undefined;
}

export function httpCaptures(
  request: readonly HeaderCapture[],
  response: readonly HeaderCapture[],
  cookie: CookieCapture | null,
): HttpCaptures {
  return {
    request,
    response,
    cookie,
    emptyRequest: request.length > 0 ? Object.freeze(request.map(() => undefined)) : undefined,
    emptyResponse: response.length > 0 ? Object.freeze(response.map(() => undefined)) : undefined,
  };
}

/**
 * Fills `out` (one slot per capture) with the values of the header captures of `caps` found in
 * a flat header list; slots of other captures (`declare capture`, `http-request capture`, name
 * '') are left alone.
 */
export function captureHeaders(
  headers: readonly string[],
  caps: readonly HeaderCapture[],
  out: (string | undefined)[],
): void {
  for (let i = 0; i < headers.length; i += 2) {
    const n = headers[i]!;
    for (let k = 0; k < caps.length; k++) {
      const c = caps[k]!;
      if (c.name === '' || c.name.length !== n.length || c.name !== n.toLowerCase()) continue;
      const v = headers[i + 1]!;
      out[k] = v.length > c.len ? v.slice(0, c.len) : v;
    }
  }
}
