// Log-format strings (HAProxy manual 8.2.6): text, `%%`, `%[expr]`, aliases such as `%ci`,
// flags in `%{+Q,-X}`, `%o` setting the flags of what follows. Two renderings, as HAProxy:
// 'http' (header values, reply bodies, redirects: samples have control characters
// %-encoded, no quoting, nothing when missing; spaces kept) and 'log' (log lines: samples
// may be quoted or escaped, '-' when missing, spaces merged).
import { hostname } from 'node:os';
import type { SampleEnv } from './env.ts';
import { SampleError } from './errors.ts';
import { type CompiledExpr, parseExpr } from './expr.ts';
import { pathStart } from './fetch/http-parse.ts';
import { ipFromEnv } from './ip.ts';
import type { CompileOptions } from './options.ts';
import { toStr } from './types.ts';

export interface LogFormat {
  /** The text when the format has no variable part, else undefined. */
  readonly constant: string | undefined;
  render(env: SampleEnv): string;
}

const OPT_M = 1;
const OPT_Q = 2;
const OPT_X = 4;
const OPT_E = 8;

const FLAGS: Readonly<Record<string, number>> = { M: OPT_M, Q: OPT_Q, X: OPT_X, E: OPT_E };

/** Every alias HAProxy 2.6 knows; those haproxyd renders are in RENDERERS. */
const KNOWN_ALIASES = new Set(
  (
    'o B CC CS H ID ST T Ta Tc Th Ti Tl Tq Tr TR Td Ts Tt Tu Tw U ac b bc bi bp bq ci cp f fc fi fp ft ' +
    'hr hrl hs hsl HM HP HPO HQ HU HV lc ms pid r rc rt s sc si sp sq sslc sslv t tr trg trl ts tsc'
  ).split(' '),
);

const HOSTNAME = hostname();

type Node =
  | { readonly k: 'text'; readonly s: string }
  | { readonly k: 'sep' }
  | { readonly k: 'expr'; readonly e: CompiledExpr; readonly o: number }
  | { readonly k: 'alias'; readonly r: Renderer; readonly o: number };

type Renderer = (env: SampleEnv, o: number) => string;

function hex2(n: number): string {
  return n < 16 ? `0${n.toString(16).toUpperCase()}` : n.toString(16).toUpperCase();
}

/** "#XX" for control characters, bytes above 126, '"' and '#' (HAProxy's url_encode_map). */
function urlEncodeLog(s: string, o: number): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 32 || c >= 127 || c === 34 || c === 35) out += `#${hex2(c)}`;
    else if (o & OPT_E && (c === 92 || c === 93)) out += `\\${s[i]}`;
    else out += s[i];
  }
  return out;
}

/** "%XX" for the characters a header value cannot carry (HAProxy's http_encode_map). */
function httpEncode(s: string, o: number): string {
  let out: string | undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const enc = (c <= 8 || (c >= 10 && c <= 31) || c === 127) as boolean;
    const esc = o & OPT_E && (c === 34 || c === 92 || c === 93);
    if (enc || esc) {
      if (out === undefined) out = s.slice(0, i);
      out += enc ? `%${hex2(c)}` : `\\${s[i]}`;
    } else if (out !== undefined) out += s[i];
  }
  return out ?? s;
}

