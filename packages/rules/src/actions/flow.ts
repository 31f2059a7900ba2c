/**
 * Actions that end or steer a rule list: allow, deny, tarpit, reject, return, auth, and
 * those with no effect on the message: set-var, set-var-fmt, unset-var, set-log-level.
 */

import {
  compileLogFormat,
  compileSampleExpr,
  type SampleEnv,
  SET_VAR_CONDITIONS,
  setVarConditionsHold,
} from '@hap/sample';
import { RuleError } from '../errors.ts';
import { compileReplyOptions, type Reply, type ReplySpec } from '../reply.ts';
import { type HttpActionRow, V_ALLOW, V_CONTINUE, V_DENY, V_REJECT, V_REPLY, V_TARPIT } from '../types.ts';

function noArgs(args: readonly string[], label: string): void {
  if (args.length > 0)
    throw new RuleError(
      'HAP_RULE_ARGS',
      `'${label}' expects either 'if' or 'unless' followed by a condition but found '${args[0]}'.`,
    );
}

const allow: HttpActionRow = {
  name: 'allow',
  compile(args, _p, _ctx, label) {
    noArgs(args, label);
    return { run: () => V_ALLOW };
  },
};

function rejectRow(name: string): HttpActionRow {
  return {
    name,
    compile(args, _p, _ctx, label) {
      noArgs(args, label);
      return { run: () => V_REJECT };
    },
  };
}

/**
 * The reply of a rule, or undefined for the proxy's error page. In a response rule set the
 * server's response is dropped before the reply is built (as HAProxy truncates it): `status`
 * and `res.hdr()` find nothing there.
 */
function replyOf(spec: ReplySpec, env: SampleEnv, response: boolean): Reply | undefined {
  if (spec.errorPage) return undefined;
  if (spec.fixed !== undefined) return spec.fixed;
  if (!response) return spec.build(env);
  const res = env.res;
  env.res = undefined;
  try {
    return spec.build(env);
  } finally {
    env.res = res;
  }
}

/** deny / tarpit: the proxy's error page for the status unless the rule gives its own reply. */
function denyRow(
  name: 'deny' | 'tarpit',
  defaultStatus: number,
  verdict: 2 | 4,
  response: boolean,
): HttpActionRow {
  return {
    name,
    compile(args, _p, ctx, label) {
      const spec = compileReplyOptions(args, defaultStatus, ctx, label, 'deny');
      return {
        run(env, _msg, out) {
          out.status = spec.status;
          out.reply = replyOf(spec, env, response);
          return verdict;
        },
      };
    },
  };
}

function returnRow(response: boolean): HttpActionRow {
  return {
    name: 'return',
    compile(args, _p, ctx, label) {
      const spec = compileReplyOptions(args, 200, ctx, label, 'return');
      return {
        run(env, _msg, out) {
          out.status = spec.status;
          out.reply = replyOf(spec, env, response);
          return V_REPLY;
        },
      };
    },
  };
}

/** `auth [realm <realm>]`: the proxy's 401 page with a Basic challenge (realm: the proxy's name). */
function authRow(proxyName: () => string): HttpActionRow {
  return {
    name: 'auth',
    compile(args, _p, _ctx, label) {
      let realm: string | undefined;
      if (args[0] === 'realm') {
        if (args[1] === undefined) throw new RuleError('HAP_RULE_ARGS', `'${label}' : missing realm value.`);
        realm = args[1];
        if (args.length > 2) throw new RuleError('HAP_RULE_ARGS', `'${label}' : unexpected '${args[2]}'.`);
      } else noArgs(args, label);
      return {
        run(_env, _msg, out) {
          out.status = 401;
          out.reply = undefined;
          out.extraHeader = `www-authenticate: Basic realm="${realm ?? proxyName()}"\r\n`;
          return V_REPLY;
        },
      };
    },
  };
}

function checkVarName(name: string | undefined, label: string): string {
  if (name === undefined || !/^(proc|sess|txn|req|res)\.[A-Za-z0-9_.]+$/.test(name))
    throw new RuleError(
      'HAP_RULE_ARGS',
      `'${label}' : invalid variable name '${name ?? ''}' (expected a scope among proc, sess, txn, req, res followed by '.' and a name).`,
    );
  return name;
}

