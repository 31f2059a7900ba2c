// ACLs (HAProxy manual 7.1): `acl <name> <criterion> [flags] [operator] [patterns]`. The
// criterion is an ACL keyword (a fetch with an implied match method, below) or a sample
// expression matched by the default method of its output type or the one given by -m.
import { parseArgs } from './args.ts';
import type { FetchCtx } from './defs.ts';
import type { SampleEnv, SampleValue } from './env.ts';
import { SampleError } from './errors.ts';
import { CompiledExpr, type ConvStep, parseConverters, parseExpr, readKeyword } from './expr.ts';
import { FETCH_DEFS, noteFetchUsed } from './fetch/index.ts';
import type { CompileOptions } from './options.ts';
import { MATCH_NAMES, MATCH_TYPES, type MatchMethod, type PatternSet } from './pattern/match.ts';
import { type InlineSource, PATTERN_REFS, type PatRef, REF_ACL, REF_MAP } from './pattern/ref.ts';
import { resolveRefs } from './refs.ts';
import { canCast, cast, type SmpType } from './types.ts';

export interface Acl {
  /**
   * Whether the ACL matches. HAProxy's "missing data" (a payload fetch that could match
   * later) is false here, with `env.missed` set.
   */
  test(env: SampleEnv): boolean;
}

/** HAProxy's three ACL results: ACL_TEST_FAIL, ACL_TEST_MISS, ACL_TEST_PASS. */
export const FAIL = 0;
export const MISS = 1;
export const PASS = 3;
export type AclResult = typeof FAIL | typeof MISS | typeof PASS;

/** An ACL with HAProxy's three-valued result (what conditions combine). */
export interface TriAcl extends Acl {
  test3(env: SampleEnv): AclResult;
}

interface AclKeyword {
  readonly fetch: string;
  readonly match: MatchMethod;
  /** Patterns are dotted versions ("3.1" is 0x30001), as req.ssl_ver's. */
  readonly dotted?: boolean;
}

const SUFFIXES: readonly [string, MatchMethod][] = [
  ['', 'str'],
  ['_beg', 'beg'],
  ['_dir', 'dir'],
  ['_dom', 'dom'],
  ['_end', 'end'],
  ['_len', 'len'],
  ['_reg', 'reg'],
  ['_sub', 'sub'],
];

/** ACL-only keywords of HAProxy 2.6 (`haproxy -dKacl`): a fetch and its implied match. */
export const ACL_KEYWORDS: ReadonlyMap<string, AclKeyword> = (() => {
  const m = new Map<string, AclKeyword>();
  const families: [string, string][] = [
    ['base', 'base'],
    ['cook', 'req.cook'],
    ['hdr', 'req.hdr'],
    ['path', 'path'],
    ['scook', 'res.cook'],
    ['shdr', 'res.hdr'],
    ['url', 'url'],
    ['urlp', 'urlp'],
  ];
  for (const [name, fetch] of families)
    for (const [sfx, match] of SUFFIXES) m.set(name + sfx, { fetch, match });
  const singles: [string, string, MatchMethod][] = [
    ['http_auth_group', 'http_auth_group', 'str'],
    ['method', 'method', 'meth'],
    ['payload', 'req.payload', 'bin'],
    ['payload_lv', 'req.payload_lv', 'bin'],
    ['req.ssl_ver', 'req.ssl_ver', 'int'],
    ['req_ssl_ver', 'req.ssl_ver', 'int'],
    ['req_rdp_cookie', 'req.rdp_cookie', 'str'],
    ['req_rdp_cookie_cnt', 'req.rdp_cookie_cnt', 'int'],
    ['req_ssl_sni', 'req.ssl_sni', 'str'],
    ['req_ver', 'req.ver', 'str'],
    ['resp_ver', 'res.ver', 'str'],
    ['ssl_fc_sni_end', 'ssl_fc_sni', 'end'],
    ['ssl_fc_sni_reg', 'ssl_fc_sni', 'reg'],
  ];
  for (const [name, fetch, match] of singles)
    m.set(name, name.endsWith('ssl_ver') ? { fetch, match, dotted: true } : { fetch, match });
  return m;
})();

/** The match method a sample type implies without -m (none for bin, meth, any). */
function defaultMatch(t: SmpType): MatchMethod | undefined {
  switch (t) {
    case 'bool':
      return 'bool';
    case 'sint':
      return 'int';
    case 'addr':
    case 'ipv4':
    case 'ipv6':
      return 'ip';
    case 'str':
      return 'str';
    default:
      return undefined;
  }
}

