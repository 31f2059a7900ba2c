/**
 * Responses made by rules (`return`, `deny`/`tarpit` with a payload, `redirect`, `auth`): a
 * status line and headers without the final empty line (the proxy adds its `connection`
 * line), and a body. A reply whose parts are all constant is built once at start.
 */

import { readFileSync } from 'node:fs';
import { ERROR_PAGE_STATUSES, type ErrorMessage, parseErrorFile } from '@hap/http';
import { compileLogFormat, type LogFormat, type SampleEnv } from '@hap/sample';
import { RuleError } from './errors.ts';
import { pageReply, type Reply } from './page-reply.ts';
import { haproxyReason } from './reasons.ts';
import type { ActionContext } from './types.ts';

export type { Reply };

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
  page: ErrorMessage | undefined;
}

function render(p: ReplyParts, env: SampleEnv | undefined): Reply {
  if (p.page !== undefined) return pageReply(p.page);
  let head = `HTTP/1.1 ${p.status} ${haproxyReason(p.status)}\r\n`;
  for (const [name, value] of p.headers) {
    const v = env ? value.render(env) : (value.constant ?? '');
    // a header whose value renders empty is not added
    if (v !== '') head += `${name}: ${v}\r\n`;
  }
  const b = p.body;
  const body = Buffer.isBuffer(b) ? b : Buffer.from(env ? b.render(env) : (b.constant ?? ''), 'latin1');
  head += `content-length: ${body.length}\r\n`;
  if (p.contentType !== undefined && body.length > 0) head += `content-type: ${p.contentType}\r\n`;
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

/** An errorfile's bytes as the message HAProxy sends (a file HAProxy refuses is a rule error). */
function errorFile(bytes: Buffer, status: number, label: string): ErrorMessage {
  try {
    return parseErrorFile(bytes, status, label);
  } catch (err) {
    throw new RuleError('HAP_RULE_FILE', `'${label}' : ${(err as Error).message}.`);
  }
}

/** Headers an HTTP reply always computes itself: a `hdr` naming one is ignored (as HAProxy, which warns). */
const COMPUTED = new Set(['content-length', 'transfer-encoding', 'content-type']);

/**
 * Options of `return` (`kind` 'return'), `deny`/`tarpit` ('deny') and `http-error`
 * ('http-error'). Without a payload or an errorfile the reply is an empty response of its
 * status; `default-errorfiles` asks for the proxy's error page. A `deny` with no option, or
 * with `deny_status <code>` alone, is the legacy form: the proxy's error page for the status;
 * in any other form `deny_status` is `status`. `content-type` and `hdr` only apply to a payload.
 */
export function compileReplyOptions(
  words: readonly string[],
  defaultStatus: number,
  ctx: ActionContext,
  label: string,
  kind: 'return' | 'deny' | 'http-error',
): ReplySpec {
  const p: ReplyParts = {
    status: defaultStatus,
    contentType: undefined,
    body: Buffer.alloc(0),
    headers: [],
    page: undefined,
  };
  const legacy =
    kind === 'deny' && (words.length === 0 || (words.length === 2 && words[0] === 'deny_status'));
  let source: string | undefined = legacy ? 'default-errorfiles' : undefined;
  let payload = false;
  let errorfilesName: string | undefined;
  const setSource = (w: string) => {
    if (source !== undefined)
      throw new RuleError(
        'HAP_RULE_ARGS',
        `'${label}' : unexpected '${w}' argument, '${source}' already defined.`,
      );
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
      case 'deny_status':
      case 'status': {
        // in a reply, a leading deny_status is status
        if (w === 'deny_status' && (kind !== 'deny' || i !== 0))
          throw new RuleError('HAP_RULE_ARGS', `'${label}' : unexpected keyword '${w}'.`);
        const s = need();
        const n = Number(s);
        if (!/^\d{3}$/.test(s) || n < 200 || n > 599)
          throw new RuleError('HAP_RULE_ARGS', `'${label}' : unexpected status code '${s}' (200..599).`);
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
        p.page = errorFile(ctx.loadErrorFile(need(), p.status), p.status, label);
        break;
      case 'errorfiles':
        setSource(w);
        errorfilesName = need();
        break;
      case 'default-errorfiles':
        setSource(w);
        break;
      case 'hdr': {
        const name = need();
        const value = words[i + 1];
        if (value === undefined)
          throw new RuleError('HAP_RULE_ARGS', `'${label}' : 'hdr' expects <name> and <value> as arguments.`);
        i++;
        if (!COMPUTED.has(name.toLowerCase()))
          p.headers.push([name.toLowerCase(), compileLogFormat(value, ctx)]);
        break;
      }
      default:
        throw new RuleError('HAP_RULE_ARGS', `'${label}' : unexpected keyword '${w}'.`);
    }
  }
  if ((source === 'errorfiles' || source === 'default-errorfiles') && !ERROR_PAGE_STATUSES.includes(p.status))
    throw new RuleError(
      'HAP_RULE_ARGS',
      `'${label}' : status code '${p.status}' not handled by default with '${source}' argument.`,
    );
  if (errorfilesName !== undefined) {
    const page = ctx.httpErrors(errorfilesName, p.status);
    if (page === null)
      throw new RuleError('HAP_RULE_ARGS', `'${label}' : unknown http-errors section '${errorfilesName}'.`);
    if (page !== undefined) p.page = errorFile(page, p.status, label);
  }
  const emptyPayload = Buffer.isBuffer(p.body) && p.body.length === 0;
  if (payload && !emptyPayload && p.contentType === undefined)
    throw new RuleError(
      'HAP_RULE_ARGS',
      `'${label}' : a content type must be defined when a payload is configured.`,
    );
  if (payload && (p.status === 204 || p.status === 304) && !emptyPayload)
    throw new RuleError('HAP_RULE_ARGS', `'${label}' : no body expected for ${p.status} responses.`);
  if (!payload || emptyPayload) p.contentType = undefined;
  // an errorfiles section without a page for the status falls back to the proxy's pages
  const errorPage = source === 'default-errorfiles' || (source === 'errorfiles' && p.page === undefined);
  if (errorPage || p.page !== undefined) p.headers = [];
  return makeSpec(p, errorPage);
}

/** A reply given whole (redirects): status line and headers already rendered. */
export function fixedReply(status: number, head: string, body = Buffer.alloc(0)): Reply {
  return { status, head, body };
}
