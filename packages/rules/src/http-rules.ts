/**
 * An HTTP rule list (`http-request`, `http-response`, `http-after-response` of one proxy,
 * with the rules of its defaults section first): each rule is a compiled condition and a
 * compiled action, run in order until one ends the list.
 */

import { type Condition, compileCondition, type SampleEnv } from '@hap/sample';
import { REQUEST_CAPTURE, RESPONSE_CAPTURE } from './actions/capture.ts';
import {
  COMMON_FLOW_ACTIONS,
  REQUEST_FLOW_ACTIONS,
  RESPONSE_FLOW_ACTIONS,
  TCP_ACTIONS,
} from './actions/flow.ts';
import { HEADER_ACTIONS } from './actions/headers.ts';
import { normalizeUriAction } from './actions/normalize-uri.ts';
import { redirectAction } from './actions/redirect.ts';
import { useServiceRow } from './actions/service.ts';
import { RESPONSE_START_LINE_ACTIONS, START_LINE_ACTIONS } from './actions/start-line.ts';
import { COUNTER_ACTIONS, stickActions } from './actions/stick.ts';
import { RuleError } from './errors.ts';
import {
  type HttpAction,
  type HttpActionRow,
  type HttpMessage,
  type RuleCompileContext,
  type RuleOutcome,
  type RuleSpec,
  V_CONTINUE,
  V_WAIT,
  type Verdict,
} from './types.ts';

export type HttpRuleSet =
  | 'http-request'
  | 'http-response'
  | 'http-after-response'
  | 'tcp-request connection'
  | 'tcp-request session'
  | 'tcp-request content';

interface CompiledRule {
  readonly spec: RuleSpec;
  readonly cond: Condition | undefined;
  readonly action: HttpAction;
}

function table(rows: readonly HttpActionRow[]): ReadonlyMap<string, HttpActionRow> {
  return new Map(rows.map((r) => [r.name, r]));
}

/** The action tables of each HTTP rule set (the proxy's name gives `auth` its default realm). */
function actionTables(proxyName: () => string): Record<HttpRuleSet, ReadonlyMap<string, HttpActionRow>> {
  return {
    'http-request': table([
      ...HEADER_ACTIONS,
      ...START_LINE_ACTIONS,
      ...COMMON_FLOW_ACTIONS,
      ...REQUEST_FLOW_ACTIONS(proxyName),
      redirectAction,
      normalizeUriAction,
      REQUEST_CAPTURE,
      ...stickActions(true),
      useServiceRow,
    ]),
    'http-response': table([
      ...HEADER_ACTIONS,
      ...RESPONSE_START_LINE_ACTIONS,
      ...COMMON_FLOW_ACTIONS,
      ...RESPONSE_FLOW_ACTIONS,
      redirectAction,
      RESPONSE_CAPTURE,
      ...COUNTER_ACTIONS,
    ]),
    'http-after-response': table([...HEADER_ACTIONS, ...RESPONSE_START_LINE_ACTIONS, ...COMMON_FLOW_ACTIONS]),
    'tcp-request connection': table([...TCP_ACTIONS, ...stickActions(false)]),
    'tcp-request session': table([...TCP_ACTIONS, ...stickActions(false)]),
    'tcp-request content': table([...TCP_ACTIONS, ...stickActions(false)]),
  };
}

/** The names of the actions haproxyd runs in each HTTP rule set. */
export const HTTP_ACTIONS: Readonly<Record<HttpRuleSet, readonly string[]>> = Object.fromEntries(
  Object.entries(actionTables(() => '')).map(([k, v]) => [k, [...v.keys()]]),
) as unknown as Record<HttpRuleSet, readonly string[]>;

/** Splits `set-var(txn.x)` into its name and parameter. */
function actionName(action: string): { name: string; param: string | undefined } {
  const open = action.indexOf('(');
  if (open < 0 || !action.endsWith(')')) return { name: action, param: undefined };
  return { name: action.slice(0, open), param: action.slice(open + 1, -1) };
}

/** A rule that cannot be compiled, with the line it comes from. */
export class RuleCompileError extends RuleError {
  readonly file: string;
  readonly line: number;
  readonly keyword: string;
  /** The rule's action (`set-header`, `deny`, …), which HAProxy names with the rule set. */
  readonly action: string;
  /**
   * A fetch argument names no such backend, frontend, server, table or userlist: HAProxy finds
   * those after reading the configuration, so they do not stop its reading.
   */
  readonly reference: boolean;
  constructor(spec: RuleSpec, cause: Error) {
    super(cause instanceof RuleError ? cause.code : 'HAP_RULE_SAMPLE', cause.message);
    this.file = spec.file;
    this.line = spec.line;
    this.keyword = spec.ruleSet;
    this.action = spec.action;
    this.reference = (cause as { code?: string }).code === 'HAP_ERR_SAMPLE_REFERENCE';
  }
}

export class HttpRuleList {
  readonly set: HttpRuleSet;
  private readonly rules: CompiledRule[];

  private constructor(set: HttpRuleSet, rules: CompiledRule[]) {
    this.set = set;
    this.rules = rules;
  }

  get length(): number {
    return this.rules.length;
  }

  /**
   * Compiles the rules of `set` among `specs` (other rule sets are skipped). Every rule that
   * cannot be compiled is reported to `fail`; the list keeps the others.
   */
  static compile(
    set: HttpRuleSet,
    specs: readonly RuleSpec[],
    ctx: RuleCompileContext,
    proxyName: string,
    fail: (e: RuleCompileError) => void,
  ): HttpRuleList {
    const actions = actionTables(() => proxyName)[set];
    const out: CompiledRule[] = [];
    for (const spec of specs) {
      if (spec.ruleSet !== set) continue;
      try {
        const { name, param } = actionName(spec.action);
        const row = actions.get(name);
        if (row === undefined || (row.param !== 'optional' && (row.param === true) !== (param !== undefined)))
          throw new RuleError(
            'HAP_RULE_ACTION',
            `'${set} ${spec.action}' is not supported yet by haproxyd's runtime.`,
          );
        const opts = { ...ctx, file: spec.file, line: spec.line };
        const action = row.compile(spec.args, param, opts, `${set} ${spec.action}`);
        const cond = spec.condition ? compileCondition(spec.condition, (n) => ctx.named(n), opts) : undefined;
        out.push({ spec, cond, action });
      } catch (err) {
        fail(new RuleCompileError(spec, err as Error));
      }
    }
    return new HttpRuleList(set, out);
  }

  /** Runs the rules on `msg` until one ends the list; `out` says how. */
  run(env: SampleEnv, msg: HttpMessage, out: RuleOutcome): Verdict {
    const rules = this.rules;
    for (let i = 0; i < rules.length; i++) {
      const r = rules[i]!;
      if (r.cond !== undefined) {
        env.missed = false;
        if (!r.cond.test(env)) {
          // the condition could not be decided on the data there so far: wait for more
          if (env.missed) return V_WAIT;
          continue;
        }
      }
      out.extraHeader = undefined;
      out.closeWithBody = false;
      const v = r.action.run(env, msg, out);
      if (v !== V_CONTINUE) {
        out.rule = r.spec;
        return v;
      }
    }
    return V_CONTINUE;
  }
}