function syntax(message: string): never {
  throw new SampleError('HAP_ERR_SAMPLE_SYNTAX', message);
}

const OPERATORS = new Set(['eq', 'ne', 'le', 'lt', 'ge', 'gt']);

/** `gt 10` → "11:" … (HAProxy rewrites operators into ranges). */
function applyOperator(op: string, word: string): string {
  if (op === 'eq' || word.includes(':') || word.includes('-')) return word;
  if (!/^[+-]?\d+$/.test(word)) syntax(`'${word}' is neither a number nor a supported operator`);
  const v = Number(word);
  switch (op) {
    case 'gt':
      return `${v + 1}:`;
    case 'ge':
      return `${v}:`;
    case 'lt':
      return `:${v - 1}`;
    case 'le':
      return `:${v}`;
    default:
      return word;
  }
}

class CompiledAcl implements TriAcl {
  private readonly expr: CompiledExpr;
  private readonly method: MatchMethod;
  private readonly want: SmpType;
  private readonly all: readonly PatternSet[];
  /** The sets worth a lookup: the non-empty ones (all of them for found and bool). */
  private sets: readonly PatternSet[];

  constructor(expr: CompiledExpr, method: MatchMethod, sets: PatternSet[]) {
    this.expr = expr;
    this.method = method;
    this.want = MATCH_TYPES[method];
    this.all = sets;
    this.sets = sets;
    this.refresh();
  }

  /** Called when a set changes (the runtime API changed its reference). */
  refresh(): void {
    const keepEmpty = this.method === 'found' || this.method === 'bool';
    this.sets = keepEmpty ? this.all : this.all.filter((s) => s.size > 0);
  }

  test(env: SampleEnv): boolean {
    return triToBool(env, this.test3(env));
  }

  /** HAProxy's loop over the values of one ACL expression (acl_exec_cond's inner part). */
  test3(env: SampleEnv): AclResult {
    const expr = this.expr;
    const ctx = expr.ctx;
    const saved = env.missed === true;
    env.missed = false;
    let res: AclResult = FAIL;
    let v = expr.first(env);
    for (;;) {
      if (v === undefined) break;
      if (this.method === 'found') {
        res = PASS;
        break;
      }
      const c = cast(v, this.want);
      if (c !== undefined && this.lookup(c, ctx)) {
        res = PASS;
        break;
      }
      if (!ctx.more) break;
      v = expr.next(env);
    }
    // a fetch that may find something else with more data: no conclusion yet
    if (res !== PASS && env.missed) res = MISS;
    env.missed = saved;
    return res;
  }

  protected lookup(c: SampleValue, _ctx: FetchCtx): boolean {
    const sets = this.sets;
    for (let i = 0; i < sets.length; i++) if (sets[i]!.lookup(c)) return true;
    return false;
  }
}

/** http_auth_group(<userlist>) g1 g2…: the authenticated user belongs to one of the groups. */
class AuthGroupAcl extends CompiledAcl {
  private readonly groups: readonly string[];

  constructor(expr: CompiledExpr, groups: string[]) {
    super(expr, 'str', []);
    this.groups = groups;
  }

  protected override lookup(_c: SampleValue, ctx: FetchCtx): boolean {
    const g = ctx.groups;
    if (!g) return false;
    for (const name of this.groups) if (g.has(name)) return true;
    return false;
  }
}

/** A boolean for callers of `test`: MISS is false, and tells the caller through `missed`. */
export function triToBool(env: SampleEnv, r: AclResult): boolean {
  if (r === MISS) env.missed = true;
  return r === PASS;
}

/** HAProxy's acl_neg: PASS and FAIL swap, MISS stays. */
export function negate(r: AclResult): AclResult {
  return (3 >> r) as AclResult;
}

/** pat_parse_dotted_ver: "3.1" is 0x30001 (major << 16 | minor), ranges as for integers. */
function dottedVersion(text: string): string {
  const one = (t: string): number | undefined => {
    const m = /^([+-]?\d+)(?:\.([+-]?\d*))?$/.exec(t);
    if (!m) return undefined;
    const major = Number(m[1]);
    const minor = m[2] === undefined || m[2] === '' ? 0 : Number(m[2]);
    if (major >= 65536 || minor >= 65536) return undefined;
    return major * 65536 + (minor & 0xffff);
  };
  let sep = 0;
  while (sep < text.length && text[sep] !== ':' && text[sep] !== '-') sep++;
  const fail = (what: string): never => {
    throw new SampleError('HAP_ERR_SAMPLE_PATTERN', `'${text}' is not a ${what}`);
  };
  if (sep === text.length && sep > 0) return String(one(text) ?? fail('dotted number'));
  if (sep === 0 && text.length > 1) return `:${one(text.slice(1)) ?? fail('valid dotted number range')}`;
  if (sep === text.length - 1) return `${one(text.slice(0, sep)) ?? fail('valid dotted number range')}:`;
  const a = one(text.slice(0, sep)) ?? fail('valid dotted number range');
  const b = one(text.slice(sep + 1)) ?? fail('valid dotted number range');
  if (a > b) fail('valid dotted number range');
  return `${a}:${b}`;
}

