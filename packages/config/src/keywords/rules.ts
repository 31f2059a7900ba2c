/**
 * Rule sets: `http-request`, `http-response`, `http-after-response`,
 * `tcp-request connection|session|content`, `tcp-response content`, and the
 * rule-like `use_backend`, `use-server`, `redirect`, `stick`.
 */

import { RULE_ACTIONS, type RuleSet } from '../catalog/index.ts';
import type { ConditionModel, RuleModel } from '../model.ts';
import { bestMatch } from '../suggest.ts';
import { declaredAcls, parseCondition } from './acl.ts';
import type { KeywordContext } from './types.ts';

/** Splits `words` at the first `if`/`unless` and parses the condition. */
export function splitCondition(
  ctx: KeywordContext,
  words: string[],
  label: string,
  action?: string,
): { head: string[]; cond: ConditionModel | undefined } | undefined {
  const at = words.findIndex((w) => w === 'if' || w === 'unless');
  if (at < 0) return { head: words, cond: undefined };
  const r = parseCondition(ctx, words.slice(at), declaredAcls(ctx.proxy));
  if ('error' in r) {
    ctx.alert(conditionError(ctx, label, action ?? '', words[at]!, r.error));
    return undefined;
  }
  return { head: words.slice(0, at), cond: r.cond };
}

const PROXY_WORD: Record<string, string> = {
  defaults: 'defaults',
  frontend: 'frontend',
  backend: 'backend',
  listen: 'proxy',
};

/**
 * A condition that does not parse, named the way HAProxy names each kind of rule: the HTTP
 * rule sets with their action, the TCP ones with the proxy, switching rules by that name.
 */
function conditionError(
  ctx: KeywordContext,
  label: string,
  first: string,
  word: string,
  error: string,
): string {
  const proxy = ctx.proxy ? `${PROXY_WORD[ctx.proxy.kind] ?? 'proxy'} '${ctx.proxy.name}'` : 'proxy';
  if (label === 'http-request' || label === 'http-response' || label === 'http-after-response')
    return `error detected while parsing an '${label} ${first}' condition : ${error}.`;
  if (label.startsWith('tcp-request ') || label.startsWith('tcp-response '))
    return `'${label} ${first}' : error detected in ${proxy} while parsing '${word}' condition : ${error}`;
  if (label === 'use_backend' || label === 'use-server')
    return `error detected while parsing switching rule : ${error}.`;
  if (label === 'redirect')
    return `error detected in ${proxy} while parsing redirect rule : error in condition: ${error}.`;
  if (label === 'stick on' || label === 'stick match')
    return `'stick': error detected while parsing sticking condition : ${error}.`;
  if (label === 'monitor fail') return `error detected while parsing a 'monitor fail' condition : ${error}.`;
  return `error detected while parsing an '${label}' condition : ${error}.`;
}

/** What HAProxy 2.6 says when an action lacks arguments (checked with haproxy -c, one by one). */
const MISSING_ARGS: Record<string, string> = {
  'set-header': 'expects exactly 2 arguments.',
  'add-header': 'expects exactly 2 arguments.',
  'replace-header': 'expects exactly 3 arguments.',
  'replace-value': 'expects exactly 3 arguments.',
  'del-header': 'expects at least 1 argument.',
  'replace-path': 'expects exactly 2 arguments <match-regex> and <replace-format>.',
  'replace-pathq': 'expects exactly 2 arguments <match-regex> and <replace-format>.',
  'replace-uri': 'expects exactly 2 arguments <match-regex> and <replace-format>.',
  'set-path': 'expects exactly 1 argument <format>.',
  'set-pathq': 'expects exactly 1 argument <format>.',
  'set-query': 'expects exactly 1 argument <format>.',
  'set-uri': 'expects exactly 1 argument <format>.',
  'set-method': 'expects exactly 1 argument <format>.',
  'set-timeout': 'expects exactly 2 arguments.',
  'set-map(': 'expects exactly 2 arguments.',
  'del-map(': 'expects exactly 1 arguments.',
  'add-acl(': 'expects exactly 1 arguments.',
  'del-acl(': 'expects exactly 1 arguments.',
  'set-log-level': "expects exactly 1 argument (log level name or 'silent').",
  capture: "expects <expression> [ 'len' <length> | id <idx> ].",
  'set-mark': 'expects exactly 1 argument (integer/hex value).',
  'set-var(': 'missing fetch method.',
  'set-src': 'missing fetch method.',
  'set-dst': 'missing fetch method.',
  'set-priority-class': 'missing fetch method.',
  'set-priority-offset': 'missing fetch method.',
  'set-status': 'expects 1 argument: <status>; or 3 arguments: <status> reason <fmt>.',
};

