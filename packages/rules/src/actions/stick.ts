/**
 * Stick counters: `track-sc0|1|2 <key> [table <t>]` (start tracking the key's entry in a
 * slot), `sc-inc-gpc0|1([<sc>])`, `sc-inc-gpc(<idx>,<sc>)`, `sc-set-gpt0([<sc>]) <expr>`,
 * `sc-set-gpt(<idx>,<sc>) <expr>` on the entry a slot tracks. The stream environment does the
 * tracking (it counts and releases); a stream without one (no table anywhere) ignores nothing
 * silently: tracking needs a table, checked when the rule is compiled.
 */

import { compileSampleExpr, type SampleEnv, type SampleValue, sampleToString } from '@hap/sample';
import { incGpc, incGpc0, incGpc1, type StickKeyInput, type StickTable, setGpt, setGpt0 } from '@hap/stick';
import { RuleError } from '../errors.ts';
import { type ActionContext, type HttpActionRow, V_CONTINUE } from '../types.ts';

/** A stream that can track stick table entries (the proxy's stream environment). */
export interface TrackingEnv extends SampleEnv {
  /** Starts tracking `key` of `table` in slot `slot` unless the slot is taken; `http`: an http-request rule. */
  track(slot: number, table: StickTable, key: StickKeyInput, http: boolean): void;
}

/** A sample as a stick table key (addresses as text, booleans as integers). */
export function stickKeyOf(v: SampleValue): StickKeyInput {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number' || typeof v === 'string') return v;
  if (Buffer.isBuffer(v)) return v;
  return { addr: sampleToString(v) };
}

function tableOf(ctx: ActionContext, name: string | undefined, label: string): StickTable {
  const t = ctx.stickTable?.(name);
  if (t === undefined)
    throw new RuleError(
      'HAP_RULE_ARGS',
      name === undefined
        ? `'${label}' : the proxy has no stick-table (name one with 'table <name>').`
        : `'${label}' : unable to find table '${name}'.`,
    );
  return t;
}

function trackRow(slot: number, http: boolean): HttpActionRow {
  return {
    name: `track-sc${slot}`,
    compile(args, _p, ctx, label) {
      const keyText = args[0];
      if (keyText === undefined)
        throw new RuleError('HAP_RULE_ARGS', `'${label}' expects a sample expression.`);
      let tableName: string | undefined;
      if (args[1] === 'table') {
        tableName = args[2];
        if (tableName === undefined)
          throw new RuleError('HAP_RULE_ARGS', `'${label}' : 'table' expects a name.`);
      } else if (args.length > 1)
        throw new RuleError('HAP_RULE_ARGS', `'${label}' : unexpected '${args[1]}'.`);
      const table = tableOf(ctx, tableName, label);
      const key = compileSampleExpr(keyText, ctx);
      return {
        run(env) {
          const t = env as Partial<TrackingEnv>;
          if (t.track === undefined || env.stick?.tracked(slot) !== undefined) return V_CONTINUE;
          const v = key.eval(env);
          if (v !== undefined) t.track(slot, table, stickKeyOf(v), http);
          return V_CONTINUE;
        },
      };
    },
  };
}

/** `(<a>[,<b>])` numbers of a counter action, with its defaults. */
function numbers(param: string | undefined, label: string, count: number): number[] {
  if (param === undefined || param === '') return [];
  const parts = param.split(',').map((x) => x.trim());
  if (parts.length > count || parts.some((x) => !/^\d+$/.test(x)))
    throw new RuleError('HAP_RULE_ARGS', `'${label}' : invalid arguments '(${param})'.`);
  return parts.map(Number);
}

function checkSlot(sc: number, label: string): number {
  if (sc > 2) throw new RuleError('HAP_RULE_ARGS', `'${label}' : invalid stick counter ${sc} (0 to 2).`);
  return sc;
}

/** sc-inc-gpc0 / sc-inc-gpc1 ([<sc>]) and sc-inc-gpc(<idx>,<sc>). */
function incRow(name: 'sc-inc-gpc0' | 'sc-inc-gpc1' | 'sc-inc-gpc'): HttpActionRow {
  return {
    name,
    param: name === 'sc-inc-gpc' ? true : 'optional',
    compile(args, param, _ctx, label) {
      if (args.length > 0) throw new RuleError('HAP_RULE_ARGS', `'${label}' : unexpected '${args[0]}'.`);
      const n = numbers(param, label, name === 'sc-inc-gpc' ? 2 : 1);
      const idx = name === 'sc-inc-gpc' ? (n[0] ?? 0) : 0;
      const sc = checkSlot(name === 'sc-inc-gpc' ? (n[1] ?? 0) : (n[0] ?? 0), label);
      return {
        run(env) {
          const e = env.stick?.tracked(sc);
          if (e === undefined) return V_CONTINUE;
          if (name === 'sc-inc-gpc0') incGpc0(e);
          else if (name === 'sc-inc-gpc1') incGpc1(e);
          else incGpc(e, idx);
          return V_CONTINUE;
        },
      };
    },
  };
}

/** sc-set-gpt0([<sc>]) <expr> and sc-set-gpt(<idx>,<sc>) <expr>. */
function setRow(name: 'sc-set-gpt0' | 'sc-set-gpt'): HttpActionRow {
  return {
    name,
    param: name === 'sc-set-gpt' ? true : 'optional',
    compile(args, param, ctx, label) {
      if (args.length !== 1)
        throw new RuleError('HAP_RULE_ARGS', `'${label}' expects an integer or a sample expression.`);
      const n = numbers(param, label, name === 'sc-set-gpt' ? 2 : 1);
      const idx = name === 'sc-set-gpt' ? (n[0] ?? 0) : 0;
      const sc = checkSlot(name === 'sc-set-gpt' ? (n[1] ?? 0) : (n[0] ?? 0), label);
      const text = args[0]!;
      const constant = /^-?\d+$/.test(text) ? Number(text) : undefined;
      const expr = constant === undefined ? compileSampleExpr(text, ctx) : undefined;
      return {
        run(env) {
          const e = env.stick?.tracked(sc);
          if (e === undefined) return V_CONTINUE;
          const v = constant ?? expr!.eval(env);
          const value =
            typeof v === 'number' ? v : typeof v === 'boolean' ? Number(v) : Number(v ?? Number.NaN);
          if (!Number.isFinite(value)) return V_CONTINUE;
          if (name === 'sc-set-gpt0') setGpt0(e, value);
          else setGpt(e, idx, value);
          return V_CONTINUE;
        },
      };
    },
  };
}

const COUNTER_ACTIONS: readonly HttpActionRow[] = [
  incRow('sc-inc-gpc0'),
  incRow('sc-inc-gpc1'),
  incRow('sc-inc-gpc'),
  setRow('sc-set-gpt0'),
  setRow('sc-set-gpt'),
];

/** Tracking and counter actions of a rule set (`http`: http-request, whose tracking counts the request). */
export function stickActions(http: boolean): readonly HttpActionRow[] {
  return [trackRow(0, http), trackRow(1, http), trackRow(2, http), ...COUNTER_ACTIONS];
}

export { COUNTER_ACTIONS };
