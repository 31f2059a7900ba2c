// Stick-table fetches and converters (HAProxy manual 7.3.2 and 7.3.1): `sc_*`, `sc0_*`…
// `sc2_*`, `src_*`, `table_cnt`, `table_avl`, `table_*` and `in_table`, evaluated by
// @hap/stick on the tables the proxy gives (`SampleEnv.stick`). A table argument left out
// or empty is the current proxy's table (resolved at compile time when
// `CompileOptions.defaultTable` is given).
import {
  STICK_FETCHES,
  type StickFetchContext,
  type StickFetchDef,
  type StickKeyInput,
  stickConvert,
  stickFetch,
} from '@hap/stick';
import { type ArgSpec, type ArgVal, argSpec } from '../args.ts';
import type { ConvDef, FetchDef } from '../defs.ts';
import type { SampleEnv, SampleValue } from '../env.ts';
import { formatIp } from '../ip.ts';
import { sintOf } from '../types.ts';

/** HAProxy's argument lists of each form (stick_table.c). */
function specOf(d: StickFetchDef): ArgSpec {
  switch (d.form) {
    case 'sc':
      return d.indexed ? argSpec(2, 'sint', 'sint', 'tab') : argSpec(1, 'sint', 'tab');
    case 'scN':
      return d.indexed ? argSpec(1, 'sint', 'tab') : argSpec(0, 'tab');
    case 'src':
      return d.indexed ? argSpec(2, 'sint', 'tab') : argSpec(1, 'tab');
    default:
      return d.indexed ? argSpec(2, 'sint', 'tab') : argSpec(1, 'tab');
  }
}

/** The arguments as @hap/stick takes them: integers and table names, none for "current". */
const CALL_ARGS = new WeakMap<readonly ArgVal[], (string | number)[]>();

function callArgs(args: readonly ArgVal[]): (string | number)[] {
  let a = CALL_ARGS.get(args);
  if (!a) {
    a = [];
    for (const x of args) {
      if (typeof x === 'number' || (typeof x === 'string' && x !== '')) a.push(x);
      else break;
    }
    CALL_ARGS.set(args, a);
  }
  return a;
}

/** The context @hap/stick reads, with the stream's client address when the proxy gave none. */
function context(env: SampleEnv): StickFetchContext | undefined {
  const s = env.stick;
  if (!s || s.src !== undefined) return s;
  return { tracked: (n) => s.tracked(n), table: (name) => s.table(name), src: env.src };
}

/** A sample as a key: strings, integers, bytes, addresses (HAProxy casts it to the table's type). */
function keyOf(v: SampleValue): StickKeyInput | undefined {
  switch (typeof v) {
    case 'string':
    case 'number':
      return v;
    case 'bigint':
      return Number(v);
    case 'boolean':
      return v ? 1 : 0;
    default:
      return Buffer.isBuffer(v) ? v : { addr: formatIp(v) };
  }
}

function out(v: number | boolean | undefined): SampleValue | undefined {
  return typeof v === 'number' && !Number.isSafeInteger(v) ? sintOf(BigInt(Math.trunc(v))) : v;
}

export const STICK_FETCH_DEFS: readonly FetchDef[] = STICK_FETCHES.filter((d) => d.form !== 'converter').map(
  (d): FetchDef => {
    const name = d.name;
    return {
      name,
      args: specOf(d),
      out: d.output,
      fn: (env, args) => {
        const ctx = context(env);
        return ctx ? out(stickFetch(name, callArgs(args), ctx)) : undefined;
      },
    };
  },
);

export const STICK_CONV_DEFS: readonly ConvDef[] = STICK_FETCHES.filter((d) => d.form === 'converter').map(
  (d): ConvDef => {
    const name = d.name;
    return {
      name,
      args: specOf(d),
      in: 'any',
      out: d.output,
      fn: (v, args, env) => {
        const ctx = context(env);
        const key = keyOf(v);
        if (!ctx || key === undefined) return undefined;
        const a = callArgs(args);
        // the table: the one named, else the current proxy's
        if (a.length < args.length) {
          return out(
            stickConvert(name, key, [...a, ''], {
              tracked: (n) => ctx.tracked(n),
              table: (t) => ctx.table(t === '' ? undefined : t),
              ...(ctx.src !== undefined ? { src: ctx.src } : {}),
            }),
          );
        }
        return out(stickConvert(name, key, a, ctx));
      },
    };
  },
);

/**
 * table_expire(<table>[,<default>]), table_idle(<table>[,<default>]) (HAProxy 2.6.6 and
 * later): the ms before the entry of the input key expires, or since it was last refreshed;
 * the default (else nothing) when the key is not in the table.
 */
function entryTime(name: string, idle: boolean): ConvDef {
  return {
    name,
    args: argSpec(1, 'tab', 'sint'),
    in: 'any',
    out: 'sint',
    fn: (v, args, env) => {
      const ctx = context(env);
      const key = keyOf(v);
      if (!ctx || key === undefined) return undefined;
      const t = ctx.table((args[0] as string | undefined) || undefined);
      if (!t) return undefined;
      const e = t.lookup(key);
      if (!e) return args[1] as number | undefined;
      const remain = t.spec.expire > 0 ? Math.max(0, e.expire - t.now()) : 0;
      return idle ? Math.max(0, t.spec.expire - remain) : remain;
    },
  };
}

export const STICK_TIME_CONV_DEFS: readonly ConvDef[] = [
  entryTime('table_expire', false),
  entryTime('table_idle', true),
];
