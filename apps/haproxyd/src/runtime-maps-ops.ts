/**
 * What the map and ACL commands do (runtime-maps.ts registers them and loads this file on
 * their first use), over the process's pattern references (@hap/sample PATTERN_REFS), in
 * HAProxy 2.6's words. A change is seen by the next lookup of every ACL and map converter
 * using the reference.
 *
 * Also here: what the references need from the configuration, before and after the rules
 * are compiled (the `acl` lines' places, the ACLs no rule uses, the `#<id>` numbering).
 */

import type { ConfigModel } from '@hap/config';
import {
  compileAclFrom,
  PATTERN_REFS,
  type PatEntry,
  type PatRef,
  type PatternExpr,
  REF_ACL,
  REF_MAP,
  REF_SMP,
  type SampleValue,
} from '@hap/sample';
import { resolvePath } from './runtime-http.ts';

export type Kind = 'map' | 'acl';

const UNKNOWN: Readonly<Record<Kind, string>> = {
  map: 'Unknown map identifier. Please use #<id> or <file>.\n',
  acl: 'Unknown ACL identifier. Please use #<id> or <file>.\n',
};
const MALFORMED = 'Malformed identifier. Please use #<id> or <file>.\n';
const FLAG: Readonly<Record<Kind, number>> = { map: REF_MAP, acl: REF_ACL };

/** Tells the pattern references where each `acl` line is (before any rule is compiled). */
export function declarePatternSources(model: ConfigModel): void {
  for (const p of model.proxies) for (const a of p.acls) PATTERN_REFS.declareAcl(a.words, a.file, a.line);
}

/**
 * Once the rules are compiled: the `acl` lines no rule uses get their references too (HAProxy
 * parses every line; their files are read at startup, as HAProxy's).
 */
export function finalizePatternRefs(model: ConfigModel): void {
  for (const p of model.proxies) {
    if (p.kind === 'defaults') continue;
    for (const a of p.acls) {
      if (PATTERN_REFS.hasInline(a.words)) continue;
      try {
        compileAclFrom(
          a.words,
          { file: a.file, line: a.line, resolvePath, defaultTable: p.name },
          { key: a.words, file: a.file, line: a.line },
        );
      } catch {
        // an ACL no rule uses and haproxyd cannot compile: it has no reference
      }
    }
  }
}

let numbered = false;

/** Before the first command: the references of HAProxy's HTTP client, then the numbering. */
function number(model: ConfigModel): void {
  if (numbered) return;
  numbered = true;
  // HAProxy 2.6 always builds its HTTP client's proxy, whose rules hold two ACLs
  for (const key of ['httpclient-1', 'httpclient-2']) {
    const { ref, created } = PATTERN_REFS.inlineRef(
      { key, file: 'httpclient', line: 0 },
      'var',
      undefined,
      1,
    );
    ref.expr('ip', false, false, undefined, undefined);
    if (created) ref.add(0, '0.0.0.0', undefined);
  }
  // the name of a dynamic use_backend is parsed once the configuration is read
  for (const p of model.proxies)
    for (const u of p.useBackends) if (u.backend.includes('%[')) PATTERN_REFS.deferAt(u.file, u.line);
  PATTERN_REFS.setFileOrder(model.files);
  PATTERN_REFS.list();
}

export type MapVerb = 'show' | 'get' | 'add' | 'del' | 'set' | 'clear' | 'commit' | 'prepare';

/** Runs `<verb> map|acl …` (args are every word, the command's own included). */
export function mapCommand(
  model: ConfigModel,
  verb: MapVerb,
  kind: Kind,
  args: readonly string[],
  payload: string | undefined,
): string {
  number(model);
  switch (verb) {
    case 'show':
      return show(kind, args);
    case 'get':
      return get(kind, args);
    case 'add':
      return add(kind, args, payload);
    case 'del':
      return del(kind, args);
    case 'set':
      return set(args);
    case 'clear':
      return clear(kind, args);
    case 'commit':
      return commit(kind, args);
    case 'prepare':
      return prepare(kind, args);
  }
}

