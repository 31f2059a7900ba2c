// Pattern sets: the patterns of one ACL (or the keys of one map) for one match method,
// indexed as HAProxy indexes them. Exact strings in a hash map (first one wins), prefixes
// in a trie (longest wins), IP networks by prefix length (longest wins), everything else
// in a list tried in order (first wins). `lookup` allocates nothing except for -i on
// exact strings and for IPv6 keys. A set is filled from its pattern reference (ref.ts),
// and emptied and refilled in place when the reference changes at run time.
import type { IpValue, SampleValue } from '../env.ts';
import { SampleError } from '../errors.ts';
import { maskBits, parseIpv4Loose, parseIpv4Strict, parseIpv6 } from '../ip.ts';
import { lowerAscii } from '../text.ts';
import type { SmpType } from '../types.ts';
import type { PatRefEntry } from './ref.ts';
import { compileRegex } from './regex.ts';

export type MatchMethod =
  | 'found'
  | 'bool'
  | 'int'
  | 'ip'
  | 'bin'
  | 'len'
  | 'str'
  | 'sub'
  | 'reg'
  | 'beg'
  | 'end'
  | 'dir'
  | 'dom'
  | 'meth';

/** The type a sample is cast to before matching (HAProxy's pat_match_types). */
export const MATCH_TYPES: Readonly<Record<MatchMethod, SmpType>> = {
  found: 'any',
  bool: 'sint',
  int: 'sint',
  ip: 'addr',
  bin: 'bin',
  len: 'str',
  str: 'str',
  sub: 'str',
  reg: 'str',
  beg: 'str',
  end: 'str',
  dir: 'str',
  dom: 'str',
  meth: 'meth',
};

export const MATCH_NAMES: readonly string[] = [
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
];

export interface PatEntry {
  readonly text: string;
  /** The map value (undefined for ACL patterns). */
  readonly value: SampleValue | undefined;
  /** map_regm: the compiled key, to substitute its groups. */
  readonly re?: RegExp;
  /** The reference entry the pattern comes from (`get map`/`get acl` print it). */
  readonly ref: PatRefEntry | undefined;
  /** Whether HAProxy indexes it in a tree (exact strings, prefixes, contiguous networks) or a list. */
  readonly tree: boolean;
}

export interface PatternSet {
  readonly method: MatchMethod;
  readonly icase: boolean;
  readonly size: number;
  /** Adds a pattern; throws a SampleError worded as HAProxy's (without file and line). */
  add(text: string, value: SampleValue | undefined, ref?: PatRefEntry): void;
  /** Removes every pattern (before the set is refilled from its reference). */
  clear(): void;
  /** The entry matching `v` (already cast to MATCH_TYPES[method]), or undefined. */
  lookup(v: SampleValue): PatEntry | undefined;
}

function patternError(message: string): never {
  throw new SampleError('HAP_ERR_SAMPLE_PATTERN', message);
}

