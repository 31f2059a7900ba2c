// Pattern references (HAProxy's pat_ref): the patterns of one file, or the inline patterns
// of one ACL expression, kept as a list of entries with stable ids and version numbers, and
// shared by every ACL and map converter that names the same file. The runtime API changes a
// reference (`add map`, `del acl`, `set map`, `clear`, `prepare`/`commit`); its users read
// pattern sets (match.ts) that are kept in step with the entries of the current version:
// appending to the current version adds to the sets, any other change empties and refills
// them in place. Requests keep reading the same set objects: nothing is checked per request.
//
//   entries (list order, any version) ──▶ expressions (one per index/parse kind) ──▶ sets
//        gen === currGen: visible              entry_cnt counts pushes, as HAProxy      (lookup)
//
// Versions are unsigned 32-bit numbers compared with wrapping, as HAProxy's: `prepare`
// allocates nextGen+1, entries added with `@<ver>` stay invisible until `commit @<ver>`
// makes <ver> current and drops every older version.
import type { SampleValue } from '../env.ts';
import { SampleError } from '../errors.ts';
import { cast } from '../types.ts';
import { readPatternLines, stampOf } from './file.ts';
import { MATCH_TYPES, type MatchMethod, newPatternSet, type PatEntry, type PatternSet } from './match.ts';

/** The reference is used by ACLs (listed by `show acl`). */
export const REF_ACL = 1;
/** The reference is used by maps (listed by `show map`). */
export const REF_MAP = 2;
/** The reference has a value column (a map file). */
export const REF_SMP = 4;

/** One line of a reference. `id` prints like the entry's address in HAProxy (`0x…`). */
export interface PatRefEntry {
  readonly id: number;
  readonly key: string;
  /** The value column (maps); undefined for ACL patterns. */
  value: string | undefined;
  gen: number;
  /** The file line it came from; -1 when added at run time or inline. */
  readonly line: number;
}

/** How values of a map are typed: the map converter's output (HAProxy's parse_smp). */
export type ValueKind = 'str' | 'int' | 'ip';

/** Where a reference is used, in the configuration's order. */
interface Use {
  readonly kind: 'acl' | 'map';
  readonly file: string;
  readonly line: number;
  /** 0: a converter's map, 1: an ACL's file or patterns (parsed after the rule's action). */
  readonly phase: number;
  /** What tells two users on one line apart (the converter's name); '' for ACLs. */
  readonly tag: string;
  readonly seq: number;
  /**
   * 0: read with the configuration; 1: HAProxy's internal HTTP client, made once it is read;
   * 2: read after that (the name of a dynamic `use_backend`, which HAProxy parses last).
   */
  stage: number;
}

// HAProxy shares one expression between users whose index and parse functions are the same.
const INDEX_GROUP: Readonly<Record<MatchMethod, string>> = {
  found: 'none',
  bool: 'none',
  int: 'int',
  len: 'int',
  ip: 'ip',
  bin: 'bin',
  str: 'str',
  beg: 'beg',
  sub: 'list',
  dir: 'list',
  dom: 'list',
  end: 'list',
  reg: 'reg',
  meth: 'meth',
};

/**
 * The patterns of a reference indexed one way (HAProxy's pattern_expr): its sets, one per
 * match method using it (methods sharing the index share the expression), filled with the
 * visible entries and, for maps, their values parsed into the output type.
 */
export class PatternExpr {
  /** The method HAProxy's `get map` names (the first user's). */
  method: MatchMethod | 'regm';
  /** The first user's place: expressions are consulted (`get map`) in that order. */
  at: Use | undefined;
  readonly icase: boolean;
  readonly valueKind: ValueKind | undefined;
  readonly parseValue: ((v: string) => SampleValue) | undefined;
  readonly key: string;
  readonly sets = new Map<MatchMethod, PatternSet>();
  private readonly watchers: (() => void)[] = [];

