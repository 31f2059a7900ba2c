// Sample expressions: `fetch(args),conv1(args),conv2`, parsed and type-checked once, then
// evaluated per stream. Converters see their input cast to their type (HAProxy's casts);
// a fetch, cast or converter finding nothing ends the evaluation with no sample.
import { type ArgVal, parseArgs } from './args.ts';
import { HAPROXY_CONVERTER_NAMES, HAPROXY_FETCH_NAMES } from './catalog.ts';
import { CONVERTER_DEFS } from './converters.ts';
import { type ConvDef, type FetchCtx, type FetchDef, newCtx } from './defs.ts';
import type { SampleEnv, SampleValue } from './env.ts';
import { SampleError } from './errors.ts';
import { FETCH_DEFS, noteFetchUsed } from './fetch/index.ts';
import type { CompileOptions } from './options.ts';
import { resolveRefs } from './refs.ts';
import { canCast, cast, type SmpType } from './types.ts';

export const CONV_DEFS: ReadonlyMap<string, ConvDef> = new Map(CONVERTER_DEFS.map((c) => [c.name, c]));

/** HAProxy's keyword characters (is_idchar). */
export function isIdChar(c: number): boolean {
  return (
    (c >= 48 && c <= 57) ||
    (c >= 65 && c <= 90) ||
    (c >= 97 && c <= 122) ||
    c === 46 ||
    c === 95 ||
    c === 45 ||
    c === 43 ||
    c === 58
  );
}

export function readKeyword(text: string, start: number): number {
  let i = start;
  while (i < text.length && isIdChar(text.charCodeAt(i))) i++;
  return i;
}

/** A compiled sample expression. */
export interface SampleExpr {
  readonly text: string;
  eval(env: SampleEnv): SampleValue | undefined;
}

export interface ConvStep {
  def: ConvDef;
  args: readonly ArgVal[];
}

export class CompiledExpr implements SampleExpr {
  readonly text: string;
  readonly fetch: FetchDef;
  readonly args: readonly ArgVal[];
  readonly convs: readonly ConvStep[];
  /** The type of the result (the last converter's, else the fetch's). */
  readonly outType: SmpType;
  readonly ctx: FetchCtx;

  constructor(text: string, fetch: FetchDef, args: readonly ArgVal[], convs: ConvStep[], dir: 'req' | 'res') {
    this.text = text;
    this.fetch = fetch;
    this.args = args;
    this.convs = convs;
    this.outType = convs.length ? convs[convs.length - 1]!.def.out : fetch.out;
    this.ctx = newCtx(dir);
  }

  /** One value (the last occurrence for multi-valued fetches, as outside ACLs). */
  eval(env: SampleEnv): SampleValue | undefined {
    const ctx = this.ctx;
    ctx.iterate = false;
    ctx.more = false;
    return this.run(env);
  }

  /**
   * Every value in turn (ACLs): call `first` then `next` while `ctx.more`; each value has
   * gone through the converters.
   */
  first(env: SampleEnv): SampleValue | undefined {
    const ctx = this.ctx;
    ctx.iterate = true;
    ctx.more = false;
    return this.run(env);
  }

  next(env: SampleEnv): SampleValue | undefined {
    return this.run(env);
  }

  private run(env: SampleEnv): SampleValue | undefined {
    let v = this.fetch.fn(env, this.args, this.ctx);
    if (v === undefined) return undefined;
    const convs = this.convs;
    for (let i = 0; i < convs.length; i++) {
      const step = convs[i]!;
      const c = cast(v, step.def.in);
      if (c === undefined) return undefined;
      v = step.def.fn(c, step.args, env);
      if (v === undefined) return undefined;
    }
    return v;
  }
}

function unknownFetch(name: string): never {
  if (HAPROXY_FETCH_NAMES.has(name)) {
    throw new SampleError(
      'HAP_ERR_SAMPLE_UNSUPPORTED',
      `fetch method '${name}' is not supported yet in haproxyd`,
    );
  }
  throw new SampleError('HAP_ERR_SAMPLE_UNKNOWN', `unknown fetch method '${name}'`);
}

function unknownConverter(name: string, prefix: string): never {
  if (HAPROXY_CONVERTER_NAMES.has(name)) {
    throw new SampleError(
      'HAP_ERR_SAMPLE_UNSUPPORTED',
      `${prefix}converter '${name}' is not supported yet in haproxyd`,
    );
  }
  throw new SampleError('HAP_ERR_SAMPLE_UNKNOWN', `${prefix}unknown converter '${name}'`);
}

function wrap(e: unknown, prefix: string): never {
  if (e instanceof SampleError) throw new SampleError(e.code, `${prefix}${e.message}`);
  throw e;
}