function fold(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

function eqAt(s: string, at: number, p: string, icase: boolean): boolean {
  if (!icase) return s.startsWith(p, at);
  for (let i = 0; i < p.length; i++) if (fold(s.charCodeAt(at + i)) !== fold(p.charCodeAt(i))) return false;
  return true;
}

// --- integers -----------------------------------------------------------------------

interface Range {
  min: number;
  max: number;
}

function strictInt(s: string): number | undefined {
  if (!/^[+-]?\d+$/.test(s)) return undefined;
  const n = Number(s);
  return Math.max(-(2 ** 63), Math.min(2 ** 63, n));
}

/** HAProxy's pat_parse_int: "n", "a:b", ":b", "a:" ('-' also separates, as in HAProxy). */
export function parseIntRange(text: string): Range {
  if (text === '') patternError(`'${text}' is not a valid number range`);
  let sep = 0;
  while (sep < text.length && text[sep] !== ':' && text[sep] !== '-') sep++;
  if (sep === text.length) {
    const n = strictInt(text);
    if (n === undefined) patternError(`'${text}' is not a number`);
    return { min: n, max: n };
  }
  const bad = (): never => patternError(`'${text}' is not a valid number range`);
  if (sep === 0 && text.length > 1) return { min: -Infinity, max: strictInt(text.slice(1)) ?? bad() };
  if (sep === text.length - 1) return { min: strictInt(text.slice(0, sep)) ?? bad(), max: Infinity };
  const min = strictInt(text.slice(0, sep)) ?? bad();
  const max = strictInt(text.slice(sep + 1)) ?? bad();
  if (min > max) bad();
  return { min, max };
}

// --- IP networks --------------------------------------------------------------------

interface Net {
  kind: 'ipv4' | 'ipv6';
  bytes: Uint8Array;
  /** Prefix length, or -1 for a non-contiguous IPv4 mask (then `mask` is used). */
  bits: number;
  mask: Uint8Array;
}

/** An IP pattern: IPv4 (abbreviations allowed) with "/n" or a dotted mask, or IPv6 "/n". */
export function parseNet(text: string): Net | undefined {
  const slash = text.indexOf('/');
  const addr = slash < 0 ? text : text.slice(0, slash);
  const m = slash < 0 ? undefined : text.slice(slash + 1);
  const b4 = parseIpv4Loose(addr);
  if (b4) {
    if (m === undefined)
      return { kind: 'ipv4', bytes: b4, bits: 32, mask: new Uint8Array([255, 255, 255, 255]) };
    if (/^\d{1,2}$/.test(m) && Number(m) <= 32) {
      const bits = Number(m);
      return { kind: 'ipv4', bytes: b4, bits, mask: maskOf(bits, 4) };
    }
    const mb = parseIpv4Strict(m);
    if (!mb) return undefined;
    return { kind: 'ipv4', bytes: b4, bits: maskBits(mb), mask: mb };
  }
  const b6 = parseIpv6(addr);
  if (!b6) return undefined;
  if (m === undefined) return { kind: 'ipv6', bytes: b6, bits: 128, mask: maskOf(128, 16) };
  if (!/^\d{1,3}$/.test(m) || Number(m) > 128) return undefined;
  return { kind: 'ipv6', bytes: b6, bits: Number(m), mask: maskOf(Number(m), 16) };
}

function maskOf(bits: number, len: number): Uint8Array {
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++) {
    const n = Math.max(0, Math.min(8, bits - 8 * i));
    out[i] = n === 0 ? 0 : (0xff << (8 - n)) & 0xff;
  }
  return out;
}

function v4Key(b: Uint8Array, bits: number): number {
  const v = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
  return bits === 0 ? 0 : bits === 32 ? v : (v & (0xffffffff << (32 - bits))) >>> 0;
}

function v6Key(b: Uint8Array, bits: number): string {
  let s = '';
  for (let i = 0; i < 16; i++) {
    const n = Math.max(0, Math.min(8, bits - 8 * i));
    const x = n === 0 ? 0 : b[i]! & ((0xff << (8 - n)) & 0xff);
    s += x < 16 ? `0${x.toString(16)}` : x.toString(16);
  }
  return s;
}

/** Networks by prefix length, longest first; equal keys keep the first entry. */
class PrefixTable<K> {
  private readonly byLen = new Map<number, Map<K, PatEntry>>();
  lens: number[] = [];

  add(bits: number, key: K, e: PatEntry): void {
    let m = this.byLen.get(bits);
    if (!m) {
      m = new Map();
      this.byLen.set(bits, m);
      this.lens = [...this.byLen.keys()].sort((a, b) => b - a);
    }
    if (!m.has(key)) m.set(key, e);
  }

  get(bits: number, key: K): PatEntry | undefined {
    return this.byLen.get(bits)?.get(key);
  }

  clear(): void {
    this.byLen.clear();
    this.lens = [];
  }
}

class IpSet implements PatternSet {
  readonly method = 'ip' as const;
  readonly icase: boolean;
  size = 0;
  private readonly v4 = new PrefixTable<number>();
  private readonly v6 = new PrefixTable<string>();
  private readonly odd: { bytes: Uint8Array; mask: Uint8Array; e: PatEntry }[] = [];

  constructor(icase: boolean) {
    this.icase = icase;
  }

  add(text: string, value: SampleValue | undefined, ref?: PatRefEntry): void {
    const net = parseNet(text);
    if (!net) patternError(`'${text}' is not a valid IPv4 or IPv6 address`);
    const odd = net.kind === 'ipv4' && net.bits < 0;
    const e: PatEntry = { text, value, ref, tree: !odd };
    if (net.kind === 'ipv4') {
      if (odd) this.odd.push({ bytes: net.bytes, mask: net.mask, e });
      else this.v4.add(net.bits, v4Key(net.bytes, net.bits), e);
    } else this.v6.add(net.bits, v6Key(net.bytes, net.bits), e);
    this.size++;
  }

  clear(): void {
    this.v4.clear();
    this.v6.clear();
    this.odd.length = 0;
    this.size = 0;
  }

  private find4(b: Uint8Array): PatEntry | undefined {
    for (const bits of this.v4.lens) {
      const e = this.v4.get(bits, v4Key(b, bits));
      if (e) return e;
    }
    return undefined;
  }

