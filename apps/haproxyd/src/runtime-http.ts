/**
 * The HTTP settings of a proxy section, as the HTTP engine applies them: the
 * connection mode (`option http-keep-alive|http-server-close|httpclose`),
 * `option forwardfor`, the error pages (`errorfile`, `errorfiles`, `errorloc`,
 * `errorloc302`, `errorloc303`, `http-error`). Settings inherited from a `defaults` section
 * are looked up there; the rules are compiled by runtime-rules.ts.
 */

import { isAbsolute, resolve } from 'node:path';
import type { ConfigModel, Diagnostic, Directive, ProxyModel } from '@hap/config';
import { ERROR_PAGE_STATUSES, type ErrorMessage, loadErrorFile, parseErrorFile } from '@hap/http';
import {
  type CompressionAlgorithm,
  type CompressionSettings,
  compressionAvailable,
  type ForwardFor,
  type HeaderCapture,
  type HttpCaptures,
  type HttpConnectionMode,
  type HttpProxySettings,
  httpCaptures,
} from '@hap/proxy';
import type { ReplySpec } from '@hap/rules';

/** A server's `cookie <value>` (undefined: none). */
export function serverCookie(options: Record<string, string | true>): string | undefined {
  const v = options['cookie'];
  return typeof v === 'string' ? v : undefined;
}

export function resolvePath(p: string): string {
  return isAbsolute(p) ? p : resolve(p);
}

/** The section itself, then the defaults it inherits from, nearest first. */
export function chain(model: ConfigModel, p: ProxyModel): ProxyModel[] {
  const out: ProxyModel[] = [p];
  let cur = p;
  for (let guard = 0; guard < 16 && cur.defaultsFrom !== undefined; guard++) {
    const at = model.proxies.indexOf(cur);
    let base: ProxyModel | undefined;
    for (let i = at - 1; i >= 0; i--) {
      const q = model.proxies[i]!;
      if (q.kind === 'defaults' && q.name === cur.defaultsFrom) {
        base = q;
        break;
      }
    }
    if (!base) break;
    out.push(base);
    cur = base;
  }
  return out;
}

/** The last directive of one of `keywords` in the nearest section that has one. */
export function lastOf(sections: readonly ProxyModel[], keywords: readonly string[]): Directive | undefined {
  for (const s of sections) {
    const d = s.directives.findLast((x) => keywords.includes(x.keyword));
    if (d) return d;
  }
  return undefined;
}

const MODE_OPTIONS = ['option http-keep-alive', 'option http-server-close', 'option httpclose'];

function connectionMode(sections: ProxyModel[]): HttpConnectionMode {
  const d = lastOf(sections, MODE_OPTIONS);
  if (!d || d.modifier === 'no') return 'keep-alive';
  if (d.keyword === 'option httpclose') return 'close';
  if (d.keyword === 'option http-server-close') return 'server-close';
  return 'keep-alive';
}

/** An option set (and not negated) in the section or the defaults it inherits from. */
function optionOn(sections: ProxyModel[], keyword: string): boolean {
  const d = lastOf(sections, [keyword]);
  return d !== undefined && d.modifier !== 'no';
}

function ipv4Network(text: string): [number, number] | undefined {
  const [addr, bits] = text.split('/');
  const parts = (addr ?? '').split('.');
  if (parts.length !== 4) return undefined;
  let v = 0;
  for (const x of parts) {
    const n = Number(x);
    if (!/^\d{1,3}$/.test(x) || n > 255) return undefined;
    v = v * 256 + n;
  }
  let mask = 0xffffffff;
  if (bits !== undefined) {
    if (/^\d{1,2}$/.test(bits) && Number(bits) <= 32) {
      const b = Number(bits);
      mask = b === 0 ? 0 : (0xffffffff << (32 - b)) >>> 0;
    } else {
      const m = ipv4Network(bits);
      if (!m) return undefined;
      mask = m[0];
    }
  }
  return [(v & mask) >>> 0, mask >>> 0];
}