/** Compiles `words`: what follows `acl <name>` (criterion, flags, patterns). */
export function compileAcl(words: readonly string[], opts: CompileOptions): Acl {
  return compileAclFrom(words, opts, { key: {}, file: opts.file, line: opts.line });
}

/**
 * Compiles an ACL expression whose patterns are the reference `src.key` names: compiling
 * the same ACL line again (one per rule using it) shares its reference.
 */
export function compileAclFrom(words: readonly string[], opts: CompileOptions, src: InlineSource): Acl {
  const crit = words[0];
  if (crit === undefined || crit === '') syntax('missing fetch method');
  let expr: CompiledExpr;
  let kwName: string;
  let method: MatchMethod | undefined;
  let dotted = false;
  let authGroup = false;
  const kEnd = readKeyword(crit, 0);
  // HAProxy looks ACL keywords up by the text before '(' (so "path_beg,lower" is not one)
  const paren = crit.indexOf('(');
  const alias = ACL_KEYWORDS.get(paren < 0 ? crit : crit.slice(0, paren));
  if (alias) {
    kwName = crit.slice(0, kEnd);
    const fetch = FETCH_DEFS.get(alias.fetch);
    if (!fetch) {
      throw new SampleError(
        'HAP_ERR_SAMPLE_UNSUPPORTED',
        `ACL keyword '${kwName}' is not supported yet in haproxyd (fetch method '${alias.fetch}')`,
      );
    }
    let parsed: ReturnType<typeof parseArgs>;
    try {
      parsed = parseArgs(crit, kEnd, fetch.args);
      fetch.check?.(parsed.args, opts);
    } catch (e) {
      if (e instanceof SampleError) throw new SampleError(e.code, `ACL keyword '${kwName}' : ${e.message}`);
      throw e;
    }
    resolveRefs(fetch.args, parsed.args, opts, `ACL keyword '${kwName}'`);
    noteFetchUsed(alias.fetch);
    const convs: ConvStep[] = [];
    const r = parseConverters(
      crit,
      parsed.end,
      fetch.out,
      opts,
      false,
      convs,
      `ACL keyword '${kwName}' : `,
      `ACL keyword '${kwName}'`,
    );
    expr = new CompiledExpr(crit, fetch, parsed.args, convs, opts.direction === 'response' ? 'res' : 'req');
    // a converter after an ACL keyword drops the keyword's match: the output type decides
    method = convs.length ? defaultMatch(r.type) : alias.match;
    if (convs.length) kwName = fetch.name;
    else {
      dotted = alias.dotted === true;
      authGroup = alias.fetch === 'http_auth_group';
    }
  } else {
    try {
      expr = parseExpr(crit, 0, opts, false, 'ACL keyword').expr;
    } catch (e) {
      if (e instanceof SampleError) throw new SampleError(e.code, `${e.message} in ACL expression '${crit}'`);
      throw e;
    }
    kwName = expr.fetch.name;
    method = defaultMatch(expr.outType);
  }
  const curType = expr.outType;

  let i = 1;
  let icase = false;
  let noDns = false;
  let asMap = false;
  let loaded = false;
  let uniqueId: number | undefined;
  const sets: PatternSet[] = [];
  const refs: PatRef[] = [];
  while (i < words.length && words[i]!.startsWith('-')) {
    const f = words[i]!;
    if (f === '-i') icase = true;
    else if (f === '-n') {
      // no DNS resolution: haproxyd never resolves names in patterns (the flag still keeps
      // the patterns apart from those of users without it, as in HAProxy)
      noDns = true;
    } else if (f === '-u') {
      if (!/^-?\d+$/.test(words[i + 1] ?? '')) syntax('the argument of -u must be an integer');
      uniqueId = Number(words[i + 1]);
      i++;
    } else if (f === '-f') {
      if (!method) {
        syntax(
          `matching method must be specified first (using '-m') when using a sample fetch of this type ('${kwName}')`,
        );
      }
      const file = words[i + 1];
      if (file === undefined) syntax("'-f' expects a file name");
      const ref = PATTERN_REFS.fileRef(
        file,
        opts.resolvePath(file),
        asMap,
        REF_ACL | (asMap ? REF_MAP : 0),
        src.file,
        src.line,
        1,
      );
      sets.push(ref.expr(method, icase, noDns, undefined, undefined));
      refs.push(ref);
      loaded = true;
      i++;
    } else if (f === '-m') {
      if (loaded) syntax("'-m' must only be specified before patterns and files in parsing ACL expression");
      const m = words[i + 1] ?? '';
      if (!MATCH_NAMES.includes(m)) syntax(`unknown matching method '${m}' when parsing ACL expression`);
      const mm = m as MatchMethod;
      if (mm !== 'found' && !canCast(curType, MATCH_TYPES[mm])) {
        syntax(`matching method '${m}' cannot be used with fetch keyword '${kwName}'`);
      }
      method = mm;
      i++;
    } else if (f === '-M') asMap = true;
    else if (f === '--') {
      i++;
      break;
    } else
      syntax(`'${f}' is not a valid ACL option. Please use '--' before any pattern beginning with a '-'`);
    i++;
  }
  if (!method) {
    syntax(
      `matching method must be specified first (using '-m') when using a sample fetch of this type ('${kwName}')`,
    );
  }
  // the ACL's own patterns: a reference of their own (`show acl` lists it as #<id>)
  const { ref: own, created } = PATTERN_REFS.inlineRef(src, kwName, uniqueId);
  const inline = own.expr(method, icase, noDns, undefined, undefined);
  if (authGroup) {
    const groups: string[] = [];
    for (; i < words.length && words[i] !== ''; i++) groups.push(words[i]!);
    // listed by `show acl` as HAProxy lists them; the groups checked are the ones configured
    if (created) for (const g of groups) own.add(0, g, undefined);
    // checked once the configuration is read (acl_find_targets)
    if (groups.length === 0) syntax(`${kwName}(): no groups specified.`);
    const ul = opts.userlist?.(expr.args[0] as string);
    for (const g of groups) if (ul && !ul.hasGroup(g)) syntax(`${kwName}(): invalid group '${g}'.`);
    return new AuthGroupAcl(expr, groups);
  }
  const withOps = method === 'int' || method === 'len';
  let op = 'eq';
  // an empty word ends the patterns, as in HAProxy's argument list
  for (; i < words.length && words[i] !== ''; i++) {
    const w = words[i]!;
    if (withOps && OPERATORS.has(w)) {
      op = w;
      continue;
    }
    const pat = dotted ? dottedVersion(w) : w;
    if (created) own.add(0, withOps ? applyOperator(op, pat) : pat, undefined);
  }
  sets.push(inline);
  refs.push(own);
  const acl = new CompiledAcl(expr, method, sets);
  for (let k = 0; k < sets.length; k++) refs[k]!.exprOf(sets[k]!)?.watch(() => acl.refresh());
  return acl;
}