  private find6(b: Uint8Array): PatEntry | undefined {
    for (const bits of this.v6.lens) {
      const e = this.v6.get(bits, v6Key(b, bits));
      if (e) return e;
    }
    return undefined;
  }

  lookup(v: SampleValue): PatEntry | undefined {
    const ip = v as IpValue;
    let v4: Uint8Array | undefined;
    if (ip.kind === 'ipv4') {
      v4 = ip.bytes;
      const e = this.find4(v4);
      if (e) return e;
      if (this.v6.lens.length) {
        const m = new Uint8Array(16);
        m[10] = 0xff;
        m[11] = 0xff;
        m.set(v4, 12);
        const e6 = this.find6(m);
        if (e6) return e6;
      }
    } else {
      const b = ip.bytes;
      const e = this.find6(b);
      if (e) return e;
      // ::ffff:a.b.c.d, ::a.b.c.d and 2002:AABB:CCDD:: are tried as IPv4
      let zero8 = true;
      for (let i = 0; i < 8; i++) if (b[i] !== 0) zero8 = false;
      const w = (b[8]! << 24) | (b[9]! << 16) | (b[10]! << 8) | b[11]!;
      if (zero8 && (w === 0 || w === 0xffff)) v4 = b.subarray(12, 16);
      else if (b[0] === 0x20 && b[1] === 0x02) v4 = b.subarray(2, 6);
      if (v4) {
        const e4 = this.find4(v4);
        if (e4) return e4;
      }
    }
    if (v4) {
      for (const o of this.odd) {
        let ok = true;
        for (let i = 0; i < 4; i++) if ((v4[i]! & o.mask[i]!) !== (o.bytes[i]! & o.mask[i]!)) ok = false;
        if (ok) return o.e;
      }
    }
    return undefined;
  }
}

// --- strings ------------------------------------------------------------------------

class ExactSet implements PatternSet {
  readonly method = 'str' as const;
  readonly icase: boolean;
  private readonly map = new Map<string, PatEntry>();
  size = 0;

  constructor(icase: boolean) {
    this.icase = icase;
  }

  add(text: string, value: SampleValue | undefined, ref?: PatRefEntry): void {
    const key = this.icase ? lowerAscii(text) : text;
    if (!this.map.has(key)) this.map.set(key, { text, value, ref, tree: !this.icase });
    this.size++;
  }

  clear(): void {
    this.map.clear();
    this.size = 0;
  }

  lookup(v: SampleValue): PatEntry | undefined {
    const s = v as string;
    return this.map.get(this.icase ? lowerAscii(s) : s);
  }
}

interface TrieNode {
  next: Map<number, TrieNode> | undefined;
  entry: PatEntry | undefined;
}

class PrefixSet implements PatternSet {
  readonly method = 'beg' as const;
  readonly icase: boolean;
  private root: TrieNode = { next: undefined, entry: undefined };
  size = 0;

  constructor(icase: boolean) {
    this.icase = icase;
  }

  add(text: string, value: SampleValue | undefined, ref?: PatRefEntry): void {
    let n = this.root;
    for (let i = 0; i < text.length; i++) {
      const c = this.icase ? fold(text.charCodeAt(i)) : text.charCodeAt(i);
      if (!n.next) n.next = new Map();
      let child = n.next.get(c);
      if (!child) {
        child = { next: undefined, entry: undefined };
        n.next.set(c, child);
      }
      n = child;
    }
    if (!n.entry) n.entry = { text, value, ref, tree: !this.icase };
    this.size++;
  }

  clear(): void {
    this.root = { next: undefined, entry: undefined };
    this.size = 0;
  }

  lookup(v: SampleValue): PatEntry | undefined {
    const s = v as string;
    let n: TrieNode | undefined = this.root;
    let best = n.entry;
    for (let i = 0; i < s.length && n.next; i++) {
      const c = this.icase ? fold(s.charCodeAt(i)) : s.charCodeAt(i);
      n = n.next.get(c);
      if (!n) break;
      if (n.entry) best = n.entry;
    }
    return best;
  }
}

/** HAProxy's match_word: the pattern between delimiters (or the ends), delimiters around it ignored. */
function matchWord(s: string, pattern: string, icase: boolean, isDelim: (c: number) => boolean): boolean {
  let ps = 0;
  let pl = pattern.length;
  while (pl > 0 && isDelim(pattern.charCodeAt(ps))) {
    ps++;
    pl--;
  }
  while (pl > 0 && isDelim(pattern.charCodeAt(ps + pl - 1))) pl--;
  if (pl > s.length) return false;
  const p = pattern.slice(ps, ps + pl);
  let may = true;
  const end = s.length - pl;
  for (let c = 0; c <= end; c++) {
    const ch = s.charCodeAt(c);
    if (isDelim(ch)) {
      may = true;
      continue;
    }
    if (!may) continue;
    if (eqAt(s, c, p, icase) && (c === end || isDelim(s.charCodeAt(c + pl)))) return true;
    may = false;
  }
  return false;
}

