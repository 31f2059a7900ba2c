/**
 * Where the path and query of a request target are: origin form `/p?q`, absolute form
 * `scheme://authority/p?q` (the path starts at the first `/` after the authority).
 */

/** Index of the path's first character (target.length when the target has no path). */
export function pathStart(target: string): number {
  if (target.charCodeAt(0) === 0x2f) return 0;
  const scheme = target.indexOf('://');
  if (scheme < 0) return target === '*' ? 0 : target.length;
  const slash = target.indexOf('/', scheme + 3);
  if (slash >= 0) return slash;
  const q = target.indexOf('?', scheme + 3);
  return q >= 0 ? q : target.length;
}

/** Index of the `?` starting the query, or -1. */
export function queryMark(target: string): number {
  return target.indexOf('?', pathStart(target));
}

/** The path without its query ('' when there is none). */
export function pathOf(target: string): string {
  const s = pathStart(target);
  const q = target.indexOf('?', s);
  return target.slice(s, q < 0 ? target.length : q);
}

/** The path and its query. */
export function pathQueryOf(target: string): string {
  return target.slice(pathStart(target));
}

export function withPath(target: string, path: string): string {
  const s = pathStart(target);
  const q = target.indexOf('?', s);
  return target.slice(0, s) + path + (q < 0 ? '' : target.slice(q));
}

export function withPathQuery(target: string, pathq: string): string {
  return target.slice(0, pathStart(target)) + pathq;
}

/** `set-query`: an empty query keeps an existing `?` and adds none. */
export function withQuery(target: string, query: string): string {
  const q = target.indexOf('?');
  if (q >= 0) return target.slice(0, q + 1) + query;
  return query === '' ? target : `${target}?${query}`;
}

/**
 * The authority an absolute-form (or, for CONNECT, authority-form) target gives the Host
 * header when a rule rewrites the whole target (HAProxy's http_update_host): the text after
 * `scheme://` up to the first `/`, without any `user@`. Undefined for an origin-form or `*`
 * target, or an empty authority.
 */
export function authorityOf(target: string, method: string): string | undefined {
  if (target === '' || target === '*' || target.charCodeAt(0) === 0x2f) return undefined;
  if (method === 'CONNECT') return target;
  let start = 0;
  const slash = target.indexOf('/');
  const scheme = target.indexOf('://');
  if (scheme >= 0 && (slash < 0 || scheme < slash)) start = scheme + 3;
  let end = target.indexOf('/', start);
  if (end < 0) end = target.length;
  const at = target.lastIndexOf('@', end - 1);
  if (at >= start) start = at + 1;
  return end > start ? target.slice(start, end) : undefined;
}
