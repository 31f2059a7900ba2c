/**
 * The HTTP settings of a proxy section, as the HTTP engine applies them: the
 * connection mode (`option http-keep-alive|http-server-close|httpclose`),
 * `option forwardfor`, `errorfile` pages, and an unconditional
 * `http-request return` (the one rule served before the rule engine exists).
 * Settings inherited from a `defaults` section are looked up there.
 */

import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { ConfigModel, Diagnostic, Directive, ProxyModel } from '@hap/config';
import { type ErrorMessage, loadErrorFile, reasonPhrase } from '@hap/http';
import type { ForwardFor, HttpConnectionMode, HttpProxySettings, LocalReply } from '@hap/proxy';

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

function errorFiles(sections: ProxyModel[], out: Diagnostic[]): Map<number, ErrorMessage> {
  const pages = new Map<number, ErrorMessage>();
  // nearest section first: a page set in the section wins over its defaults
  for (const s of sections) {
    for (const d of s.directives) {
      if (d.keyword !== 'errorfile') continue;
      const status = Number(d.args[1]);
      if (pages.has(status)) continue;
      const known = loadedErrorFiles.get(d);
      if (known !== undefined) {
        if (known !== null) pages.set(status, known);
        continue;
      }
      loadedErrorFiles.set(d, null);
      const path = d.args[2] ?? '';
      try {
        const page = loadErrorFile(isAbsolute(path) ? path : resolve(path), status);
        loadedErrorFiles.set(d, page);
        pages.set(status, page);
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
      } catch (err) {
        out.push({
          level: 'alert',
          code: 'HAP_ERR_NOT_SERVED',
          file: d.file,
          line: d.line,
          keyword: 'errorfile',
          message: (err as Error).message,
        });
      }
    }
  }
  return pages;
}

function unsupported(out: Diagnostic[], d: { file: string; line: number }, what: string): undefined {
  out.push({
    level: 'alert',
    code: 'HAP_ERR_NOT_SERVED',
    file: d.file,
    line: d.line,
    keyword: 'http-request',
    message: `'http-request return' ${what} is not supported yet by haproxyd's runtime.`,
  });
  return undefined;
}

/**
 * `http-request return [status <code>] [content-type <type>] [string|lf-string <text>]
 * [file|lf-file <path>] [hdr <name> <value>]*` as a ready-made response.
 */
function compileReturn(
  rule: { file: string; line: number; args: string[] },
  out: Diagnostic[],
): LocalReply | undefined {
  let status = 200;
  let contentType: string | undefined;
  let body = Buffer.alloc(0);
  let hdrs = '';
  const a = rule.args;
  for (let i = 0; i < a.length; i++) {
    const w = a[i];
    const v = a[i + 1] ?? '';
    switch (w) {
      case 'status':
        status = Number(v);
        i++;
        break;
      case 'content-type':
        contentType = v;
        i++;
        break;
      case 'string':
      case 'lf-string':
        if (w === 'lf-string' && v.includes('%')) return unsupported(out, rule, 'with a log-format string');
        body = Buffer.from(v, 'latin1');
        i++;
        break;
      case 'file':
      case 'lf-file':
        try {
          body = readFileSync(isAbsolute(v) ? v : resolve(v));
        } catch (err) {
          return unsupported(out, rule, `with an unreadable file (${(err as Error).message})`);
        }
        if (w === 'lf-file' && body.includes('%')) return unsupported(out, rule, 'with a log-format file');
        i++;
        break;
      case 'hdr': {
        const value = a[i + 2] ?? '';
        if (value.includes('%')) return unsupported(out, rule, 'with a log-format header');
        hdrs += `${v.toLowerCase()}: ${value}\r\n`;
        i += 2;
        break;
      }
      default:
        return unsupported(out, rule, `option '${w}'`);
    }
  }
  let head = `HTTP/1.1 ${status} ${reasonPhrase(status)}\r\n${hdrs}content-length: ${body.length}\r\n`;
  if (contentType !== undefined) head += `content-type: ${contentType}\r\n`;
  return { head, body };
}

/**
 * An `http-request return` with no condition as the first `http-request` rule answers every
 * request; the rules after it are never reached. Its directives are then honoured.
 */
function localReply(p: ProxyModel, out: Diagnostic[]): LocalReply | undefined {
  const first = p.rules.find((r) => r.ruleSet === 'http-request');
  if (first?.action !== 'return' || first.condition !== undefined) return undefined;
  const reply = compileReturn(first, out);
  if (reply) {
    for (const d of p.directives) if (d.keyword === 'http-request') d.supported = true;
  }
  return reply;
}

/** The HTTP settings of a frontend, backend or listen section. */
export function httpSettings(model: ConfigModel, p: ProxyModel, out: Diagnostic[]): HttpProxySettings {
  const sections = chain(model, p);
  return {
    mode: connectionMode(sections),
    forwardFor: forwardFor(sections, out),
    errorFiles: errorFiles(sections, out),
    localReply: localReply(p, out),
    bufferRequest: optionOn(sections, 'option http-buffer-request'),
  };
}
