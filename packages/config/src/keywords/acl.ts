/**
 * ACL declarations and rule conditions (manual §7): `acl <name> <fetch>
 * [flags] [values]`, and `if|unless` followed by ACL names, `!`, `||`,
 * `or` and anonymous `{ … }` ACLs.
 */

import { existsSync } from 'node:fs';
import { ACL_KEYWORDS, CONVERTERS, PREDEFINED_ACLS, SAMPLE_FETCHES } from '../catalog/index.ts';
import { ipVersion as isIP } from '../ip.ts';
import type { AclModel, ConditionModel, ProxyModel } from '../model.ts';
import { invalidNameChar } from '../names.ts';
import type { KeywordContext } from './types.ts';

/** ACLs every proxy knows without declaring them. */
const PREDEFINED = new Set<string>(PREDEFINED_ACLS);

const FETCHES = new Map<string, string>(SAMPLE_FETCHES.map((f) => [f.name, f.args]));
const ACL_ALIASES = new Set<string>(ACL_KEYWORDS.map((k) => k.name));
const CONVERTER_NAMES = new Set<string>(CONVERTERS.map((c) => c.name));
const MATCH_METHODS = new Set([
  'found',
  'bool',
  'int',
  'ip',
  'bin',
  'len',
  'str',
  'sub',
  'reg',
  'beg',
  'end',
  'dir',
  'dom',
]);