  constructor(
    key: string,
    method: MatchMethod | 'regm',
    icase: boolean,
    valueKind: ValueKind | undefined,
    parseValue: ((v: string) => SampleValue) | undefined,
  ) {
    this.key = key;
    this.method = method;
    this.icase = icase;
    this.valueKind = valueKind;
    this.parseValue = parseValue;
    this.at = undefined;
  }

  /** Calls `fn` after every change of the sets (an ACL skips its empty sets). */
  watch(fn: () => void): void {
    this.watchers.push(fn);
  }

  /** The map value of an entry for this expression (undefined for ACLs). */
  value(e: PatRefEntry): SampleValue | undefined {
    return this.parseValue !== undefined && e.value !== undefined ? this.parseValue(e.value) : undefined;
  }

  /** Checks an entry as HAProxy's pat_ref_push does: the value first, then the pattern. */
  check(e: PatRefEntry): SampleValue | undefined {
    const v = this.value(e);
    const first = this.sets.values().next().value;
    const scratch = newPatternSet(first?.method ?? methodOf(this.method), this.icase);
    scratch.add(e.key, v, e);
    return v;
  }

  /**
   * What the first user's lookup finds for `text` cast to its match type (`get map`);
   * undefined when nothing matches or the text does not cast.
   */
  match(text: string): PatEntry | undefined {
    const first = this.sets.entries().next().value;
    if (!first) return undefined;
    const [method, set] = first;
    if (method === 'found') return undefined; // HAProxy has no match function to run
    const v = cast(text, MATCH_TYPES[method]);
    return v === undefined ? undefined : set.lookup(v);
  }

  fill(entries: readonly PatRefEntry[], gen: number): void {
    for (const set of this.sets.values()) {
      set.clear();
      for (const e of entries) if (e.gen === gen) set.add(e.key, this.value(e), e);
    }
    for (const w of this.watchers) w();
  }

  append(e: PatRefEntry, v: SampleValue | undefined): void {
    for (const set of this.sets.values()) set.add(e.key, v, e);
    for (const w of this.watchers) w();
  }
}

function methodOf(m: MatchMethod | 'regm'): MatchMethod {
  return m === 'regm' ? 'reg' : m;
}

function patternError(message: string): never {
  throw new SampleError('HAP_ERR_SAMPLE_PATTERN', message);
}

/** HAProxy's `%llu` of a counter that its own bookkeeping can take below zero. */
function unsigned64(n: number): string {
  return n >= 0 ? String(n) : BigInt.asUintN(64, BigInt(n)).toString();
}

export class PatRef {
  /** `#<id>`: assigned once the configuration is read (`-u` forces it). */
  uniqueId: number;
  /** The file name as the configuration wrote it; undefined for inline patterns. */
  readonly reference: string | undefined;
  flags: number;
  readonly entries: PatRefEntry[] = [];
  currGen = 0;
  nextGen = 0;
  /** HAProxy's entry_cnt: one per entry and expression pushed, minus one per entry removed. */
  entryCnt = 0;
  readonly exprs: PatternExpr[] = [];
  /** Inline patterns: the ACL keyword (`acl '<kw>' file '<f>' line <n>`). */
  readonly kw: string | undefined;
  readonly uses: Use[] = [];
  /** The use recorded last: the place of the expression asked for next. */
  private lastUse: Use | undefined;
  /** The file's stamp when read (a file changed on disk is read again by the next user). */
  readonly stamp: string | undefined;
  private readonly registry: PatternRegistry;

  constructor(
    registry: PatternRegistry,
    reference: string | undefined,
    kw: string | undefined,
    flags: number,
    uniqueId: number,
    stamp: string | undefined,
  ) {
    this.registry = registry;
    this.reference = reference;
    this.kw = kw;
    this.flags = flags;
    this.uniqueId = uniqueId;
    this.stamp = stamp;
  }

  /** The description `show map`/`show acl` print. */
  get display(): string {
    if (this.kw !== undefined) {
      const u = this.firstUse();
      return `acl '${this.kw}' file '${u?.file ?? ''}' line ${u?.line ?? 0}`;
    }
    const uses = [...this.uses].sort((a, b) => this.registry.compareUses(a, b));
    let out = `pattern loaded from file '${this.reference ?? ''}'`;
    uses.forEach((u, i) => {
      out += `${i === 0 ? ' used' : ','} by ${u.kind} at file '${u.file}' line ${u.line}`;
    });
    return out;
  }