/** Parses the converters following `pos` onto `convs`; returns where parsing stopped. */
export function parseConverters(
  text: string,
  pos: number,
  prevType: SmpType,
  opts: CompileOptions,
  stopAtEnd: boolean,
  convs: ConvStep[],
  errPrefix: string,
  owner = '',
): { end: number; type: SmpType } {
  let i = pos;
  let type = prevType;
  let last: string | undefined;
  while (i < text.length) {
    if (text.charCodeAt(i) !== 44) {
      if (stopAtEnd) break;
      throw new SampleError(
        'HAP_ERR_SAMPLE_SYNTAX',
        last === undefined ? `missing comma after fetch keyword` : `missing comma after converter '${last}'`,
      );
    }
    while (text.charCodeAt(i) === 44) i++;
    if (i >= text.length) break;
    const ke = readKeyword(text, i);
    const name = text.slice(i, ke);
    last = name;
    const def = CONV_DEFS.get(name);
    if (!def) unknownConverter(name, errPrefix);
    if (!canCast(type, def.in)) {
      throw new SampleError('HAP_ERR_SAMPLE_SYNTAX', `${errPrefix}converter '${name}' cannot be applied`);
    }
    let parsed: ReturnType<typeof parseArgs>;
    try {
      parsed = parseArgs(text, ke, def.args);
    } catch (e) {
      wrap(e, `${errPrefix}invalid arg ${argPos(text, ke)} in converter '${name}' : `);
    }
    if (parsed.count > 0 && def.args.types.length === 0) {
      throw new SampleError(
        'HAP_ERR_SAMPLE_SYNTAX',
        `${errPrefix}converter '${name}' does not support any args`,
      );
    }
    if (def.check) {
      try {
        def.check(parsed.args, opts);
      } catch (e) {
        wrap(e, `${errPrefix}invalid args in converter '${name}' : `);
      }
    }
    resolveRefs(def.args, parsed.args, opts, `conversion keyword '${name}' for ${owner}`);
    convs.push({ def, args: parsed.args });
    type = def.out;
    i = parsed.end;
  }
  return { end: i, type };
}

/** The 1-based position of the argument where parsing failed, as HAProxy reports it. */
function argPos(text: string, start: number): number {
  if (text.charCodeAt(start) !== 40) return 1;
  let n = 1;
  let sq = false;
  let dq = false;
  for (let i = start + 1; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') i++;
    else if (c === "'" && !dq) sq = !sq;
    else if (c === '"' && !sq) dq = !dq;
    else if (!sq && !dq && c === ',') n++;
    else if (!sq && !dq && c === ')') break;
  }
  return n;
}

/**
 * Parses a sample expression at `text[start]`. With `stopAtEnd`, parsing stops at the
 * first character that cannot continue the expression (log-format's ']'); otherwise the
 * whole text must be consumed.
 */
export function parseExpr(
  text: string,
  start: number,
  opts: CompileOptions,
  stopAtEnd: boolean,
  kind = 'sample fetch keyword',
): { expr: CompiledExpr; end: number } {
  const ke = readKeyword(text, start);
  if (ke === start) throw new SampleError('HAP_ERR_SAMPLE_SYNTAX', 'missing fetch method');
  const name = text.slice(start, ke);
  const fetch = FETCH_DEFS.get(name);
  if (!fetch) unknownFetch(name);
  noteFetchUsed(name);
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs(text, ke, fetch.args);
  } catch (e) {
    wrap(e, `fetch method '${name}' : `);
  }
  if (fetch.check) {
    try {
      fetch.check(parsed.args, opts);
    } catch (e) {
      wrap(e, `invalid args in fetch method '${name}' : `);
    }
  }
  const owner = `${kind} '${name}'`;
  resolveRefs(fetch.args, parsed.args, opts, owner);
  const convs: ConvStep[] = [];
  const r = parseConvertersAfterFetch(text, parsed.end, fetch, name, opts, stopAtEnd, convs, owner);
  const expr = new CompiledExpr(
    text.slice(start, r),
    fetch,
    parsed.args,
    convs,
    opts.direction === 'response' ? 'res' : 'req',
  );
  return { expr, end: r };
}

function parseConvertersAfterFetch(
  text: string,
  pos: number,
  fetch: FetchDef,
  name: string,
  opts: CompileOptions,
  stopAtEnd: boolean,
  convs: ConvStep[],
  owner: string,
): number {
  if (pos < text.length && text.charCodeAt(pos) !== 44 && !stopAtEnd) {
    throw new SampleError('HAP_ERR_SAMPLE_SYNTAX', `missing comma after fetch keyword '${name}'`);
  }
  return parseConverters(text, pos, fetch.out, opts, stopAtEnd, convs, '', owner).end;
}

/** compileSampleExpr: a whole expression such as 'hdr(host),lower,map_beg(/etc/x.map,default)'. */
export function compileSampleExpr(text: string, opts: CompileOptions): SampleExpr {
  return parseExpr(text, 0, opts, false).expr;
}