/** Splits `name(args),conv1(args),conv2` at top-level commas. */
function splitExpr(expr: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  let quote: string | undefined;
  for (let i = 0; i < expr.length; i++) {
    const c = expr[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(expr.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(expr.slice(start));
  return parts;
}

function nameOf(part: string): { name: string; closed: boolean } {
  const paren = part.indexOf('(');
  if (paren < 0) return { name: part, closed: true };
  return { name: part.slice(0, paren), closed: part.endsWith(')') };
}

/** Checks a sample expression (fetch and converters); returns an error text or undefined. */
export function checkSampleExpr(expr: string, allowAclAliases: boolean): string | undefined {
  const parts = splitExpr(expr);
  const head = nameOf(parts[0]!);
  if (!head.closed) return `missing closing ')' after arguments to fetch keyword '${head.name}'`;
  const known = FETCHES.has(head.name) || (allowAclAliases && ACL_ALIASES.has(head.name));
  if (!known) return `unknown fetch method '${head.name}'`;
  const hasArgs = parts[0]!.includes('(');
  const presence = FETCHES.get(head.name);
  if (presence === 'none' && hasArgs && parts[0] !== `${head.name}()`) {
    return `fetch method '${head.name}' takes no argument, got '${parts[0]}'`;
  }
  if (presence === 'required' && !hasArgs && !ACL_ALIASES.has(head.name)) {
    return `fetch method '${head.name}' : missing arguments`;
  }
  for (let i = 1; i < parts.length; i++) {
    const conv = nameOf(parts[i]!.trim());
    if (!conv.closed) return `missing closing ')' after arguments to converter '${conv.name}'`;
    if (!CONVERTER_NAMES.has(conv.name)) return `unknown converter '${conv.name}'`;
  }
  return undefined;
}

/** ACL names declared so far in each proxy, so a condition finds them without a scan per rule. */
const declared = new WeakMap<ProxyModel, Set<string>>();

/** Records a declared ACL on its proxy. */
export function addAcl(proxy: ProxyModel, acl: AclModel): void {
  proxy.acls.push(acl);
  let names = declared.get(proxy);
  if (!names) {
    names = new Set();
    declared.set(proxy, names);
  }
  names.add(acl.name);
}

const NO_ACLS: ReadonlySet<string> = new Set();

/** The ACL names `proxy` has declared so far (conditions may only use those). */
export function declaredAcls(proxy: ProxyModel | undefined): ReadonlySet<string> {
  return (proxy && declared.get(proxy)) ?? NO_ACLS;
}

/** `acl <name> <criterion> [flags] [operator] [values…]` */
export function parseAclDecl(ctx: KeywordContext): AclModel | undefined {
  const a = ctx.args;
  const name = a[1];
  if (name === undefined) {
    ctx.alert("'acl' expects an ACL name and a criterion.");
    return undefined;
  }
  const bad = invalidNameChar(name);
  if (bad !== undefined) {
    ctx.alert(`character '${bad}' is not permitted in acl name '${name}'.`);
    return undefined;
  }
  const err = parseAclBody(ctx, a.slice(2));
  if (err !== undefined) {
    ctx.alert(`error detected while parsing ACL '${name}' : ${err}.`);
    return undefined;
  }
  const flags: string[] = [];
  let i = 3;
  while (i < a.length && a[i]!.startsWith('-')) {
    flags.push(a[i]!);
    if (a[i] === '--') {
      i++;
      break;
    }
    i += a[i] === '-f' || a[i] === '-m' || a[i] === '-M' ? 2 : 1;
  }
  return {
    file: ctx.file,
    line: ctx.line,
    name,
    words: a.slice(2),
    fetch: a[2]!,
    flags,
    patterns: a.slice(i),
  };
}

/** Checks `<criterion> [flags] [values]`; returns an error text or undefined. */
function parseAclBody(ctx: KeywordContext, words: string[]): string | undefined {
  const criterion = words[0];
  if (criterion === undefined) return 'missing fetch method';
  const err = checkSampleExpr(criterion, true);
  if (err) return `${err} in ACL expression '${criterion}'`;
  let i = 1;
  while (i < words.length) {
    const w = words[i]!;
    if (!w.startsWith('-') || w === '-' || /^-\d/.test(w)) break;
    if (w === '--') break;
    if (w === '-f') {
      const f = words[i + 1];
      if (f === undefined) return "'-f' expects a file name";
      if (!existsSync(ctx.resolvePath(f))) {
        return `failed to open pattern file <${f}>`;
      }
      i += 2;
    } else if (w === '-m') {
      const m = words[i + 1];
      if (m === undefined || !MATCH_METHODS.has(m))
        return `'-m' expects a valid matching method, got '${m ?? ''}'`;
      i += 2;
    } else if (w === '-M') {
      i += 1;
    } else if (w === '-i' || w === '-n' || w === '-u') {
      i += 1;
    } else {
      return `'${w}' is not a valid ACL option. Please use '--' before any pattern beginning with a '-'`;
    }
  }
  const fetchName = nameOf(splitExpr(criterion)[0]!).name;
  if (IP_FETCHES.has(fetchName) && splitExpr(criterion).length === 1) {
    for (const p of words.slice(i)) {
      if (p === '--') continue;
      if (!isIpPattern(p)) return `'${p}' is not a valid IPv4 or IPv6 address`;
    }
  }
  return undefined;
}

const IP_FETCHES = new Set([
  'src',
  'dst',
  'so_dst',
  'bc_src',
  'bc_dst',
  'fc_src',
  'fc_dst',
  'req.hdr_ip',
  'hdr_ip',
]);

/** IPv4 in inet_aton's short forms as HAProxy reads patterns: `a`, `a.b`, `a.b.c` (the last part fills the rest). */
function isShortIpv4(addr: string): boolean {
  return /^\d+(\.\d+){0,2}$/.test(addr) && addr.split('.').every((x) => Number(x) <= 255);
}

function isIpPattern(p: string): boolean {
  const [addr, mask] = p.split('/');
  if (addr === undefined) return false;
  if (isIP(addr) === 0 && !isShortIpv4(addr)) return false;
  if (mask === undefined) return true;
  return /^\d+$/.test(mask) ? Number(mask) <= (isIP(addr) === 6 ? 128 : 32) : isIP(mask) === 4;
}

/**
 * Parses `if|unless <terms>` starting at `words[0]`. `known` tells which
 * ACL names the proxy has declared so far. Returns the condition or an error text.
 */
export function parseCondition(
  ctx: KeywordContext,
  words: string[],
  known: ReadonlySet<string>,
): { cond: ConditionModel } | { error: string } {
  const polarity = words[0] === 'unless' ? 'unless' : 'if';
  const terms: ConditionModel['terms'] = [[]];
  let i = 1;
  // HAProxy accepts 'if' with nothing after it: an empty condition, always true
  if (words.length < 2) return { cond: { polarity, terms: [] } };
  while (i < words.length) {
    let w = words[i]!;
    if (w === '||' || w === 'or') {
      if (terms[terms.length - 1]!.length === 0) return { error: `'${w}' without a preceding ACL` };
      terms.push([]);
      i++;
      continue;
    }
    let negate = false;
    while (w.startsWith('!')) {
      negate = !negate;
      w = w.slice(1);
      if (w === '') {
        i++;
        w = words[i] ?? '';
        if (w === '') return { error: "missing ACL after '!'" };
      }
    }
    if (w === '{') {
      const close = words.indexOf('}', i + 1);
      if (close < 0) return { error: "missing closing '}' in condition" };
      const body = words.slice(i + 1, close);
      if (body.length === 0) return { error: 'empty anonymous ACL' };
      const err = parseAclBody(ctx, body);
      if (err !== undefined) return { error: `${err} in anonymous ACL` };
      terms[terms.length - 1]!.push({ negate, acl: '', anonymous: body });
      i = close + 1;
      continue;
    }
    if (w === '}') return { error: "unexpected '}' in condition" };
    if (!known.has(w) && !PREDEFINED.has(w)) {
      return { error: `no such ACL : '${w}'` };
    }
    terms[terms.length - 1]!.push({ negate, acl: w });
    i++;
  }
  if (terms[terms.length - 1]!.length === 0) return { error: 'missing ACL after the last operator' };
  return { cond: { polarity, terms } };
}