  /** The `show map`/`show acl` line of this reference. */
  summary(): string {
    return `${this.uniqueId} (${this.reference ?? ''}) ${this.display}. curr_ver=${this.currGen} next_ver=${this.nextGen} entry_cnt=${unsigned64(this.entryCnt)}\n`;
  }

  /** The earliest use (the reference's place in HAProxy's list). */
  firstUse(): Use | undefined {
    let best: Use | undefined;
    for (const u of this.uses) if (!best || this.registry.compareUses(u, best) < 0) best = u;
    return best;
  }

  addUse(kind: 'acl' | 'map', file: string, line: number, phase: number, tag = '', stage = 0): void {
    let u = this.uses.find(
      (x) => x.kind === kind && x.file === file && x.line === line && x.phase === phase && x.tag === tag,
    );
    if (!u) {
      u = { kind, file, line, phase, tag, seq: this.registry.nextSeq(file), stage };
      this.uses.push(u);
    }
    this.lastUse = u;
  }

  private earlier(a: Use | undefined, b: Use | undefined): boolean {
    return a !== undefined && (b === undefined || this.registry.compareUses(a, b) < 0);
  }

  /** Uses of converters at that place are read last (see Use.stage). */
  deferAt(file: string, line: number): void {
    let moved = false;
    for (const u of this.uses) {
      if (u.file === file && u.line === line && u.phase === 0 && u.stage === 0) {
        u.stage = 2;
        moved = true;
      }
    }
    if (moved) this.sortExprs();
  }

  private sortExprs(): void {
    this.exprs.sort((a, b) => (this.earlier(a.at, b.at) ? -1 : this.earlier(b.at, a.at) ? 1 : 0));
  }

  /**
   * The expression of this reference for one way of indexing it, created and filled with
   * every entry on first use (errors name the file line: HAProxy refuses the configuration).
   */
  expr(
    method: MatchMethod | 'regm',
    icase: boolean,
    noDns: boolean,
    valueKind: ValueKind | undefined,
    parseValue: ((v: string) => SampleValue) | undefined,
  ): PatternSet {
    const setMethod = methodOf(method);
    const group = method === 'regm' ? 'regm' : INDEX_GROUP[method];
    const key = `${group}\0${valueKind ?? ''}\0${icase ? 'i' : ''}${noDns ? 'n' : ''}`;
    const at = this.lastUse;
    let x = this.exprs.find((e) => e.key === key);
    if (x) {
      if (this.earlier(at, x.at)) {
        x.at = at;
        x.method = method;
        this.sortExprs();
      }
      let set = x.sets.get(setMethod);
      if (!set) {
        set = newPatternSet(setMethod, icase);
        x.sets.set(setMethod, set);
        for (const e of this.entries) if (e.gen === this.currGen) set.add(e.key, x.value(e), e);
      }
      return set;
    }
    x = new PatternExpr(key, method, icase, valueKind, parseValue);
    x.at = at;
    const set = newPatternSet(setMethod, icase);
    x.sets.set(setMethod, set);
    for (const e of this.entries) {
      try {
        const v = x.value(e);
        if (e.gen === this.currGen) set.add(e.key, v, e);
        else x.check(e);
      } catch (err) {
        if (err instanceof SampleError && e.line > 0) {
          throw new SampleError(err.code, `${err.message} at line ${e.line} of file '${this.reference}'`);
        }
        throw err;
      }
      this.entryCnt++;
    }
    this.exprs.push(x);
    this.sortExprs();
    return set;
  }

  /** The expression whose set `set` is (an ACL watches it). */
  exprOf(set: PatternSet): PatternExpr | undefined {
    for (const x of this.exprs) for (const s of x.sets.values()) if (s === set) return x;
    return undefined;
  }

