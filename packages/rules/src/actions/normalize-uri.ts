/**
 * `http-request normalize-uri <normalizer>` (HAProxy 2.6, an experimental action that needs
 * `expose-experimental-directives`): path-merge-slashes, path-strip-dot, path-strip-dotdot
 * [full], percent-decode-unreserved [strict], percent-to-uppercase [strict],
 * query-sort-by-name, fragment-strip, fragment-encode. A `strict` normalizer meeting a bad
 * percent sequence refuses the request with a 400.
 */

import { RuleError } from '../errors.ts';
import { type HttpActionRow, V_CONTINUE, V_DENY } from '../types.ts';
import { pathQueryOf, withPath, withPathQuery, withQuery } from '../uri.ts';

/** A normalizer: the new text, or null when the input is invalid (strict modes). */
type Normalizer = (text: string) => string | null;

const HEX = /^[0-9A-Fa-f]{2}$/;

function isUnreserved(c: number): boolean {
  return (
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x61 && c <= 0x7a) ||
    (c >= 0x30 && c <= 0x39) ||
    c === 0x2d ||
    c === 0x2e ||
    c === 0x5f ||
    c === 0x7e
  );
}

/** `/a//b` → `/a/b`. */
export function mergeSlashes(path: string): string {
  return path.replace(/\/{2,}/g, '/');
}

/** Drops the `.` segments. */
export function stripDot(path: string): string {
  const segments = path.split('/');
  const kept: string[] = [];
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i]!;
    if (s === '.') continue;
    kept.push(s);
  }
  // a '.' last segment leaves the slash before it
  if (segments.length > 1 && segments[segments.length - 1] === '.') kept.push('');
  return kept.join('/');
}

/**
 * Merges `/../` with the segment before it, from the end of the path; the `..` that go above
 * the start are kept at its start (or dropped with `full`).
 */
export function stripDotDot(path: string, full: boolean): string {
  let up = 0;
  let offset = path.length - 1;
  let out = '';
  if (offset >= 2 && path.startsWith('/..', offset - 2)) {
    up++;
    offset -= 2;
  }
  while (offset >= 0) {
    if (offset >= 3 && path.startsWith('/../', offset - 3)) {
      up++;
      offset -= 3;
      continue;
    }
    if (up > 0) {
      offset--; // the slash
      if (offset >= 0) {
        up--;
        while (offset >= 0 && path[offset] !== '/') offset--;
      }
    } else {
      let seg = path[offset]!;
      offset--;
      while (offset >= 0 && path[offset] !== '/') {
        seg = path[offset]! + seg;
        offset--;
      }
      out = seg + out;
    }
  }
  if (up > 0) {
    out = `/${out}`;
    if (!full) out = '/..'.repeat(up) + out;
  }
  return out;
}

/** Percent-encoded unreserved characters decoded; null on a bad sequence when `strict`. */
export function decodeUnreserved(text: string, strict: boolean): string | null {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '%') {
      const hex = text.slice(i + 1, i + 3);
      if (HEX.test(hex)) {
        const v = Number.parseInt(hex, 16);
        out += isUnreserved(v) ? String.fromCharCode(v) : `%${hex}`;
        i += 2;
        continue;
      }
      if (strict) return null;
    }
    out += c;
  }
  return out;
}

/** Upper-case hex digits in percent sequences; null on a bad sequence when `strict`. */
export function percentUpper(text: string, strict: boolean): string | null {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '%') {
      const hex = text.slice(i + 1, i + 3);
      if (HEX.test(hex)) {
        out += `%${hex.toUpperCase()}`;
        i += 2;
        continue;
      }
      if (strict) return null;
    }
    out += c;
  }
  return out;
}

/** The query's parameters (split on '&') sorted by name, stable; `query` starts with '?'. */
export function sortQuery(query: string): string {
  const params = query.slice(1).split('&');
  const named = params.map((p, i) => {
    const eq = p.indexOf('=');
    return { p, name: eq < 0 ? p : p.slice(0, eq), i };
  });
  named.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.i - b.i));
  return `?${named.map((x) => x.p).join('&')}`;
}

interface Spec {
  /** What the normalizer works on: the path alone, the query, or path and query. */
  readonly on: 'path' | 'query' | 'pathq';
  readonly fn: Normalizer;
}

function specOf(args: readonly string[]): Spec {
  const [name, opt, ...rest] = args;
  if (name === undefined) throw new RuleError('HAP_RULE_ARGS', 'missing argument <normalizer>.');
  const noOpt = () => {
    if (opt !== undefined)
      throw new RuleError('HAP_RULE_ARGS', `unexpected argument '${opt}' for '${name}' normalizer.`);
  };
  const flag = (word: string): boolean => {
    if (opt === undefined) return false;
    if (opt !== word || rest.length > 0)
      throw new RuleError(
        'HAP_RULE_ARGS',
        `unknown argument '${rest.length > 0 && opt === word ? rest[0] : opt}' for '${name}' normalizer.`,
      );
    return true;
  };
  switch (name) {
    case 'path-merge-slashes':
      noOpt();
      return { on: 'path', fn: mergeSlashes };
    case 'path-strip-dot':
      noOpt();
      return { on: 'path', fn: stripDot };
    case 'path-strip-dotdot': {
      const full = flag('full');
      return { on: 'path', fn: (p) => stripDotDot(p, full) };
    }
    case 'query-sort-by-name':
      noOpt();
      return { on: 'query', fn: sortQuery };
    case 'percent-to-uppercase': {
      const strict = flag('strict');
      return { on: 'pathq', fn: (t) => percentUpper(t, strict) };
    }
    case 'percent-decode-unreserved': {
      const strict = flag('strict');
      return { on: 'pathq', fn: (t) => decodeUnreserved(t, strict) };
    }
    case 'fragment-strip':
      noOpt();
      return { on: 'pathq', fn: (t) => (t.includes('#') ? t.slice(0, t.indexOf('#')) : t) };
    case 'fragment-encode':
      noOpt();
      return { on: 'pathq', fn: (t) => t.replaceAll('#', '%23') };
    default:
      throw new RuleError('HAP_RULE_ARGS', `unknown normalizer '${name}'.`);
  }
}

export const normalizeUriAction: HttpActionRow = {
  name: 'normalize-uri',
  compile(args) {
    const spec = specOf(args);
    return {
      run(_env, msg, out) {
        const target = msg.target;
        const pq = pathQueryOf(target);
        if (pq === '' || pq === '*') return V_CONTINUE;
        const q = pq.indexOf('?');
        if (spec.on === 'path') {
          const path = q < 0 ? pq : pq.slice(0, q);
          msg.target = withPath(target, spec.fn(path) ?? path);
        } else if (spec.on === 'query') {
          if (q < 0) return V_CONTINUE;
          msg.target = withQuery(target, (spec.fn(pq.slice(q)) ?? pq.slice(q)).slice(1));
        } else {
          const r = spec.fn(pq);
          if (r === null) {
            // a strict normalizer on an invalid sequence: 400, as HAProxy's "bad request"
            out.status = 400;
            out.reply = undefined;
            return V_DENY;
          }
          msg.target = withPathQuery(target, r);
        }
        return V_CONTINUE;
      },
    };
  },
};
