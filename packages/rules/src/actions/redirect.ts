/**
 * `redirect location|prefix|scheme <value> [code <c>] [set-cookie <n[=v]>] [clear-cookie <n>]
 * [drop-query] [keep-query] [append-slash] [ignore-empty]`, as an `http-request` /
 * `http-response` action and as the `redirect` keyword of a proxy. The answer is a 30x with
 * no body: content-length 0, location, cache-control no-cache for 302/303/307, set-cookie.
 */

import { compileLogFormat, type LogFormat } from '@hap/sample';
import { RuleError } from '../errors.ts';
import { type HttpActionRow, V_CONTINUE, V_REPLY } from '../types.ts';
import { pathQueryOf } from '../uri.ts';

const REASONS: Record<number, string> = {
  301: 'Moved Permanently',
  302: 'Found',
  303: 'See Other',
  307: 'Temporary Redirect',
  308: 'Permanent Redirect',
};

function headerOf(headers: string[], lower: string): string | undefined {
  for (let i = 0; i < headers.length; i += 2)
    if ((headers[i] as string).toLowerCase() === lower) return headers[i + 1];
  return undefined;
}

export const redirectAction: HttpActionRow = {
  name: 'redirect',
  compile(args, _p, ctx, label) {
    const type = args[0];
    if (type !== 'location' && type !== 'prefix' && type !== 'scheme')
      throw new RuleError(
        'HAP_RULE_ARGS',
        `'${label}' expects 'location', 'prefix' or 'scheme' followed by a value (was '${type ?? ''}').`,
      );
    const value = args[1];
    if (value === undefined) throw new RuleError('HAP_RULE_ARGS', `'${label} ${type}' expects a value.`);
    let code = 302;
    let cookie: string | undefined;
    let dropQuery = false;
    let keepQuery = false;
    let appendSlash = false;
    let ignoreEmpty = false;
    for (let i = 2; i < args.length; i++) {
      const w = args[i];
      switch (w) {
        case 'code': {
          const c = Number(args[++i]);
          if (REASONS[c] === undefined)
            throw new RuleError(
              'HAP_RULE_ARGS',
              `'${label}': unsupported HTTP code '${args[i] ?? ''}' (must be one of 301, 302, 303, 307 or 308).`,
            );
          code = c;
          break;
        }
        case 'set-cookie':
        case 'clear-cookie': {
          const c = args[++i];
          if (c === undefined)
            throw new RuleError('HAP_RULE_ARGS', `'${label}': missing argument for '${w}'.`);
          cookie = w === 'set-cookie' ? `${c}; path=/;` : `${c}; path=/; Max-Age=0;`;
          break;
        }
        case 'drop-query':
          dropQuery = true;
          break;
        case 'keep-query':
          keepQuery = true;
          break;
        case 'append-slash':
          appendSlash = true;
          break;
        case 'ignore-empty':
          ignoreEmpty = true;
          break;
        default:
          throw new RuleError(
            'HAP_RULE_ARGS',
            `'${label}' expects 'code', 'prefix', 'location', 'scheme', 'set-cookie', 'clear-cookie', 'drop-query', 'keep-query', 'ignore-empty' or 'append-slash' (was '${w}').`,
          );
      }
    }
    // a prefix of "/" alone adds nothing: it redirects to the same path
    const selfPrefix = type === 'prefix' && value === '/';
    const fmt: LogFormat | undefined = selfPrefix ? undefined : compileLogFormat(value, ctx);
    let tail = '';
    if (code === 302 || code === 303 || code === 307) tail += 'cache-control: no-cache\r\n';
    if (cookie !== undefined) tail += `set-cookie: ${cookie}\r\n`;
    const statusLine = `HTTP/1.1 ${code} ${REASONS[code]}\r\ncontent-length: 0\r\n`;
    return {
      run(env, msg, out) {
        const req = env.req ?? msg;
        let location = fmt === undefined ? '' : fmt.render(env);
        if (type === 'location') {
          if (location === '' && ignoreEmpty) return V_CONTINUE;
          if (keepQuery) {
            const t = req.target;
            const q = t.indexOf('?', t.length - pathQueryOf(t).length);
            if (q >= 0 && q + 1 < t.length) {
              const at = location.indexOf('?');
              const sep = at < 0 ? '?' : at + 1 < location.length ? '&' : '';
              location += sep + t.slice(q + 1);
            }
          }
        } else {
          let path = pathQueryOf(req.target);
          if (path === '') path = '/';
          if (dropQuery) {
            const q = path.indexOf('?');
            if (q >= 0) path = path.slice(0, q);
          }
          if (type === 'scheme') location += `://${headerOf(req.headers, 'host') ?? ''}`;
          location += path;
          if (appendSlash && location !== '' && !location.endsWith('/')) location += '/';
        }
        out.status = code;
        out.closeWithBody = true;
        out.reply = { status: code, head: `${statusLine}location: ${location}\r\n${tail}`, body: EMPTY };
        return V_REPLY;
      },
    };
  },
};

const EMPTY = Buffer.alloc(0);