  /**
   * Adds an entry to version `gen` (HAProxy's pat_ref_load): checked and indexed by every
   * expression, or removed again and the error thrown (the error costs entry_cnt one, as
   * in HAProxy).
   */
  add(gen: number, key: string, value: string | undefined, line = -1): PatRefEntry {
    const e: PatRefEntry = { id: this.registry.nextEntryId(), key, value, gen: gen >>> 0, line };
    this.entries.push(e);
    const visible = e.gen === this.currGen;
    let done = 0;
    try {
      for (const x of this.exprs) {
        const v = x.check(e);
        if (visible) x.append(e, v);
        this.entryCnt++;
        done++;
      }
    } catch (err) {
      this.entries.pop();
      this.entryCnt--;
      if (visible) for (let i = 0; i < done; i++) this.exprs[i]!.fill(this.entries, this.currGen);
      throw err;
    }
    return e;
  }

  /** Entries whose key is `key`, every version (HAProxy's del/set by key). */
  private matching(key: string): PatRefEntry[] {
    return this.entries.filter((e) => e.key === key);
  }

  private remove(pred: (e: PatRefEntry) => boolean): number {
    let n = 0;
    for (let i = this.entries.length - 1; i >= 0; i--) {
      if (pred(this.entries[i]!)) {
        this.entries.splice(i, 1);
        n++;
      }
    }
    if (n > 0) {
      this.entryCnt -= n;
      this.refill();
    }
    return n;
  }

  refill(): void {
    for (const x of this.exprs) x.fill(this.entries, this.currGen);
  }

  /** Removes every entry of that key; false when there is none. */
  deleteKey(key: string): boolean {
    return this.remove((e) => e.key === key) > 0;
  }

  /** Removes the entry of that id; false when it is not one of this reference. */
  deleteId(id: number): boolean {
    return this.remove((e) => e.id === id) > 0;
  }

  /** Whether `value` parses for every map expression (HAProxy tries them all first). */
  private valueError(value: string): string | undefined {
    for (const x of this.exprs) {
      if (x.parseValue === undefined) continue;
      try {
        x.parseValue(value);
      } catch {
        return `unable to parse '${value}'`;
      }
    }
    return undefined;
  }

  /**
   * `set map <ref> <key> <value>`: every entry of that key takes the value. As HAProxy 2.6,
   * a value that does not parse changes nothing and is not reported once an entry exists.
   * Returns an error message or undefined.
   */
  setKey(key: string, value: string): string | undefined {
    const found = this.matching(key);
    if (found.length === 0) return 'entry not found';
    if (this.valueError(value) !== undefined) return undefined;
    for (const e of found) e.value = value;
    this.refill();
    return undefined;
  }

  /** `set map <ref> #<id> <value>`; returns an error message or undefined. */
  setId(id: number, value: string): string | undefined {
    const e = this.entries.find((x) => x.id === id);
    if (!e) return 'key or pattern not found';
    const err = this.valueError(value);
    if (err !== undefined) return err;
    e.value = value;
    this.refill();
    return undefined;
  }

  /** Removes the entries whose version is within from..to (wrapping), as pat_ref_purge_range. */
  purge(from: number, to: number): void {
    const span = (to - from) >>> 0;
    this.remove((e) => (e.gen - from) >>> 0 <= span);
  }

  /** `prepare`: the next version number. */
  newGen(): number {
    this.nextGen = (this.nextGen + 1) >>> 0;
    return this.nextGen;
  }

  /** `commit @gen`: false when gen is not between curr_ver+1 and next_ver. */
  commit(gen: number): boolean {
    const g = gen >>> 0;
    if ((g - (this.currGen + 1)) >>> 0 >= (this.nextGen - this.currGen) >>> 0) return false;
    if (((g - this.currGen) | 0) > 0) this.currGen = g;
    const prev = (g - 1) >>> 0;
    // drops every older version (and refills the sets with the new current one)
    const span = 0x7fffffff;
    const from = (prev - span) >>> 0;
    const before = this.entries.length;
    for (let i = this.entries.length - 1; i >= 0; i--) {
      if ((this.entries[i]!.gen - from) >>> 0 <= span) this.entries.splice(i, 1);
    }
    this.entryCnt -= before - this.entries.length;
    this.refill();
    return true;
  }