/** HAProxy's predefined ACLs (manual 7.4), as the words of an `acl` line. */
export const PREDEFINED_ACLS: ReadonlyMap<string, readonly string[]> = new Map<string, readonly string[]>([
  ['FALSE', ['always_false']],
  ['HTTP', ['req.proto_http']],
  ['HTTP_1.0', ['req.ver', '1.0']],
  ['HTTP_1.1', ['req.ver', '1.1']],
  ['HTTP_2.0', ['req.ver', '2.0']],
  ['HTTP_CONTENT', ['req.hdr_val(content-length)', 'gt', '0']],
  ['HTTP_URL_ABS', ['url_reg', '^[^/:]*://']],
  ['HTTP_URL_SLASH', ['url_beg', '/']],
  ['HTTP_URL_STAR', ['url', '*']],
  ['LOCALHOST', ['src', '127.0.0.1/8', '::1']],
  ['METH_CONNECT', ['method', 'CONNECT']],
  ['METH_DELETE', ['method', 'DELETE']],
  ['METH_GET', ['method', 'GET', 'HEAD']],
  ['METH_HEAD', ['method', 'HEAD']],
  ['METH_OPTIONS', ['method', 'OPTIONS']],
  ['METH_POST', ['method', 'POST']],
  ['METH_PUT', ['method', 'PUT']],
  ['METH_TRACE', ['method', 'TRACE']],
  ['RDP_COOKIE', ['req.rdp_cookie_cnt', 'gt', '0']],
  ['REQ_CONTENT', ['req.len', 'gt', '0']],
  ['TRUE', ['always_true']],
  ['WAIT_END', ['wait_end']],
]);