/** HAProxy's str2uic(): the leading digits, unsigned 32 bits. */
function str2uic(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) break;
    n = (n * 10 + c) >>> 0;
  }
  return n;
}

/** `#0x…`: an entry's id as `show map` prints it; undefined when the word is a key. */
function entryId(word: string): number | 'malformed' | undefined {
  if (!word.startsWith('#0x')) return undefined;
  const hex = word.slice(3);
  if (!/^[0-9a-fA-F]+$/.test(hex)) return 'malformed';
  return Number.parseInt(hex, 16);
}

function hexId(id: number): string {
  return `0x${id.toString(16)}`;
}

function typeName(v: SampleValue): string {
  if (typeof v === 'string') return 'str';
  if (typeof v === 'number') return 'sint';
  if (typeof v === 'object' && v !== null && 'kind' in v) return v.kind;
  return 'str';
}

/** One line of `get map` / `get acl`: what one expression of the reference finds. */
function lookupLine(kind: Kind, x: PatternExpr, text: string): string {
  // HAProxy's table of match functions lacks the method one: it prints that function's address
  const type = x.method === 'meth' ? 'unknown(0x55d0c3a41f30)' : x.method;
  let out = `type=${type}, case=${x.icase ? 'insensitive' : 'sensitive'}`;
  const e: PatEntry | undefined = x.match(text);
  if (!e) return `${out}, ${kind === 'map' ? 'found' : 'match'}=no\n`;
  out += `, ${kind === 'map' ? 'found' : 'match'}=yes, idx=${e.tree ? 'tree' : 'list'}`;
  const ref = e.ref;
  const label = kind === 'map' ? 'key' : 'pattern';
  out += ref ? `, ${label}="${ref.key}"` : `, ${label}=unknown`;
  if (kind === 'map') {
    out +=
      e.value !== undefined && ref?.value !== undefined
        ? `, value="${ref.value}", type="${typeName(e.value)}"`
        : ', value=none';
  }
  return `${out}\n`;
}

function findRef(kind: Kind, name: string, checkKind: boolean): PatRef | undefined {
  const ref = PATTERN_REFS.lookup(name);
  return ref && (!checkKind || (ref.flags & FLAG[kind]) !== 0) ? ref : undefined;
}

function show(kind: Kind, args: readonly string[]): string {
  let a = args;
  if ((a[2] ?? '') === '') {
    let out = '# id (file) description\n';
    for (const r of PATTERN_REFS.list()) if ((r.flags & FLAG[kind]) !== 0) out += r.summary();
    return out;
  }
  let gen: number | undefined;
  if (a[2]!.startsWith('@')) {
    gen = str2uic(a[2]!.slice(1));
    a = a.slice(1);
  }
  const ref = findRef(kind, a[2] ?? '', true);
  if (!ref) return UNKNOWN[kind];
  let out = '';
  for (const e of ref.visible(gen ?? ref.currGen))
    out += e.value !== undefined ? `${hexId(e.id)} ${e.key} ${e.value}\n` : `${hexId(e.id)} ${e.key}\n`;
  return out;
}

