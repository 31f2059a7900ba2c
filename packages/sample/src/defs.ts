// What the tables of fetches and converters are made of.
import type { ArgSpec, ArgVal } from './args.ts';
import type { SampleEnv, SampleValue } from './env.ts';
import type { CookieOut, HdrCursor } from './fetch/http-parse.ts';
import type { CompileOptions } from './options.ts';
import type { SmpType } from './types.ts';

/**
 * Per-expression state of a fetch (one object per compiled expression, reused): whether
 * every value is wanted (ACLs, HAProxy's SMP_OPT_ITERATE), whether there is another one
 * (SMP_F_NOT_LAST), the side the rule set reads, and the fetch's resume positions.
 */
export interface FetchCtx extends HdrCursor, CookieOut {
  iterate: boolean;
  more: boolean;
  dir: 'req' | 'res';
  k: number;
  /** http_auth_group: the groups of the user it found, for the ACL's matching. */
  groups?: ReadonlySet<string> | undefined;
}

export function newCtx(dir: 'req' | 'res'): FetchCtx {
  return { iterate: false, more: false, dir, h: -2, p: -1, start: 0, end: 0, vs: 0, ve: 0, k: 0 };
}

export interface FetchDef {
  readonly name: string;
  readonly args: ArgSpec;
  readonly out: SmpType;
  /** Validates (and may compile) the arguments; throws a SampleError ("invalid args …"). */
  readonly check?: (args: ArgVal[], opts: CompileOptions) => void;
  readonly fn: (env: SampleEnv, args: readonly ArgVal[], ctx: FetchCtx) => SampleValue | undefined;
}

export interface ConvDef {
  readonly name: string;
  readonly args: ArgSpec;
  /** Input type: the sample is cast to it before `fn` (a str is a string, a bin a Buffer…). */
  readonly in: SmpType;
  readonly out: SmpType;
  readonly check?: (args: ArgVal[], opts: CompileOptions) => void;
  readonly fn: (v: SampleValue, args: readonly ArgVal[], env: SampleEnv) => SampleValue | undefined;
}
