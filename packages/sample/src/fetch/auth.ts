// HTTP authentication fetches (HAProxy manual 7.3.6): the Authorization header read as
// HAProxy's get_http_auth reads it (the first value of the first header, a scheme that is
// a prefix of "Basic" or "Bearer" ignoring case, strict base64), and users checked
// against a userlist.
import { type ArgVal, argSpec, NO_ARGS } from '../args.ts';
import type { FetchCtx, FetchDef } from '../defs.ts';
import type { HttpMessageView, SampleEnv, SampleValue } from '../env.ts';
import { cursorValue, nextValue, resetCursor } from './http-parse.ts';
import { requestOf } from './http-tcp.ts';

interface Credentials {
  readonly type: 'Basic' | 'Bearer';
  /** What follows the scheme (spaces skipped). */
  readonly data: string;
  readonly user: string;
  readonly pass: string;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64REV = new Int8Array(256).fill(-1);
for (let i = 0; i < 64; i++) B64REV[B64.charCodeAt(i)] = i;
B64REV[61] = 64; // '=': padding

/** HAProxy's base64dec: groups of four, padding only at a group's end; undefined if invalid. */
export function base64Decode(s: string): Buffer | undefined {
  if (s.length % 4) return undefined;
  const out: number[] = [];
  const t = [0, 0, 0, 0];
  let i = 0;
  let pad = 0;
  for (let k = 0; k < s.length; k++) {
    const c = s.charCodeAt(k);
    const b = c < 256 ? B64REV[c]! : -1;
    if (b < 0) return undefined;
    if (pad && b !== 64) return undefined;
    if (pad && i < 2) return undefined;
    if (b === 64) pad++;
    t[i++] = b;
    if (i === 4) {
      const bytes = [
        ((t[0]! << 2) + (t[1]! >> 4)) & 0xff,
        ((t[1]! << 4) + (t[2]! >> 2)) & 0xff,
        ((t[2]! << 6) + t[3]!) & 0xff,
      ];
      for (let j = 0; j < 3 - pad; j++) out.push(bytes[j]!);
      pad = 0;
      i = 0;
    }
  }
  return Buffer.from(out);
}

/** Whether `m` is a case-insensitive prefix of `word` (strncasecmp(word, m, len(m)) == 0). */
function schemeIs(m: string, word: string): boolean {
  return m.length <= word.length && word.startsWith(m.toLowerCase());
}

/** The first value of the first header named `lower` (split at commas, as HAProxy's search). */
function firstValue(r: HttpMessageView, lower: string, ctx: FetchCtx): string | undefined {
  resetCursor(ctx);
  return nextValue(r.headers, lower, false, ctx) ? cursorValue(r.headers, ctx) : undefined;
}

function credentials(env: SampleEnv, ctx: FetchCtx): Credentials | undefined {
  const r = requestOf(env);
  if (!r) return undefined;
  const v = firstValue(r, 'authorization', ctx);
  if (v === undefined) return undefined;
  const sp = v.indexOf(' ');
  if (sp <= 0) return undefined;
  const method = v.slice(0, sp);
  let p = sp;
  while (p < v.length && v[p] === ' ') p++;
  const data = v.slice(p);
  if (schemeIs(method, 'basic')) {
    const dec = base64Decode(data);
    if (!dec) return undefined;
    // a C string: it ends at the first NUL
    const nul = dec.indexOf(0);
    const s = dec.toString('latin1', 0, nul < 0 ? dec.length : nul);
    const colon = s.indexOf(':');
    if (colon < 0) return undefined;
    return { type: 'Basic', data, user: s.slice(0, colon), pass: s.slice(colon + 1) };
  }
  if (schemeIs(method, 'bearer')) return { type: 'Bearer', data, user: '', pass: '' };
  return undefined;
}

function basic(env: SampleEnv, ctx: FetchCtx): Credentials | undefined {
  const c = credentials(env, ctx);
  return c?.type === 'Basic' ? c : undefined;
}

/** http_auth_bearer([<header>]): the token of a Bearer header (empty when the named one is not). */
function bearer(env: SampleEnv, args: readonly ArgVal[], ctx: FetchCtx): SampleValue | undefined {
  const name = args[0] as string | undefined;
  if (name === undefined) {
    const c = credentials(env, ctx);
    return c?.type === 'Bearer' ? c.data : undefined;
  }
  const r = requestOf(env);
  if (!r) return undefined;
  const v = firstValue(r, name.toLowerCase(), ctx);
  if (v === undefined) return '';
  const sp = v.indexOf(' ');
  const type = sp < 0 ? v : v.slice(0, sp);
  let p = sp < 0 ? v.length : sp + 1;
  while (p < v.length && v[p] === ' ') p++;
  return type.toLowerCase() === 'bearer' && p < v.length ? v.slice(p) : '';
}

function checkUser(env: SampleEnv, list: string, c: Credentials): boolean | undefined {
  const ul = env.world.userlist?.(list);
  if (!ul) return undefined;
  return ul.check(c.user, c.pass);
}

export const AUTH_FETCHES: readonly FetchDef[] = [
  {
    name: 'http_auth_type',
    args: NO_ARGS,
    out: 'str',
    fn: (env, _a, ctx) => credentials(env, ctx)?.type,
  },
  { name: 'http_auth_user', args: NO_ARGS, out: 'str', fn: (env, _a, ctx) => basic(env, ctx)?.user },
  { name: 'http_auth_pass', args: NO_ARGS, out: 'str', fn: (env, _a, ctx) => basic(env, ctx)?.pass },
  { name: 'http_auth_bearer', args: argSpec(0, 'str'), out: 'str', fn: bearer },
  {
    name: 'http_auth',
    args: argSpec(1, 'usr'),
    out: 'bool',
    fn: (env, a, ctx) => {
      const c = basic(env, ctx);
      return c ? checkUser(env, a[0] as string, c) : undefined;
    },
  },
  {
    name: 'http_auth_group',
    args: argSpec(1, 'usr'),
    out: 'str',
    fn: (env, a, ctx) => {
      ctx.groups = undefined;
      const c = basic(env, ctx);
      if (!c) return undefined;
      const ul = env.world.userlist?.(a[0] as string);
      if (!ul?.check(c.user, c.pass)) return undefined;
      // the ACL form matches the user's groups against its patterns
      ctx.groups = ul.groupsOf(c.user);
      return c.user;
    },
  },
];