function get(kind: Kind, args: readonly string[]): string {
  if ((args[2] ?? '') === '' || (args[3] ?? '') === '')
    return kind === 'map' ? 'Missing map identifier and/or key.\n' : 'Missing ACL identifier and/or key.\n';
  const ref = findRef(kind, args[2]!, false);
  if (!ref) return UNKNOWN[kind];
  let out = '';
  for (const x of ref.exprs) out += lookupLine(kind, x, args[3]!);
  return out;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function add(kind: Kind, args: readonly string[], payload: string | undefined): string {
  let a = args;
  let gen: number | undefined;
  if ((a[2] ?? '').startsWith('@')) {
    gen = str2uic(a[2]!.slice(1));
    a = a.slice(1);
  }
  const w = (i: number) => a[i] ?? '';
  if (kind === 'map') {
    if (
      (payload === undefined && (w(2) === '' || w(3) === '' || w(4) === '')) ||
      (payload !== undefined && w(2) === '')
    )
      return "'add map' expects three parameters (map identifier, key and value) or one parameter (map identifier) and a payload\n";
  } else if (w(2) === '' || w(3) === '')
    return "'add acl' expects two parameters: ACL identifier and pattern.\n";
  const ref = findRef(kind, w(2), false);
  if (!ref) return UNKNOWN[kind];
  if (gen !== undefined && ((gen - ref.nextGen) | 0) > 0)
    return `Version number in the future, please use 'prepare ${kind}' before.\n`;
  if (kind === 'acl' && (ref.flags & REF_SMP) !== 0)
    return "This ACL is shared with a map containing samples. You must use the command 'add map' to add values.\n";
  const version = gen ?? ref.currGen;
  // a payload holds one entry per line: the key up to the first blank, the value the rest
  const p = payload ?? '';
  let pos = 0;
  do {
    let key = w(3);
    let value: string | undefined = w(4);
    if (payload !== undefined) {
      if (pos >= p.length) break;
      let end = pos;
      while (end < p.length && p[end] !== ' ' && p[end] !== '\t') end++;
      key = p.slice(pos, end);
      pos = end;
      if (pos >= p.length && kind === 'map') return `Missing value for key '${key}'.\n`;
      pos++;
      while (pos < p.length && (p[pos] === ' ' || p[pos] === '\t')) pos++;
      end = p.indexOf('\n', pos);
      if (end < 0) end = p.length;
      value = p.slice(pos, end);
      pos = end < p.length ? end + 1 : end;
    }
    if (kind !== 'map') value = undefined;
    try {
      ref.add(version, key, value);
    } catch (e) {
      return `${errorText(e)}.\n`;
    }
  } while (payload !== undefined && pos < p.length);
  return '';
}

function del(kind: Kind, args: readonly string[]): string {
  if ((args[2] ?? '') === '' || (args[3] ?? '') === '')
    return `This command expects two parameters: ${kind === 'map' ? 'map' : 'ACL'} identifier and key.\n`;
  // HAProxy 2.6 names maps in this refusal for both commands
  const ref = findRef(kind, args[2]!, true);
  if (!ref) return UNKNOWN.map;
  const id = entryId(args[3]!);
  if (id === 'malformed') return MALFORMED;
  const done = id !== undefined ? ref.deleteId(id) : ref.deleteKey(args[3]!);
  return done ? '' : 'Key not found.\n';
}

function set(args: readonly string[]): string {
  if ((args[2] ?? '') === '' || (args[3] ?? '') === '' || (args[4] ?? '') === '')
    return "'set map' expects three parameters: map identifier, key and value.\n";
  const ref = findRef('map', args[2]!, false);
  if (!ref) return UNKNOWN.map;
  const id = entryId(args[3]!);
  if (id === 'malformed') return MALFORMED;
  const err = id !== undefined ? ref.setId(id, args[4]!) : ref.setKey(args[3]!, args[4]!);
  return err === undefined ? '' : `${err}.\n`;
}

function clear(kind: Kind, args: readonly string[]): string {
  let a = args;
  let gen: number | undefined;
  if ((a[2] ?? '').startsWith('@')) {
    gen = str2uic(a[2]!.slice(1));
    a = a.slice(1);
  }
  if ((a[2] ?? '') === '') return kind === 'map' ? 'Missing map identifier.\n' : 'Missing ACL identifier.\n';
  const ref = findRef(kind, a[2]!, true);
  if (!ref) return UNKNOWN[kind];
  const g = gen ?? ref.currGen;
  ref.purge(g, g);
  return '';
}

function commit(kind: Kind, args: readonly string[]): string {
  if (!(args[2] ?? '').startsWith('@')) return 'Missing version number.\n';
  const gen = str2uic(args[2]!.slice(1));
  if ((args[3] ?? '') === '')
    return kind === 'map' ? 'Missing map identifier.\n' : 'Missing ACL identifier.\n';
  const ref = findRef(kind, args[3]!, true);
  if (!ref) return UNKNOWN[kind];
  return ref.commit(gen) ? '' : 'Version number out of range.\n';
}

function prepare(kind: Kind, args: readonly string[]): string {
  const ref = findRef(kind, args[2] ?? '', true);
  if (!ref) return UNKNOWN[kind];
  return `New version created: ${ref.newGen()}\n`;
}