  /** The entries of version `gen`, in list order. */
  visible(gen = this.currGen): PatRefEntry[] {
    return this.entries.filter((e) => e.gen === gen >>> 0);
  }

  findId(id: number): PatRefEntry | undefined {
    return this.entries.find((e) => e.id === id);
  }
}

/** How an ACL expression's inline reference is known again when it is compiled twice. */
export interface InlineSource {
  readonly key: unknown;
  readonly file: string;
  readonly line: number;
}

/**
 * Every pattern reference of a process (HAProxy's pattern_reference list): file references
 * by name, inline ones by the ACL they belong to; `#<id>`s given in the configuration's order.
 */
export class PatternRegistry {
  private refs: PatRef[] = [];
  private readonly byName = new Map<string, PatRef>();
  private readonly inline = new Map<unknown, PatRef>();
  private readonly declared = new WeakMap<object, { file: string; line: number }>();
  private readonly fileRank = new Map<string, number>();
  private seq = 0;
  private entrySeq = 0;
  private numbered = false;

  nextSeq(file: string): number {
    if (!this.fileRank.has(file)) this.fileRank.set(file, this.fileRank.size);
    return this.seq++;
  }

  /** Entry ids look like the addresses HAProxy prints (scripts pass them back as `#0x…`). */
  nextEntryId(): number {
    return 0x55d0c3c00000 + 0x50 * this.entrySeq++;
  }

  compareUses(a: Use, b: Use): number {
    const fa = this.fileRank.get(a.file) ?? 0;
    const fb = this.fileRank.get(b.file) ?? 0;
    return a.stage - b.stage || fa - fb || a.line - b.line || a.phase - b.phase || a.seq - b.seq;
  }

  /** Tells where an `acl <name> …` line is, so that its reference names that line. */
  declareAcl(words: readonly string[], file: string, line: number): void {
    this.declared.set(words, { file, line });
  }

  declaredAt(words: readonly string[]): { file: string; line: number } | undefined {
    return this.declared.get(words);
  }

  /**
   * The reference of file `name` (read from `path`), created on first use. One reference is
   * either one column (ACL patterns) or two (maps, `-M`); using it both ways is an error.
   */
  fileRef(
    name: string,
    path: string,
    twoColumns: boolean,
    flags: number,
    file: string,
    line: number,
    phase: number,
    tag = '',
  ): PatRef {
    const stamp = stampOf(path);
    let ref = this.byName.get(name);
    if (ref && ref.stamp !== stamp) {
      // the file changed on disk since it was read: a new configuration reads it again
      this.refs = this.refs.filter((r) => r !== ref);
      ref = undefined;
    }
    // the description names a user as HAProxy does: "map" for maps and `-M` ACLs
    const kind = (flags & REF_MAP) !== 0 ? 'map' : 'acl';
    if (!ref) {
      ref = new PatRef(this, name, undefined, flags | (twoColumns ? REF_SMP : 0), -1, stamp);
      for (const l of readPatternLines(path, twoColumns)) {
        ref.entries.push({
          id: this.nextEntryId(),
          key: l.key,
          value: twoColumns ? l.value : undefined,
          gen: 0,
          line: l.line,
        });
      }
      this.byName.set(name, ref);
      this.refs.push(ref);
    } else {
      const smp = (ref.flags & REF_SMP) !== 0;
      if (twoColumns && !smp)
        patternError(
          `The file "${name}" is already used as one column file and cannot be used by as two column file.`,
        );
      if (!twoColumns && smp)
        patternError(
          `The file "${name}" is already used as two column file and cannot be used by as one column file.`,
        );
      ref.flags |= flags;
    }
    ref.addUse(kind, file, line, phase, tag);
    return ref;
  }