/** Actions whose name carries arguments in parentheses: `set-var(txn.x)`, `track-sc0`, `sc-inc-gpc(1,2)`. */
function actionKey(action: string, known: ReadonlySet<string>): string | undefined {
  if (known.has(action)) return action;
  const paren = action.indexOf('(');
  if (paren > 0) {
    const base = action.slice(0, paren);
    if (known.has(`${base}(`) || known.has(`${base}*`) || known.has(base)) {
      if (!action.endsWith(')')) return undefined;
      return `${base}(`;
    }
  }
  const m = /^(track-sc|sc-inc-gpc|sc-set-gpt|sc-inc-gpc0|sc-inc-gpc1|sc-set-gpt0)(\d+)$/.exec(action);
  if (m && (known.has(`${m[1]}*`) || known.has(action))) return action;
  return undefined;
}

const KNOWN_BY_SET = new Map<string, Set<string>>(
  Object.entries(RULE_ACTIONS).map(([k, v]) => [k, new Set<string>(v)]),
);

/** Minimal argument counts for the common actions (the rest are checked by name only). */
const MIN_ARGS: Record<string, number> = {
  'set-header': 2,
  'add-header': 2,
  'del-header': 1,
  'replace-header': 3,
  'replace-value': 3,
  'set-path': 1,
  'set-pathq': 1,
  'set-query': 1,
  'set-uri': 1,
  'set-method': 1,
  'replace-path': 2,
  'replace-pathq': 2,
  'replace-uri': 2,
  'set-status': 1,
  'set-log-level': 1,
  'set-var(': 1,
  'set-var-fmt(': 1,
  'set-src': 1,
  'set-dst': 1,
  'set-timeout': 2,
  capture: 1,
  'use-service': 1,
  'do-resolve(': 1,
  'add-acl(': 1,
  'del-acl(': 1,
  'set-map(': 2,
  'del-map(': 1,
  'set-mark': 1,
  'set-tos': 1,
  'set-nice': 1,
  'set-priority-class': 1,
  'set-priority-offset': 1,
  'switch-mode': 1,
};

/** Actions haproxyd has no plan for yet (they need Lua, SPOE, OpenTracing, resolvers or the cache). */
export const UNSUPPORTED_ACTIONS: ReadonlySet<string> = new Set([
  'do-resolve(',
  'cache-use',
  'cache-store',
  'send-spoe-group',
  'ot-group',
]);

/** Actions that take no argument at all. */
const NO_ARGS = new Set([
  'allow',
  'reject',
  'accept',
  'disable-l7-retry',
  'wait-for-handshake',
  'silent-drop',
  'cache-store',
]);

const DENY_OPTIONS = new Set([
  'deny_status',
  'status',
  'content-type',
  'default-errorfiles',
  'errorfile',
  'errorfiles',
  'file',
  'lf-file',
  'string',
  'lf-string',
  'hdr',
]);

const REDIRECT_TYPES = new Set(['location', 'prefix', 'scheme']);

/** HAProxy 2.6's experimental actions: refused unless the global section exposes them. */
const EXPERIMENTAL_ACTIONS: ReadonlySet<string> = new Set(['normalize-uri']);
const EXPOSE_EXPERIMENTAL = 'expose-experimental-directives';

