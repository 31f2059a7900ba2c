/**
 * Argument shapes shared by the keyword tables, so that simple keywords are a
 * one-line row and every table reports the same mistakes the same way.
 */

import type { Diagnostic } from '../diagnostics.ts';
import { parseSize, parseTime, parseUInt } from '../units.ts';
import type { KeywordContext, KeywordRow, SectionClass } from './types.ts';

export type ArgSpec =
  | 'none' // a flag: no argument
  | 'int' // one unsigned integer
  | 'atol' // one word read as a number the lenient way HAProxy does (leading digits, else 0)
  | 'sint' // one signed integer
  | 'time' // one time value (default unit ms)
  | 'time-s' // one time value (default unit s)
  | 'size' // one size value (k/m/g)
  | 'word' // exactly one word
  | 'words' // one or more words
  | 'any' // zero or more words
  | 'on-off' // 'on' or 'off'
  | readonly string[]; // one word among these

/** Fails with HAProxy's "cannot handle unexpected argument" when more than `max` arguments follow. */
export function tooManyArgs(ctx: KeywordContext, max: number, label: string = ctx.args[0]!): boolean {
  if (ctx.args.length > max + 1) {
    ctx.alert(`'${label}' cannot handle unexpected argument '${ctx.args[max + 1]}'.`);
    return true;
  }
  return false;
}

/** Checks the arguments of `ctx.args` (from index `from`) against a shape; returns false after an alert. */
export function checkArgs(
  ctx: KeywordContext,
  spec: ArgSpec,
  from = 1,
  label: string = ctx.args[0]!,
): boolean {
  const a = ctx.args[from];
  const max = from - 1;
  switch (spec) {
    case 'none':
      return !tooManyArgs(ctx, max, label);
    case 'atol':
      if (a === undefined) {
        ctx.alert(`'${label}' expects an integer argument.`);
        return false;
      }
      return !tooManyArgs(ctx, from, label);
    case 'int':
    case 'sint': {
      const ok = a !== undefined && (spec === 'int' ? /^\d+$/ : /^-?\d+$/).test(a);
      if (!ok) {
        ctx.alert(`'${label}' expects an integer argument.`);
        return false;
      }
      return !tooManyArgs(ctx, from, label);
    }
    case 'time':
    case 'time-s': {
      if (a === undefined) {
        ctx.alert(`'${label}' expects a time value (a number with an optional unit: us, ms, s, m, h, d).`);
        return false;
      }
      const t = parseTime(a, spec === 'time' ? 'ms' : 's');
      if (!t.ok) {
        ctx.alert(`${t.reason} in argument '${a}' to '${label}' (expected a time value).`);
        return false;
      }
      if (t.trailing !== undefined) timerWarning(ctx, t.trailing);
      return !tooManyArgs(ctx, from, label);
    }
    case 'size': {
      const s = a === undefined ? undefined : parseSize(a);
      if (!s?.ok) {
        ctx.alert(
          `'${label}' expects a size value (a number with an optional unit: k, m, g)${a ? `, got '${a}'` : ''}.`,
        );
        return false;
      }
      return !tooManyArgs(ctx, from, label);
    }
    case 'word':
      if (a === undefined) {
        ctx.alert(`'${label}' expects an argument.`);
        return false;
      }
      return !tooManyArgs(ctx, from, label);
    case 'words':
      if (a === undefined) {
        ctx.alert(`'${label}' expects at least one argument.`);
        return false;
      }
      return true;
    case 'any':
      return true;
    case 'on-off':
      if (a !== 'on' && a !== 'off') {
        ctx.alert(`'${label}' expects 'on' or 'off'.`);
        return false;
      }
      return !tooManyArgs(ctx, from, label);
    default:
      if (a === undefined || !spec.includes(a)) {
        ctx.alert(
          `'${label}' expects one of ${spec.map((s) => `'${s}'`).join(', ')}${a ? ` (got '${a}')` : ''}.`,
        );
        return false;
      }
      return !tooManyArgs(ctx, from, label);
  }
}

/** Integer value of the first argument, or undefined. */
export function intArg(ctx: KeywordContext, i = 1): number | undefined {
  const a = ctx.args[i];
  if (a === undefined) return undefined;
  return parseUInt(a) ?? Number(/^\d*/.exec(a)![0] || 0);
}

/** HAProxy's warning about characters after a time's unit: it names no place. */
export function timerWarning(ctx: KeywordContext, text: string, prefix = ''): void {
  const d: Diagnostic = { level: 'warning', code: 'HAP_CFG_TIMER_TRAIL', message: `${prefix}${text}` };
  if (prefix !== '') {
    d.file = ctx.file;
    d.line = ctx.line;
    d.bare = true;
  }
  ctx.sink.add(d);
}

/** Time value of an argument in ms, or undefined. */
export function timeArg(ctx: KeywordContext, i = 1, unit: 'ms' | 's' = 'ms'): number | undefined {
  const a = ctx.args[i];
  if (a === undefined) return undefined;
  const t = parseTime(a, unit);
  return t.ok ? t.ms : undefined;
}

/** A row whose only job is to check an argument shape (and record the directive). */
export function simpleRow(
  name: string,
  sections: readonly SectionClass[],
  spec: ArgSpec,
  supported: boolean,
  apply?: (ctx: KeywordContext) => void,
): KeywordRow {
  return {
    name,
    sections,
    supported,
    parse(ctx) {
      if (checkArgs(ctx, spec) && apply) apply(ctx);
    },
  };
}

/** A known HAProxy keyword that haproxyd does not support: no parser. */
export function unsupportedRow(name: string, sections: readonly SectionClass[]): KeywordRow {
  return { name, sections, supported: false };
}

export function tableOf(rows: readonly KeywordRow[]): Map<string, KeywordRow> {
  const m = new Map<string, KeywordRow>();
  for (const r of rows) m.set(r.name, r);
  return m;
}
