/**
 * `http-check` and `tcp-check` rules (manual §4.2): connect, send, expect
 * and friends, checked by shape. HAProxy numbers these rules as steps; a
 * second `http-check send` needs its own `http-check connect` first.
 */

import { HTTP_CHECK_KEYWORDS, TCP_CHECK_KEYWORDS } from '../catalog/index.ts';
import { checkArgs } from './args.ts';
import type { KeywordContext, KeywordRow } from './types.ts';
import { PROXY_BE } from './types.ts';

const TCP_MATCH = new Set(['string', 'rstring', 'binary', 'rbinary', 'string-lf', 'binary-lf']);
const HTTP_MATCH = new Set(['status', 'rstatus', 'hdr', 'fhdr', 'string', 'rstring', 'string-lf']);
/** expect options that take one value */
const EXPECT_OPTS = new Set([
  'min-recv',
  'comment',
  'ok-status',
  'error-status',
  'tout-status',
  'on-success',
  'on-error',
  'status-code',
]);

/** Per-proxy memory of the previous rules, for HAProxy's ordering rules. */
const lastRules = new WeakMap<object, { sendsSinceConnect: number; steps: number }>();

function checkExpect(ctx: KeywordContext, label: string, http: boolean): boolean {
  const a = ctx.args;
  let i = 2;
  while (i < a.length && EXPECT_OPTS.has(a[i]!)) {
    if (a[i + 1] === undefined) {
      ctx.alert(`'${label}' : '${a[i]}' expects an argument.`);
      return false;
    }
    i += 2;
  }
  if (a[i] === '!') i++;
  const match = a[i];
  const matches = http ? HTTP_MATCH : TCP_MATCH;
  if (match === undefined || !matches.has(match)) {
    ctx.alert(
      `'${label}' : expects ${[...matches].map((m) => `'${m}'`).join(', ')} as matching method (got '${match ?? ''}').`,
    );
    return false;
  }
  if (http && (match === 'hdr' || match === 'fhdr')) {
    if (a[i + 1] !== 'name') {
      ctx.alert(`'${label}' : '${match}' expects 'name' <header> [ 'value' <pattern> ].`);
      return false;
    }
    return true;
  }
  if (a[i + 1] === undefined) {
    ctx.alert(`'${label}' : '${match}' expects a <pattern> as argument.`);
    return false;
  }
  if (match === 'rstring' || match === 'rstatus' || match === 'rbinary') {
    try {
      new RegExp(a[i + 1]!);
    } catch (e) {
      ctx.alert(`'${label}' : regex '${a[i + 1]}' failed to compile: ${(e as Error).message}.`);
      return false;
    }
  }
  return true;
}

function checkRule(kind: 'http-check' | 'tcp-check'): KeywordRow {
  const http = kind === 'http-check';
  // 'set-var(' and 'unset-var(' are written with their argument: compare the part before '('
  const verbs = (http ? HTTP_CHECK_KEYWORDS : TCP_CHECK_KEYWORDS).map((v) => v.replace(/\($/, ''));
  return {
    name: kind,
    sections: PROXY_BE,
    supported: false,
    parse(ctx) {
      const verb = ctx.args[1] ?? '';
      const base = verb.replace(/\(.*$/, '');
      if (!verbs.includes(base)) {
        ctx.alert(`'${kind}' only supports ${verbs.map((v) => `'${v}'`).join(', ')} (got '${verb}').`);
        return;
      }
      const label = `${kind} ${base}`;
      ctx.directive.keyword = label;
      const proxy = ctx.proxy!;
      let mem = lastRules.get(proxy);
      if (!mem) {
        mem = { sendsSinceConnect: 0, steps: 0 };
        lastRules.set(proxy, mem);
      }
      switch (base) {
        case 'disable-on-404':
        case 'send-state':
          checkArgs(ctx, 'none', 2, label);
          return;
        case 'comment':
          checkArgs(ctx, 'word', 2, label);
          return;
        case 'connect':
          mem.steps++;
          mem.sendsSinceConnect = 0;
          return;
        case 'expect':
          if (checkExpect(ctx, label, http)) mem.steps++;
          return;
        case 'send':
          if (http) {
            if (mem.sendsSinceConnect > 0) {
              ctx.alert(
                `'${label}' : unable to add http-check send rule at step ${mem.steps} (missing connect rule).`,
              );
              return;
            }
            mem.sendsSinceConnect++;
          } else if (ctx.args[2] === undefined) {
            ctx.alert(`'${label}' expects a <data> as argument.`);
            return;
          }
          mem.steps++;
          return;
        default:
          if (!http && ctx.args[2] === undefined) {
            ctx.alert(`'${label}' expects a <data> as argument.`);
            return;
          }
          mem.steps++;
      }
    },
  };
}

export const HTTP_CHECK_ROW = checkRule('http-check');
export const TCP_CHECK_ROW = checkRule('tcp-check');