/** HAProxy's lf_text_len: quoted with Q, escaped with E, '-' for nothing with M. */
function text(s: string | undefined, o: number): string {
  let v = s;
  if (v !== undefined) {
    const nul = v.indexOf('\0');
    if (nul >= 0) v = v.slice(0, nul);
    if (o & OPT_E) v = v.replace(/["\\\]]/g, '\\$&');
  }
  if (o & OPT_Q) return `"${v ?? ''}"`;
  if (v === undefined || v.length === 0) return o & OPT_M ? '-' : '';
  return v;
}

function quoted(s: string, o: number): string {
  return o & OPT_Q ? `"${s}"` : s;
}

function requestLine(env: SampleEnv): string | undefined {
  const r = env.req;
  return r ? `${r.method} ${r.target} ${r.version}` : undefined;
}

function ipText(addr: string, o: number): string {
  if (o & OPT_X) {
    const ip = ipFromEnv(addr);
    if (ip) {
      let h = '';
      for (const b of ip.bytes) h += hex2(b);
      return h;
    }
  }
  return text(addr, o);
}

function port(p: number, o: number): string {
  return o & OPT_X ? hex2(p >> 8) + hex2(p & 0xff) : String(p);
}

function status(env: SampleEnv): number {
  return env.status ?? env.res?.status ?? -1;
}

/** %HP, %HU…: a part of the request line, '#'-encoded, "<BADREQ>" without a request. */
function uriPart(part: (env: SampleEnv) => string): Renderer {
  return (env, o) => quoted(env.req ? urlEncodeLog(part(env), o) : '<BADREQ>', o);
}

const RENDERERS: Readonly<Record<string, Renderer>> = {
  ci: (env, o) => ipText(env.src, o),
  cp: (env, o) => port(env.srcPort, o),
  fi: (env, o) => ipText(env.dst, o),
  fp: (env, o) => port(env.dstPort, o),
  f: (env, o) => text(env.frontend, o),
  ft: (env, o) => quoted(env.frontend + (env.ssl ? '~' : ''), o),
  b: (env, o) => text(env.backend ?? env.frontend, o),
  s: (env, o) => text(env.server ?? '<NOSRV>', o),
  H: (_env, o) => text(HOSTNAME, o),
  ST: (env) => String(status(env)),
  pid: (_env, o) =>
    o & OPT_X ? process.pid.toString(16).toUpperCase().padStart(4, '0') : String(process.pid),
  ID: (env, o) => text(env.uniqueId, o),
  r: (env, o) => {
    const l = requestLine(env);
    return quoted(l === undefined ? '<BADREQ>' : urlEncodeLog(l, o), o);
  },
  HM: uriPart((env) => env.req!.method),
  HU: uriPart((env) => env.req!.target),
  HP: uriPart((env) => {
    const t = env.req!.target;
    const q = t.indexOf('?');
    return q < 0 ? t : t.slice(0, q);
  }),
  HPO: uriPart((env) => {
    const t = env.req!.target;
    const s = pathStart(t);
    if (s < 0) return '';
    const q = t.indexOf('?', s);
    return q < 0 ? t.slice(s) : t.slice(s, q);
  }),
  HQ: uriPart((env) => {
    const t = env.req!.target;
    const q = t.indexOf('?');
    return q < 0 ? '' : t.slice(q);
  }),
  HV: uriPart((env) => env.req!.version || 'HTTP/0.9'),
};

function syntax(message: string): never {
  throw new SampleError('HAP_ERR_SAMPLE_SYNTAX', message);
}

function parseFlags(args: string, base: number): number {
  let o = base;
  for (const tok of args.split(',')) {
    const bit = FLAGS[tok.slice(1)];
    if (bit === undefined) continue;
    if (tok[0] === '+') o |= bit;
    else if (tok[0] === '-') o &= ~bit;
  }
  return o;
}

function isAlpha(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

function isAlnum(c: number): boolean {
  return isAlpha(c) || (c >= 48 && c <= 57);
}

class CompiledLogFormat implements LogFormat {
  readonly constant: string | undefined;
  private readonly nodes: readonly Node[];
  private readonly http: boolean;

  constructor(nodes: Node[], http: boolean) {
    this.nodes = nodes;
    this.http = http;
    this.constant = nodes.every((n) => n.k === 'text' || n.k === 'sep') ? this.render(undefined) : undefined;
  }

  render(env: SampleEnv | undefined): string {
    let out = '';
    let lastSpace = true;
    const nodes = this.nodes;
    for (let i = 0; i < nodes.length; i++) {
      const n = nodes[i]!;
      switch (n.k) {
        case 'sep':
          if (!lastSpace) out += ' ';
          lastSpace = true;
          continue;
        case 'text':
          out += n.s;
          break;
        case 'expr': {
          const v = n.e.eval(env!);
          if (this.http) out += v === undefined ? '' : httpEncode(toStr(v), n.o);
          else out += text(v === undefined ? undefined : toStr(v), n.o);
          break;
        }
        case 'alias':
          out += n.r(env!, n.o);
          break;
      }
      lastSpace = false;
    }
    return out;
  }
}

/** Compiles a log-format string; `opts.logFormatUse` picks the rendering (default 'http'). */
export function compileLogFormat(fmt: string, opts: CompileOptions): LogFormat {
  const http = opts.logFormatUse !== 'log';
  let defaults = http ? 0 : OPT_M;
  const nodes: Node[] = [];
  let lit = '';
  const flush = () => {
    if (lit) nodes.push({ k: 'text', s: lit });
    lit = '';
  };
  let i = 0;
  while (i < fmt.length) {
    const c = fmt.charCodeAt(i);
    if (c === 32 && !http) {
      flush();
      nodes.push({ k: 'sep' });
      i++;
      continue;
    }
    if (c !== 37) {
      lit += fmt[i];
      i++;
      continue;
    }
    // '%'
    let j = i + 1;
    if (j >= fmt.length) syntax("truncated line after '%'");
    const n = fmt.charCodeAt(j);
    if (n === 37) {
      lit += '%';
      i = j + 1;
      continue;
    }
    let args: string | undefined;
    if (n === 123) {
      const close = fmt.indexOf('}', j + 1);
      if (close < 0) syntax(`truncated line after '${fmt.slice(j + 1)}'`);
      args = fmt.slice(j + 1, close);
      j = close + 1;
      const a = fmt.charCodeAt(j);
      if (!(a === 91 || isAlnum(a)))
        syntax(`parse argument modifier without variable name near '%{${args}}'`);
    } else if ((n >= 48 && n <= 57) || n === 32 || n === 9) {
      syntax(
        `unexpected variable name near '${fmt[j]}' at position ${j} line : '${fmt}'. ` +
          "Maybe you want to write a single '%', use the syntax '%%'",
      );
    } else if (n !== 91 && !isAlpha(n)) {
      // '%' before anything else is dropped, the character stays
      i = j;
      continue;
    }
    flush();
    const o = args === undefined ? defaults : parseFlags(args, defaults);
    if (fmt.charCodeAt(j) === 91) {
      let parsed: ReturnType<typeof parseExpr>;
      try {
        parsed = parseExpr(fmt, j + 1, opts, true);
      } catch (e) {
        if (e instanceof SampleError) {
          throw new SampleError(
            e.code,
            `failed to parse sample expression <${fmt.slice(j + 1)}> : ${e.message}`,
          );
        }
        throw e;
      }
      const end = parsed.end;
      if (fmt[end] !== ']') {
        const exprText = fmt.slice(j + 1, end);
        const ch = fmt.charCodeAt(end);
        if (end < fmt.length && ch >= 32 && ch < 127)
          syntax(`expected ']' after '${exprText}', but found '${fmt[end]}'`);
        syntax(`missing ']' after '${exprText}'`);
      }
      nodes.push({ k: 'expr', e: parsed.expr, o });
      i = end + 1;
      continue;
    }
    let e = j;
    while (e < fmt.length && isAlnum(fmt.charCodeAt(e))) e++;
    const name = fmt.slice(j, e);
    if (name === 'o') defaults = o;
    else {
      const r = RENDERERS[name];
      if (!r) {
        if (KNOWN_ALIASES.has(name)) {
          throw new SampleError(
            'HAP_ERR_SAMPLE_UNSUPPORTED',
            `'%${name}' is not supported yet in haproxyd's log-format`,
          );
        }
        throw new SampleError(
          'HAP_ERR_SAMPLE_UNKNOWN',
          `no such format variable '${name}'. If you wanted to emit the '%' character verbatim, you need to use '%%'`,
        );
      }
      nodes.push({ k: 'alias', r, o });
    }
    i = e;
  }
  flush();
  return new CompiledLogFormat(nodes, http);
}