/** `set-var(<name>[,<cond>…])`: the name and the conditions that must all hold for the set to happen. */
function varTarget(param: string | undefined, label: string): { name: string; conds: string[] } {
  const [first, ...conds] = (param ?? '').split(',');
  const name = checkVarName(first, label);
  if (conds.length > 4)
    throw new RuleError(
      'HAP_RULE_ARGS',
      `'${label}' : at most four conditions may follow the variable name.`,
    );
  for (const c of conds)
    if (!SET_VAR_CONDITIONS.includes(c))
      throw new RuleError('HAP_RULE_ARGS', `'${label}' : unknown condition '${c}'.`);
  return { name, conds };
}

const setVar: HttpActionRow = {
  name: 'set-var',
  param: true,
  compile(args, param, ctx, label) {
    const { name, conds } = varTarget(param, label);
    if (args.length !== 1) throw new RuleError('HAP_RULE_ARGS', `'${label}' expects a sample expression.`);
    const expr = compileSampleExpr(args[0]!, ctx);
    return {
      run(env) {
        const v = expr.eval(env);
        if (v === undefined) return V_CONTINUE;
        if (conds.length === 0 || setVarConditionsHold(conds, env.vars.get(name), v)) env.vars.set(name, v);
        return V_CONTINUE;
      },
    };
  },
};

const setVarFmt: HttpActionRow = {
  name: 'set-var-fmt',
  param: true,
  compile(args, param, ctx, label) {
    const { name, conds } = varTarget(param, label);
    if (args.length !== 1) throw new RuleError('HAP_RULE_ARGS', `'${label}' expects a log-format string.`);
    const fmt = compileLogFormat(args[0]!, ctx);
    return {
      run(env) {
        const v = fmt.render(env);
        if (conds.length === 0 || setVarConditionsHold(conds, env.vars.get(name), v)) env.vars.set(name, v);
        return V_CONTINUE;
      },
    };
  },
};

const unsetVar: HttpActionRow = {
  name: 'unset-var',
  param: true,
  compile(args, param, _ctx, label) {
    const name = checkVarName(param, label);
    noArgs(args, label);
    return {
      run(env) {
        env.vars.unset(name);
        return V_CONTINUE;
      },
    };
  },
};

const LOG_LEVELS = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug', 'silent'];

const setLogLevel: HttpActionRow = {
  name: 'set-log-level',
  compile(args, _p, _ctx, label) {
    const level = LOG_LEVELS.indexOf(args[0] ?? '');
    if (level < 0 || args.length !== 1)
      throw new RuleError('HAP_RULE_ARGS', `'${label}' expects a level among ${LOG_LEVELS.join(', ')}.`);
    return {
      run(_env, _msg, out) {
        out.logLevel = level;
        return V_CONTINUE;
      },
    };
  },
};

/** Actions of every HTTP rule set. */
export const COMMON_FLOW_ACTIONS: readonly HttpActionRow[] = [
  allow,
  setVar,
  setVarFmt,
  unsetVar,
  setLogLevel,
];

export const REQUEST_FLOW_ACTIONS = (proxyName: () => string): readonly HttpActionRow[] => [
  denyRow('deny', 403, V_DENY, false),
  denyRow('tarpit', 500, V_TARPIT, false),
  rejectRow('reject'),
  rejectRow('silent-drop'),
  returnRow(false),
  authRow(proxyName),
];

export const RESPONSE_FLOW_ACTIONS: readonly HttpActionRow[] = [
  denyRow('deny', 502, V_DENY, true),
  rejectRow('reject'),
  rejectRow('silent-drop'),
  returnRow(true),
];

/** `accept` ends a tcp-request list and lets the connection in. */
const accept: HttpActionRow = {
  name: 'accept',
  compile(args, _p, _ctx, label) {
    noArgs(args, label);
    return { run: () => V_ALLOW };
  },
};

/** Actions of the `tcp-request connection|session|content` rule sets. */
export const TCP_ACTIONS: readonly HttpActionRow[] = [
  accept,
  rejectRow('reject'),
  rejectRow('silent-drop'),
  setVar,
  setVarFmt,
  unsetVar,
];