const isDirDelim = (c: number) => c === 47 || c === 63;
const isDomDelim = (c: number) => c === 47 || c === 63 || c === 46 || c === 58;

function indexOfFold(s: string, p: string): number {
  const last = s.length - p.length;
  for (let i = 0; i <= last; i++) if (eqAt(s, i, p, true)) return i;
  return -1;
}

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'CONNECT', 'PUT', 'OPTIONS', 'DELETE', 'TRACE']);

type Test = (v: SampleValue) => boolean;

/** Patterns tried in order: the first that matches is the result. */
class ListSet implements PatternSet {
  readonly method: MatchMethod;
  readonly icase: boolean;
  private readonly tests: Test[] = [];
  private readonly entries: PatEntry[] = [];

  constructor(method: MatchMethod, icase: boolean) {
    this.method = method;
    this.icase = icase;
  }

  get size(): number {
    return this.entries.length;
  }

  add(text: string, value: SampleValue | undefined, ref?: PatRefEntry): void {
    const ic = this.icase;
    let test: Test;
    let re: RegExp | undefined;
    switch (this.method) {
      case 'end':
        test = (v) => {
          const s = v as string;
          return s.length >= text.length && eqAt(s, s.length - text.length, text, ic);
        };
        break;
      case 'sub':
        test = ic ? (v) => indexOfFold(v as string, text) >= 0 : (v) => (v as string).includes(text);
        break;
      case 'dir':
        test = (v) => matchWord(v as string, text, ic, isDirDelim);
        break;
      case 'dom':
        test = (v) => matchWord(v as string, text, ic, isDomDelim);
        break;
      case 'reg': {
        const r = compileRegex(text, ic);
        re = r;
        test = (v) => r.test(v as string);
        break;
      }
      case 'int': {
        const { min, max } = parseIntRange(text);
        test = (v) => (v as number) >= min && (v as number) <= max;
        break;
      }
      case 'len': {
        const { min, max } = parseIntRange(text);
        test = (v) => (v as string).length >= min && (v as string).length <= max;
        break;
      }
      case 'bin': {
        if (text.length % 2 || !/^[0-9A-Fa-f]*$/.test(text)) {
          patternError(
            text.length % 2
              ? 'an even number of hex digit is expected'
              : `an hex digit is expected (found '${/[^0-9A-Fa-f]/.exec(text)?.[0]}')`,
          );
        }
        const b = Buffer.from(text, 'hex');
        test = (v) => (v as Buffer).equals(b);
        break;
      }
      case 'meth':
        // known methods compare exactly; others as strings, -i folding case
        if (KNOWN_METHODS.has(text)) test = (v) => v === text;
        else if (ic)
          test = (v) => !KNOWN_METHODS.has(v as string) && lowerAscii(v as string) === lowerAscii(text);
        else test = (v) => v === text;
        break;
      default:
        patternError(`internal error: no list matching for '${this.method}'`);
    }
    this.tests.push(test);
    this.entries.push(re ? { text, value, re, ref, tree: false } : { text, value, ref, tree: false });
  }

  clear(): void {
    this.tests.length = 0;
    this.entries.length = 0;
  }

  lookup(v: SampleValue): PatEntry | undefined {
    const t = this.tests;
    for (let i = 0; i < t.length; i++) if (t[i]!(v)) return this.entries[i];
    return undefined;
  }
}

/** A set that takes no pattern (found, bool): patterns are kept but not consulted. */
class NoPatternSet implements PatternSet {
  readonly method: MatchMethod;
  readonly icase: boolean;
  size = 0;
  private readonly always: PatEntry = { text: '', value: undefined, ref: undefined, tree: false };

  constructor(method: MatchMethod, icase: boolean) {
    this.method = method;
    this.icase = icase;
  }

  add(): void {
    this.size++;
  }

  clear(): void {
    this.size = 0;
  }

  lookup(v: SampleValue): PatEntry | undefined {
    if (this.method === 'found') return this.always;
    return (v as number) !== 0 ? this.always : undefined;
  }
}

export function newPatternSet(method: MatchMethod, icase: boolean): PatternSet {
  switch (method) {
    case 'found':
    case 'bool':
      return new NoPatternSet(method, icase);
    case 'str':
      return new ExactSet(icase);
    case 'beg':
      return new PrefixSet(icase);
    case 'ip':
      return new IpSet(icase);
    default:
      return new ListSet(method, icase);
  }
}