export function parseRule(ctx: KeywordContext, ruleSet: RuleSet, from: number): RuleModel | undefined {
  const rule = parseRuleWords(ctx, ruleSet, from);
  // HAProxy stops reading the configuration at a bad HTTP rule (what follows is not checked);
  // a rule haproxyd does not support yet is no error of the configuration: reading goes on
  if (rule === undefined && ruleSet.startsWith('http-') && !unsupported(ctx)) ctx.abort();
  return rule;
}

function unsupported(ctx: KeywordContext): boolean {
  const last = ctx.sink.list[ctx.sink.list.length - 1];
  return last !== undefined && last.level === 'alert' && last.code === 'HAP_CFG_NOT_SUPPORTED';
}

function parseRuleWords(ctx: KeywordContext, ruleSet: RuleSet, from: number): RuleModel | undefined {
  const label = ruleSet;
  const action = ctx.args[from];
  const known = KNOWN_BY_SET.get(ruleSet) ?? new Set<string>();
  if (action === undefined || action === 'if' || action === 'unless') {
    ctx.alert(`'${label}' expects an action.`);
    return undefined;
  }
  const key = actionKey(action, known);
  if (key === undefined) {
    const best = bestMatch(
      action,
      [...known].map((k) => k.replace(/[(*]$/, '')),
    );
    ctx.alert(`'${label}' unknown action '${action}'${best ? `; did you mean '${best}' maybe ?` : ''}.`);
    return undefined;
  }
  if (UNSUPPORTED_ACTIONS.has(key) || key.startsWith('lua.')) {
    ctx.sink.add({
      level: 'alert',
      code: 'HAP_CFG_NOT_SUPPORTED',
      message: `'${label} ${action}' is a HAProxy keyword that haproxyd does not support yet.`,
      file: ctx.file,
      line: ctx.line,
      keyword: label,
    });
    return undefined;
  }
  if (
    EXPERIMENTAL_ACTIONS.has(key) &&
    !ctx.global.directives.some((d) => d.keyword === EXPOSE_EXPERIMENTAL)
  ) {
    ctx.alert(`'${key}' action is experimental, must be allowed via a global '${EXPOSE_EXPERIMENTAL}'`);
    return undefined;
  }
  const split = splitCondition(ctx, ctx.args.slice(from + 1), label, action);
  if (!split) return undefined;
  const args = split.head;
  if (NO_ARGS.has(key) && args.length > 0) {
    ctx.alert(
      `'${label} ${action}' expects either 'if' or 'unless' followed by a condition but found '${args[0]}'.`,
    );
    return undefined;
  }
  const min = MIN_ARGS[key];
  if (min !== undefined && args.length < min) {
    const proxy = ctx.proxy ? `${PROXY_WORD[ctx.proxy.kind] ?? 'proxy'} '${ctx.proxy.name}'` : 'proxy';
    if (!label.startsWith('http-')) {
      ctx.alert(`'${label} ${action}' expects ${min} argument${min > 1 ? 's' : ''}, got ${args.length}.`);
      return undefined;
    }
    const want = MISSING_ARGS[key] ?? `expects at least ${min} argument${min > 1 ? 's' : ''}.`;
    ctx.alert(`error detected in ${proxy} while parsing '${label} ${action}' rule : ${want}`);
    return undefined;
  }
  if (key === 'redirect') {
    if (!REDIRECT_TYPES.has(args[0] ?? '') || args[1] === undefined) {
      ctx.alert(`'${label} redirect' expects 'location', 'prefix' or 'scheme' followed by a value.`);
      return undefined;
    }
  }
  if ((key === 'deny' || key === 'tarpit') && args.length > 0 && !DENY_OPTIONS.has(args[0]!)) {
    ctx.alert(
      `'${label} ${action}' expects either 'if' or 'unless' followed by a condition but found '${args[0]}'.`,
    );
    return undefined;
  }
  if ((key === 'deny' || key === 'tarpit') && args[0] === 'deny_status' && !/^\d{3}$/.test(args[1] ?? '')) {
    ctx.alert(`'${label} ${key}' : 'deny_status' expects a 3-digit HTTP status code.`);
    return undefined;
  }
  return { file: ctx.file, line: ctx.line, ruleSet, action, args, condition: split.cond };
}