function forwardFor(sections: ProxyModel[], out: Diagnostic[]): ForwardFor | undefined {
  const d = lastOf(sections, ['option forwardfor']);
  if (!d || d.modifier === 'no') return undefined;
  const ff: ForwardFor = { header: 'x-forwarded-for', ifNone: false, except: undefined };
  const rest = d.args.slice(2);
  for (let i = 0; i < rest.length; i++) {
    const w = rest[i];
    if (w === 'if-none') ff.ifNone = true;
    else if (w === 'header') ff.header = (rest[++i] ?? '').toLowerCase();
    else if (w === 'except') {
      const net = rest[++i] ?? '';
      const parsed = ipv4Network(net);
      if (!parsed) {
        out.push({
          level: 'alert',
          code: 'HAP_ERR_NOT_SERVED',
          file: d.file,
          line: d.line,
          keyword: d.keyword,
          message: `'option forwardfor except ${net}': only IPv4 networks are supported yet by haproxyd's runtime.`,
        });
      }
      ff.except = parsed;
    }
  }
  return ff;
}

/**
 * Each `errorfile` line is read once, however many sections inherit it from a defaults
 * section (and its warnings or alert are reported once); `null`: it could not be loaded.
 */
const loadedErrorFiles = new WeakMap<Directive, ErrorMessage | null>();

function loadPage(d: Directive, out: Diagnostic[]): ErrorMessage | undefined {
  const known = loadedErrorFiles.get(d);
  if (known !== undefined) return known ?? undefined;
  loadedErrorFiles.set(d, null);
  const status = Number(d.args[1]);
  const path = d.args[2] ?? '';
  try {
    const page = loadErrorFile(isAbsolute(path) ? path : resolve(path), status);
    loadedErrorFiles.set(d, page);
    for (const w of page.warnings) {
      out.push({
        level: 'warning',
        code: 'HAP_CFG_ERRORFILE',
        file: d.file,
        line: d.line,
        keyword: 'errorfile',
        message: w,
      });
    }
    return page;
  } catch (err) {
    out.push({
      level: 'alert',
      code: 'HAP_ERR_NOT_SERVED',
      file: d.file,
      line: d.line,
      keyword: 'errorfile',
      message: (err as Error).message,
    });
    return undefined;
  }
}

/** `errorloc <code> <url>` (302) and `errorloc303 <code> <url>`: a redirect that answers for the status. */
function errorLocation(d: Directive, out: Diagnostic[]): ErrorMessage | undefined {
  const status = Number(d.args[1]);
  const url = d.args[2];
  if (!ERROR_PAGE_STATUSES.includes(status) || url === undefined) {
    out.push({
      level: 'warning',
      code: 'HAP_CFG_ERRORFILE',
      file: d.file,
      line: d.line,
      keyword: d.keyword,
      message: `status code '${d.args[1] ?? ''}' not handled by '${d.keyword}', error relocation will be ignored.`,
    });
    return undefined;
  }
  const head =
    d.keyword === 'errorloc303'
      ? 'HTTP/1.1 303 See Other\r\nCache-Control: no-cache\r\nContent-length: 0\r\nLocation: '
      : 'HTTP/1.1 302 Found\r\nCache-Control: no-cache\r\nContent-length: 0\r\nLocation: ';
  return parseErrorFile(Buffer.from(`${head}${url}\r\n\r\n`, 'latin1'), status, d.keyword);
}

/**
 * The pages of `errorfile <code> <file>`, `errorfiles <http-errors> [<code>…]`, `errorloc`,
 * `errorloc302`, `errorloc303` and `http-error`: a section's own lines override its
 * defaults', and within a section a later line overrides an earlier one. `http-error`
 * replies go to `replies`; a status has an entry in one of the two maps at most.
 */
/** `http-error status <code> …`: a reply like `return`'s that answers for the status (undefined: the default page again). */
export type HttpErrorEntry = { status: number; reply: ReplySpec | undefined } | undefined;

/** Compiles one `http-error` line (the rule engine does it: runtime-rules.ts). */
export type HttpErrorCompiler = (
  model: ConfigModel,
  p: ProxyModel,
  d: Directive,
  out: Diagnostic[],
) => HttpErrorEntry;