  /**
   * The reference of an ACL expression's own patterns (`acl '<kw>' file '<f>' line <n>`),
   * and whether it was just created (the caller then adds the patterns).
   */
  inlineRef(
    src: InlineSource,
    kw: string,
    uniqueId: number | undefined,
    stage = 0,
  ): { ref: PatRef; created: boolean } {
    const hit = this.inline.get(src.key);
    if (hit) {
      hit.addUse('acl', src.file, src.line, 1, '', stage);
      return { ref: hit, created: false };
    }
    if (uniqueId !== undefined && this.refs.some((r) => r.uniqueId === uniqueId)) {
      throw new SampleError('HAP_ERR_SAMPLE_SYNTAX', 'the id is already used');
    }
    const ref = new PatRef(this, undefined, kw, REF_ACL, uniqueId ?? -1, undefined);
    ref.addUse('acl', src.file, src.line, 1, '', stage);
    this.inline.set(src.key, ref);
    this.refs.push(ref);
    return { ref, created: true };
  }

  /** The maps of converters at that place are read after the others (a dynamic `use_backend`). */
  deferAt(file: string, line: number): void {
    for (const r of this.refs) r.deferAt(file, line);
  }

  /** Gives the configuration files' order (several `-f`): references are numbered in it. */
  setFileOrder(files: readonly string[]): void {
    const rest = [...this.fileRank.keys()].filter((f) => !files.includes(f));
    this.fileRank.clear();
    for (const f of [...files, ...rest]) this.fileRank.set(f, this.fileRank.size);
  }

  /**
   * Numbers the references as HAProxy does once its configuration is read: forced ids
   * kept, the others counted up in the configuration's order, skipping the forced ones.
   * References created afterwards get the next free numbers.
   */
  private number(): void {
    const taken = new Set(this.refs.filter((r) => r.uniqueId !== -1).map((r) => r.uniqueId));
    const fresh = this.refs.filter((r) => r.uniqueId === -1);
    if (!this.numbered) {
      const order = new Map(fresh.map((r, i) => [r, i]));
      fresh.sort((a, b) => {
        const ua = a.firstUse();
        const ub = b.firstUse();
        if (ua && ub) return this.compareUses(ua, ub) || order.get(a)! - order.get(b)!;
        return order.get(a)! - order.get(b)!;
      });
      this.numbered = true;
    }
    let next = 0;
    for (const r of fresh) {
      while (taken.has(next)) next++;
      r.uniqueId = next;
      taken.add(next);
    }
    this.refs.sort((a, b) => a.uniqueId - b.uniqueId);
  }

  /** Every reference, by id. */
  list(): readonly PatRef[] {
    if (!this.numbered || this.refs.some((r) => r.uniqueId === -1)) this.number();
    return this.refs;
  }

  /** `#<id>` or a file name, as the runtime API names references. */
  lookup(name: string): PatRef | undefined {
    const refs = this.list();
    if (name.startsWith('#')) {
      const id = strtol(name.slice(1));
      return id === undefined ? undefined : refs.find((r) => r.uniqueId === id);
    }
    return refs.find((r) => r.reference === name);
  }

  /** Whether the ACL expression known as `key` has its reference already. */
  hasInline(key: unknown): boolean {
    return this.inline.has(key);
  }

  /** Forgets every reference (a new configuration in the same process, tests). */
  reset(): void {
    this.refs = [];
    this.byName.clear();
    this.inline.clear();
    this.fileRank.clear();
    this.numbered = false;
  }
}

/** C's strtol(s, &end, 10) requiring the whole text ("" is 0, as in HAProxy). */
function strtol(s: string): number | undefined {
  const m = /^[ \t\n\v\f\r]*([+-]?\d*)$/.exec(s);
  if (!m) return undefined;
  const t = m[1]!;
  if (t === '' || t === '+' || t === '-') return t === '' ? 0 : undefined;
  const n = Number(t);
  return Math.max(-(2 ** 63), Math.min(2 ** 63 - 1, n));
}

/** The references of this process. */
export const PATTERN_REFS = new PatternRegistry();
