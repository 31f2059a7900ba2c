/**
 * Actions on the start line: the request's method and target (set-method, set-path,
 * set-pathq, set-query, set-uri, replace-path, replace-pathq, replace-uri) and the
 * response's status (set-status).
 */

import { compileLogFormat, type LogFormat, type SampleEnv } from '@hap/sample';
import { RuleError } from '../errors.ts';
import { haproxyReason } from '../reasons.ts';
import { compileRegex, expandReplacement } from '../regex.ts';
import { type HttpActionRow, type HttpMessage, V_CONTINUE, type Verdict } from '../types.ts';
import { authorityOf, pathOf, pathQueryOf, withPath, withPathQuery, withQuery } from '../uri.ts';

type Apply = (target: string, value: string) => string;

/** set-uri and replace-uri: a new absolute-form target also sets every Host header to its authority. */
function setUri(msg: HttpMessage, target: string): void {
  msg.target = target;
  const authority = authorityOf(target, msg.method);
  if (authority === undefined) return;
  const h = msg.headers;
  for (let i = 0; i < h.length; i += 2) if ((h[i] as string).toLowerCase() === 'host') h[i + 1] = authority;
}

function setRow(name: string, apply: Apply, wholeUri = false): HttpActionRow {
  return {
    name,
    compile(args, _p, ctx, label) {
      if (args.length !== 1)
        throw new RuleError('HAP_RULE_ARGS', `'${label}' expects exactly 1 argument <format>.`);
      const fmt = compileLogFormat(args[0]!, ctx);
      return {
        run(env: SampleEnv, msg: HttpMessage): Verdict {
          const target = apply(msg.target, fmt.render(env));
          if (wholeUri) setUri(msg, target);
          else msg.target = target;
          return V_CONTINUE;
        },
      };
    },
  };
}

/** replace-*: when the regex matches the part, the part becomes the expanded replacement. */
function replaceRow(
  name: string,
  part: (target: string) => string,
  apply: Apply,
  wholeUri = false,
): HttpActionRow {
  return {
    name,
    compile(args, _p, ctx, label) {
      if (args.length !== 2)
        throw new RuleError(
          'HAP_RULE_ARGS',
          `'${label}' expects exactly 2 arguments <match-regex> and <replace-format>.`,
        );
      const re = compileRegex(args[0]!, false, label);
      const fmt: LogFormat = compileLogFormat(args[1]!, ctx);
      return {
        run(env, msg) {
          const current = part(msg.target);
          if (current === '') return V_CONTINUE;
          re.lastIndex = 0;
          const m = re.exec(current);
          if (m === null) return V_CONTINUE;
          const target = apply(msg.target, expandReplacement(fmt.render(env), m));
          if (wholeUri) setUri(msg, target);
          else msg.target = target;
          return V_CONTINUE;
        },
      };
    },
  };
}

const setMethod: HttpActionRow = {
  name: 'set-method',
  compile(args, _p, ctx, label) {
    if (args.length !== 1)
      throw new RuleError('HAP_RULE_ARGS', `'${label}' expects exactly 1 argument <format>.`);
    const fmt = compileLogFormat(args[0]!, ctx);
    return {
      run(env, msg) {
        msg.method = fmt.render(env);
        return V_CONTINUE;
      },
    };
  },
};

const setStatus: HttpActionRow = {
  name: 'set-status',
  compile(args, _p, _ctx, label) {
    const code = Number(args[0]);
    if (!/^\d{3}$/.test(args[0] ?? '') || code < 100 || code > 999)
      throw new RuleError('HAP_RULE_ARGS', `'${label}' expects an HTTP status code between 100 and 999.`);
    let reason: string | undefined;
    if (args[1] === 'reason') {
      if (args[2] === undefined)
        throw new RuleError('HAP_RULE_ARGS', `'${label}' : 'reason' expects a text.`);
      reason = args[2];
    } else if (args.length > 1) throw new RuleError('HAP_RULE_ARGS', `'${label}' : unexpected '${args[1]}'.`);
    return {
      run(_env, msg) {
        msg.status = code;
        msg.reason = reason ?? haproxyReason(code);
        return V_CONTINUE;
      },
    };
  },
};

export const START_LINE_ACTIONS: readonly HttpActionRow[] = [
  setMethod,
  setRow('set-path', withPath),
  setRow('set-pathq', withPathQuery),
  setRow('set-query', withQuery),
  setRow('set-uri', (_t, v) => v, true),
  replaceRow('replace-path', pathOf, withPath),
  replaceRow('replace-pathq', pathQueryOf, withPathQuery),
  replaceRow(
    'replace-uri',
    (t) => t,
    (_t, v) => v,
    true,
  ),
];

export const RESPONSE_START_LINE_ACTIONS: readonly HttpActionRow[] = [setStatus];