function errorPages(
  model: ConfigModel,
  p: ProxyModel,
  sections: ProxyModel[],
  out: Diagnostic[],
  httpErrors: HttpErrorCompiler | undefined,
): { files: Map<number, ErrorMessage>; replies: Map<number, ReplySpec> } {
  const files = new Map<number, ErrorMessage>();
  const replies = new Map<number, ReplySpec>();
  const setPage = (page: ErrorMessage) => {
    files.set(page.status, page);
    replies.delete(page.status);
  };
  for (let k = sections.length - 1; k >= 0; k--) {
    for (const d of sections[k]!.directives) {
      if (d.keyword === 'errorfile') {
        const page = loadPage(d, out);
        if (page !== undefined) setPage(page);
      } else if (d.keyword === 'errorloc' || d.keyword === 'errorloc302' || d.keyword === 'errorloc303') {
        const page = errorLocation(d, out);
        if (page !== undefined) setPage(page);
        d.supported = true;
      } else if (d.keyword === 'http-error') {
        if (httpErrors === undefined)
          throw new Error(`'http-error' at ${d.file}:${d.line} needs the rule engine`);
        const r = httpErrors(model, p, d, out);
        if (r !== undefined) {
          files.delete(r.status);
          if (r.reply === undefined) replies.delete(r.status);
          else replies.set(r.status, r.reply);
        }
        d.supported = true;
      } else if (d.keyword === 'errorfiles') {
        const name = d.args[1] ?? '';
        const codes = d.args.slice(2).map(Number);
        const group = model.sections.find((x) => x.kind === 'http-errors' && x.name === name);
        if (group === undefined) {
          out.push({
            level: 'alert',
            code: 'HAP_ERR_NOT_SERVED',
            file: d.file,
            line: d.line,
            keyword: 'errorfiles',
            message: `unknown http-errors section '${name}'.`,
          });
          continue;
        }
        for (const e of group.directives) {
          if (e.keyword !== 'errorfile') continue;
          if (codes.length > 0 && !codes.includes(Number(e.args[1]))) continue;
          const page = loadPage(e, out);
          if (page !== undefined) setPage(page);
        }
        d.supported = true;
      }
    }
  }
  return { files, replies };
}

/** The HTTP settings of a frontend, backend or listen section. */
/** `httpErrors` compiles `http-error` lines: given when the configuration has some (see features.ts). */
export function httpSettings(
  model: ConfigModel,
  p: ProxyModel,
  out: Diagnostic[],
  httpErrors?: HttpErrorCompiler,
): HttpProxySettings {
  const sections = chain(model, p);
  const pages = errorPages(model, p, sections, out, httpErrors);
  const compression = compressionOf(sections);
  if (compression !== undefined && !compressionAvailable()) {
    out.push({
      level: 'alert',
      code: 'HAP_ERR_COMPRESSION',
      message: `${p.kind} '${p.name}': 'compression' needs zlib's synchronous streams, which this Node.js lacks.`,
    });
  }
  return {
    mode: connectionMode(sections),
    forwardFor: forwardFor(sections, out),
    errorFiles: pages.files,
    ...(pages.replies.size > 0 ? { errorReplies: pages.replies } : {}),
    bufferRequest: optionOn(sections, 'option http-buffer-request'),
    compression,
    rules: undefined,
    captures: p.kind === 'frontend' || p.kind === 'listen' ? captures(p, out) : undefined,
  };
}

/**
 * `compression` lines of a section and its defaults. HAProxy keeps algorithms and types in
 * lists where each new one goes first, the section's before its defaults section's: that is
 * the order in which an `Accept-Encoding` token is matched. `offload` counts only in the
 * section itself (ignored in defaults, with a warning).
 */
