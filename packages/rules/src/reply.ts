/**
 * Responses made by rules (`return`, `deny` with a body, `redirect`, `auth`): a status line
 * and headers without the final empty line (the proxy adds its `connection` line), and a
 * body. A reply whose parts are all constant is built once at start.
 */

import { readFileSync } from 'node:fs';
import { reasonPhrase } from '@hap/http';
import { compileLogFormat, type LogFormat, type SampleEnv } from '@hap/sample';
import { RuleError } from './errors.ts';
import type { ActionContext } from './types.ts';

export interface Reply {
  status: number;
  /** `HTTP/1.1 <status> <reason>\r\n` and header lines, without the empty line. */
  head: string;
  body: Buffer;
}

/** How a rule answers: a fixed reply, one built per request, or the proxy's error page for `status`. */
export interface ReplySpec {
  readonly status: number;
  /** Set when the reply is the proxy's own error page for `status` (errorfile or built-in). */
  readonly errorPage: boolean;
  /** A reply built once (constant parts only). */
  readonly fixed: Reply | undefined;
  /** Builds the reply of one request. */
  build(env: SampleEnv): Reply;
}

interface ReplyParts {
  status: number;
  contentType: string | undefined;
  /** Constant body, or a log-format to render. */
  body: Buffer | LogFormat;
  headers: [string, LogFormat][];
  /** A whole response from an errorfile-like source. */
  raw: Buffer | undefined;
}

function render(p: ReplyParts, env: SampleEnv | undefined): Reply {
  if (p.raw !== undefined) return rawReply(p.status, p.raw);
  let head = `HTTP/1.1 ${p.status} ${reasonPhrase(p.status)}\r\n`;
  for (const [name, value] of p.headers) head += `${name}: ${env ? value.render(env) : value.constant}\r\n`;
  const b = p.body;
  const body = Buffer.isBuffer(b) ? b : Buffer.from(env ? b.render(env) : (b.constant ?? ''), 'latin1');
  head += `content-length: ${body.length}\r\n`;
  if (p.contentType !== undefined) head += `content-type: ${p.contentType}\r\n`;
  return { status: p.status, head, body };
}

/** An errorfile-shaped response (head and body in one buffer) split for the proxy. */
export function rawReply(status: number, raw: Buffer): Reply {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) return { status, head: raw.toString('latin1'), body: Buffer.alloc(0) };
  return { status, head: raw.subarray(0, end + 2).toString('latin1'), body: raw.subarray(end + 4) };
}

function isConstant(p: ReplyParts): boolean {
  const b = p.body;
  if (!Buffer.isBuffer(b) && b.constant === undefined) return false;
  return p.headers.every(([, v]) => v.constant !== undefined);
}

function makeSpec(p: ReplyParts, errorPage: boolean): ReplySpec {
  const fixed = errorPage ? undefined : isConstant(p) ? render(p, undefined) : undefined;
  return {
    status: p.status,
    errorPage,
    fixed,
    build: (env) => fixed ?? render(p, env),
  };
}

/**
 * Options of `return` (`kind` 'return') and `deny`/`tarpit` ('deny'). Without a payload or an
 * errorfile, `return` answers an empty response of its status and `deny` the proxy's error
 * page; `default-errorfiles` asks for the error page. `content-type` and `hdr` only apply to a
 * payload.
 */
export function compileReplyOptions(
  words: readonly string[],
  defaultStatus: number,
  ctx: ActionContext,
  label: string,
  kind: 'return' | 'deny',
): ReplySpec {
  const p: ReplyParts = {
    status: defaultStatus,
    contentType: undefined,
    body: Buffer.alloc(0),
    headers: [],
    raw: undefined,
  };
  let source: string | undefined;
  let payload = false;
  const setSource = (w: string) => {
    if (source !== undefined)
      throw new RuleError('HAP_RULE_ARGS', `'${label}' : '${w}' cannot be used with '${source}'.`);
    source = w;
  };
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const v = words[i + 1];
    const need = () => {
      if (v === undefined) throw new RuleError('HAP_RULE_ARGS', `'${label}' : '${w}' expects an argument.`);
      i++;
      return v;
    };
    switch (w) {
      case 'status':
      case 'deny_status': {
        const s = need();
        const n = Number(s);
        if (!/^\d{3}$/.test(s) || n < 200 || n > 599)
          throw new RuleError('HAP_RULE_ARGS', `'${label}' : status code '${s}' out of range (200..599).`);
        p.status = n;
        break;
      }
      case 'content-type':
        p.contentType = need();
        break;
      case 'string':
        setSource(w);
        p.body = Buffer.from(need(), 'latin1');
        payload = true;
        break;
      case 'lf-string':
        setSource(w);
        p.body = compileLogFormat(need(), ctx);
        payload = true;
        break;
      case 'file':
      case 'lf-file': {
        setSource(w);
        const path = need();
        let data: Buffer;
        try {
          data = readFileSync(ctx.resolvePath(path));
        } catch (err) {
          throw new RuleError(
            'HAP_RULE_FILE',
            `'${label}' : failed to read file '${path}' (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`,
          );
        }
        p.body = w === 'file' ? data : compileLogFormat(data.toString('latin1'), ctx);
        payload = true;
        break;
      }
      case 'errorfile':
        setSource(w);
        p.raw = ctx.loadErrorFile(need(), p.status);
        break;
      case 'errorfiles': {
        setSource(w);
        const name = need();
        const raw = ctx.httpErrors(name, p.status);
        if (raw === null)
          throw new RuleError('HAP_RULE_ARGS', `'${label}' : unknown http-errors section '${name}'.`);
        p.raw = raw;
        break;
      }
      case 'default-errorfiles':
        setSource(w);
        break;
      case 'hdr': {
        const name = need();
        const value = words[i + 1];
        if (value === undefined)
          throw new RuleError('HAP_RULE_ARGS', `'${label}' : 'hdr' expects a name and a value.`);
        i++;
        p.headers.push([name.toLowerCase(), compileLogFormat(value, ctx)]);
        break;
      }
      default:
        throw new RuleError('HAP_RULE_ARGS', `'${label}' : unexpected keyword '${w}'.`);
    }
  }
  const emptyPayload = Buffer.isBuffer(p.body) && p.body.length === 0;
  if (payload && !emptyPayload && p.contentType === undefined)
    throw new RuleError('HAP_RULE_ARGS', `'${label}' : a content-type must be set when a payload is given.`);
  if (!payload || emptyPayload) p.contentType = undefined;
  // an errorfiles section without a page for the status falls back to the proxy's pages
  const errorPage =
    source === 'default-errorfiles' ||
    (source === 'errorfiles' && p.raw === undefined) ||
    (kind === 'deny' && source === undefined);
  if (errorPage || p.raw !== undefined) p.headers = [];
  return makeSpec(p, errorPage);
}

/** A reply given whole (redirects): status line and headers already rendered. */
export function fixedReply(status: number, head: string, body = Buffer.alloc(0)): Reply {
  return { status, head, body };
}