function compressionOf(sections: ProxyModel[]): CompressionSettings | undefined {
  const algorithms: CompressionAlgorithm[] = [];
  const types: string[] = [];
  let offload = false;
  let any = false;
  for (const sec of sections) {
    const lines = sec.directives.filter((d) => d.keyword === 'compression');
    for (let i = lines.length - 1; i >= 0; i--) {
      const d = lines[i]!;
      const [, what, ...rest] = d.args;
      any = true;
      d.supported = true;
      if (what === 'algo') algorithms.push(...(rest.reverse() as CompressionAlgorithm[]));
      else if (what === 'type') types.push(...rest.reverse().map((t) => t.toLowerCase()));
      else if (what === 'offload' && sec === sections[0] && sec.kind !== 'defaults') offload = true;
    }
  }
  return any ? { algorithms, types, offload } : undefined;
}

/** HAProxy keeps a captured cookie in 64 bytes (`tune.cookie_len`): 63 characters at most. */
const COOKIE_CAPTURE_MAX = 63;

/** One capture slot of a frontend, in declaration order. */
interface CaptureSlot extends HeaderCapture {
  readonly file: string;
  readonly line: number;
}

/**
 * A frontend's capture slots in declaration order: `capture request|response header`,
 * `declare capture request|response len`, and (request side) `http-request capture … len`.
 */
export function captureLayout(p: ProxyModel): {
  request: CaptureSlot[];
  response: CaptureSlot[];
  cookie: { name: string; len: number } | null;
} {
  const request: CaptureSlot[] = [];
  const response: CaptureSlot[] = [];
  let cookie: { name: string; len: number } | null = null;
  const int = (w: string | undefined) => Math.max(0, Number.parseInt(w ?? '0', 10) || 0);
  const items: { file: string; line: number; run: () => void }[] = [];
  if (p.kind !== 'frontend' && p.kind !== 'listen') return { request, response, cookie };
  for (const d of p.directives) {
    const a = d.args;
    if (d.keyword === 'capture') {
      items.push({
        file: d.file,
        line: d.line,
        run: () => {
          if (a[1] === 'cookie') cookie = { name: a[2] ?? '', len: int(a[4]) };
          else
            (a[1] === 'request' ? request : response).push({
              name: (a[3] ?? '').toLowerCase(),
              len: int(a[5]),
              file: d.file,
              line: d.line,
            });
        },
      });
      d.supported = true;
    } else if (d.keyword === 'declare' && a[1] === 'capture' && a[3] === 'len') {
      items.push({
        file: d.file,
        line: d.line,
        run: () =>
          (a[2] === 'request' ? request : response).push({
            name: '',
            len: int(a[4]),
            file: d.file,
            line: d.line,
          }),
      });
      d.supported = true;
    }
  }
  for (const r of p.rules) {
    if (r.ruleSet !== 'http-request' || r.action !== 'capture' || r.args[1] !== 'len') continue;
    items.push({
      file: r.file,
      line: r.line,
      run: () => request.push({ name: '', len: int(r.args[2]), file: r.file, line: r.line }),
    });
  }
  // one configuration file per section: the line numbers give the order
  items.sort((x, y) => x.line - y.line);
  for (const it of items) it.run();
  return { request, response, cookie };
}

/** The `capture` lines of a frontend (or listen), undefined without any. */
function captures(p: ProxyModel, out: Diagnostic[]): HttpCaptures | undefined {
  const layout = captureLayout(p);
  let cookie = layout.cookie as { name: string; len: number } | null;
  if (cookie !== null && cookie.len > COOKIE_CAPTURE_MAX) {
    out.push({
      level: 'warning',
      code: 'HAP_ERR_CAPTURE',
      keyword: 'capture',
      message: `truncating capture length to ${COOKIE_CAPTURE_MAX} bytes for ${p.kind} '${p.name}'.`,
    });
    cookie = { name: cookie.name, len: COOKIE_CAPTURE_MAX };
  }
  if (layout.request.length === 0 && layout.response.length === 0 && cookie === null) return undefined;
  const plain = (l: readonly CaptureSlot[]) => l.map((c) => ({ name: c.name, len: c.len }));
  return httpCaptures(plain(layout.request), plain(layout.response), cookie);
}
