// `stick-table` arguments, parsed the way HAProxy 2.6 parses them: same accepted forms,
// same defaults, same refusals, and error messages in HAProxy's wording (without the
// "parsing [file:line] : " prefix, which belongs to the configuration loader).
import {
  dataTypeInfo,
  MAX_DATA_ARRAY,
  STICK_KEY_TYPES,
  type StickDataType,
  type StickKeyType,
} from './datatypes.ts';
import { StickError } from './errors.ts';

/** One stored data type. */
export interface StickStoreSpec {
  readonly type: StickDataType;
  /** Array elements for gpt/gpc/gpc_rate, 1 otherwise. */
  readonly elements: number;
  /** Period in ms for rates (the value in `conn_rate(10s)`), 0 otherwise. */
  readonly period: number;
}

export interface StickTableSpec {
  readonly type: StickKeyType;
  /**
   * Significant key length: characters for `string` (`len`, else 31: HAProxy 2.6 keeps
   * one of its 32 default bytes for the terminating NUL), bytes for `binary` (`len`,
   * else 32); 4 for ip and integer, 16 for ipv6.
   */
  readonly keyLength: number;
  /** Maximum number of entries. */
  readonly size: number;
  /** Entry lifetime in ms since its last refresh; 0: entries never expire. */
  readonly expire: number;
  /** Refuse new entries instead of evicting old ones when full. */
  readonly nopurge: boolean;
  /** `peers` section name (recorded only: this package does not replicate). */
  readonly peers?: string;
  /** How `server_key` identifies a server: its name (default) or its address. */
  readonly srvkey: 'name' | 'addr';
  /** Stored data types, in HAProxy's internal order (the `show table` order). */
  readonly store: readonly StickStoreSpec[];
  /** HAProxy's non-fatal warnings about the line (duplicate store option, stray unit characters). */
  readonly warnings: readonly string[];
}

const fail = (message: string): never => {
  throw new StickError('HAP_ERR_STICK_PARSE', message);
};

/** Result of parseTime/parseSize: the value, or what went wrong. */
export type NumberParse =
  | { readonly ok: true; readonly value: number; readonly warning?: string }
  | { readonly ok: false; readonly error: 'char'; readonly char: string }
  | { readonly ok: false; readonly error: 'overflow' | 'underflow' };

const U64 = (v: bigint) => BigInt.asUintN(64, v);

/**
 * A time in HAProxy's syntax converted to ms: digits then an optional unit (`us`, `ms`,
 * `s`, `m`, `h`, `d`; none means ms), rounded up. Values reaching 2^31 ms overflow; a
 * non-zero value that rounds to 0 underflows. Characters after the unit only warn, as in 2.6.
 */
export function parseTime(text: string): NumberParse {
  const first = text.charCodeAt(0);
  if (!(first >= 48 && first <= 57)) return { ok: false, error: 'char', char: text[0] ?? '' };
  let i = 0;
  let value = 0n;
  while (i < text.length) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) break;
    value = U64(value * 10n + BigInt(d));
    i++;
  }
  // Output unit is ms: seconds are multiplied by 1000 (omult), input units scale by imult/idiv.
  let omult = 1000n;
  let odiv = 1n;
  let imult = 1n;
  let idiv = 1n;
  let warning: string | undefined;
  if (i === text.length) {
    omult = 1n;
  } else {
    const c = text[i];
    if (c === 's') {
      // seconds: the unscaled unit
    } else if (c === 'u' && text[i + 1] === 's') {
      idiv = 1_000_000n;
      i++;
    } else if (c === 'u') {
      return { ok: false, error: 'char', char: c };
    } else if (c === 'm') {
      if (text[i + 1] === 's') {
        idiv = 1000n;
        i++;
      } else imult = 60n;
    } else if (c === 'h') imult = 3600n;
    else if (c === 'd') imult = 86400n;
    else return { ok: false, error: 'char', char: c ?? '' };
    i++;
    if (i < text.length) {
      warning =
        `unexpected character '${text[i]}' after the timer value '${text}', only ` +
        '(us=microseconds,ms=milliseconds,s=seconds,m=minutes,h=hours,d=days) are supported. ' +
        'This will be reported as an error in next versions.';
    }
  }
  if (omult % idiv === 0n) {
    omult /= idiv;
    idiv = 1n;
  }
  if (idiv % omult === 0n) {
    idiv /= omult;
    omult = 1n;
  }
  if (imult % odiv === 0n) {
    imult /= odiv;
    odiv = 1n;
  }
  if (odiv % imult === 0n) {
    odiv /= imult;
    imult = 1n;
  }
  const result = U64(U64(value * imult * omult) + (idiv * odiv - 1n)) / (idiv * odiv);
  if (result >= 0x80000000n) return { ok: false, error: 'overflow' };
  if (result === 0n && value !== 0n) return { ok: false, error: 'underflow' };
  return warning === undefined
    ? { ok: true, value: Number(result) }
    : { ok: true, value: Number(result), warning };
}

/** A size with an optional k/m/g suffix (powers of 1024), as an unsigned 32-bit number. */
export function parseSize(text: string): NumberParse {
  const bad = (c: string | undefined): NumberParse => ({ ok: false, error: 'char', char: c ?? '' });
  const first = text.charCodeAt(0);
  if (!(first >= 48 && first <= 57)) return bad(text[0]);
  let i = 0;
  let value = 0;
  while (i < text.length) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) break;
    if (value > Math.floor(0xffffffff / 10)) return bad(text[i]);
    value *= 10;
    if (value + d > 0xffffffff) return bad(text[i]);
    value += d;
    i++;
  }
  if (i < text.length) {
    const shift = { k: 10, K: 10, m: 20, M: 20, g: 30, G: 30 }[text[i] as string];
    if (shift === undefined) return bad(text[i]);
    if (value > 0xffffffff / 2 ** shift) return bad(text[i]);
    value *= 2 ** shift;
    if (i + 1 < text.length) return bad(text[i + 1]);
  }
  return { ok: true, value };
}

/** C's atoi: optional blanks and sign, then digits; 0 when there are none. */
function atoi(s: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(s);
  return m ? Number.parseInt(m[1] as string, 10) | 0 : 0;
}

interface Draft {
  type?: StickKeyType;
  keyLength: number;
  size: number;
  expire: number;
  nopurge: boolean;
  peers?: string;
  srvkey: 'name' | 'addr';
  store: Map<StickDataType, StickStoreSpec>;
  warnings: string[];
}

/** Adds one `store` item; returns an error message, or null. (HAProxy's stktable_alloc_data_type.) */
function addStore(
  d: Draft,
  kw: string,
  name: string,
  sa: string | undefined,
  sa2: string | undefined,
): string | null {
  const info = dataTypeInfo(name);
  if (!info) return `${kw}: unknown store option '${name}'.`;
  if (d.store.has(info.name)) {
    d.warnings.push(`${kw}: store option '${name}' already enabled, ignored.`);
    return null;
  }
  let elements = 1;
  let arg = sa;
  if (info.array) {
    if (arg === undefined) return `${kw}: missing argument to store option '${name}'.`;
    elements = atoi(arg);
    if (elements < 1 || elements > MAX_DATA_ARRAY)
      return `${kw}: array size is out of allowed range (1-${MAX_DATA_ARRAY}) for store option '${name}'.`;
    arg = sa2;
  }
  let period = 0;
  if (info.takesPeriod) {
    if (arg === undefined) return `${kw}: missing argument to store option '${name}'.`;
    const t = parseTime(arg);
    if (!t.ok) return `${kw}: error when processing store option '${name}'.`;
    period = t.value;
  } else if (arg !== undefined) return `${kw}: unexpected argument to store option '${name}'.`;
  d.store.set(info.name, { type: info.name, elements, period });
  return null;
}

/** Splits one `store` word (`a,b(x),c(x,y)`) as HAProxy does, storing each item. */
function parseStoreWord(d: Draft, kw: string, word: string): void {
  let i = 0;
  while (i < word.length) {
    const start = i;
    let name: string | undefined;
    let sa: string | undefined;
    let sa2: string | undefined;
    while (i < word.length && word[i] !== ',') {
      if (word[i] === '(') {
        name ??= word.slice(start, i);
        i++;
        const argStart = i;
        let sa2Start = -1;
        while (word[i] !== ')') {
          if (i >= word.length) fail(`${kw}: missing closing parenthesis after store option '${name}'.`);
          if (word[i] === ',') {
            // the first argument ends at the first comma, the second is whatever follows the last one
            if (sa2Start < 0) sa = word.slice(argStart, i);
            sa2Start = i + 1;
          }
          i++;
        }
        if (sa2Start < 0) sa = word.slice(argStart, i);
        else sa2 = word.slice(sa2Start, i);
      }
      i++;
    }
    // text after ')' and before ',' is ignored, as the C code had cut the name at '('
    name ??= word.slice(start, i);
    if (i < word.length) i++; // the comma
    const err = addStore(d, kw, name, sa, sa2);
    if (err) fail(err);
  }
}

/**
 * Parses the words after `stick-table` (`keyword` names the directive in messages:
 * `table` in a peers section). Throws StickError('HAP_ERR_STICK_PARSE') with HAProxy's
 * message when HAProxy would refuse the line.
 */
export function parseStickTable(words: readonly string[], keyword = 'stick-table'): StickTableSpec {
  const kw = keyword;
  const d: Draft = {
    keyLength: 0,
    size: 0,
    expire: 0,
    nopurge: false,
    srvkey: 'name',
    store: new Map(),
    warnings: [],
  };
  let idx = 0;
  const arg = (i: number) => words[i] ?? '';
  while (arg(idx) !== '') {
    const w = arg(idx);
    if (w === 'size') {
      idx++;
      if (arg(idx) === '') fail(`${kw}: missing argument after '${w}'.`);
      const r = parseSize(arg(idx));
      if (!r.ok)
        fail(`${kw}: unexpected character '${r.error === 'char' ? r.char : ''}' in argument of '${w}'.`);
      else d.size = r.value;
      idx++;
    } else if (w === 'peers' && keyword !== 'table') {
      idx++;
      if (arg(idx) === '') fail(`${kw}: missing argument after '${w}'.`);
      d.peers = arg(idx++);
    } else if (w === 'expire') {
      idx++;
      const v = arg(idx);
      if (v === '') fail(`${kw}: missing argument after '${w}'.`);
      const r = parseTime(v);
      if (!r.ok) {
        if (r.error === 'overflow')
          fail(
            `${kw}: timer overflow in argument <${v}> to <${w}>, maximum value is 2147483647 ms (~24.8 days).`,
          );
        if (r.error === 'underflow')
          fail(`${kw}: timer underflow in argument <${v}> to <${w}>, minimum non-null value is 1 ms.`);
        fail(`${kw}: unexpected character '${r.error === 'char' ? r.char : ''}' in argument of '${w}'.`);
      } else {
        if (r.warning) d.warnings.push(r.warning);
        d.expire = r.value;
      }
      idx++;
    } else if (w === 'nopurge') {
      d.nopurge = true;
      idx++;
    } else if (w === 'type') {
      idx++;
      const t = arg(idx);
      const type = STICK_KEY_TYPES.find((k) => k === t);
      if (!type) fail(`${kw}: unknown type '${t}'.`);
      else {
        idx++;
        d.type = type;
        d.keyLength = { ip: 4, ipv6: 16, integer: 4, string: 31, binary: 32 }[type];
        if ((type === 'string' || type === 'binary') && arg(idx) === 'len') {
          idx++;
          // atol: a length of 0 (or no number) makes the type unknown, naming the bad word
          const len = atoi(arg(idx));
          if (len <= 0) fail(`${kw}: unknown type '${arg(idx)}'.`);
          d.keyLength = len;
          idx++;
        }
      }
    } else if (w === 'store') {
      idx++;
      parseStoreWord(d, kw, arg(idx));
      idx++;
      const has = (t: StickDataType) => d.store.has(t);
      if (has('gpt') && has('gpt0'))
        fail(
          `${kw}: simultaneous usage of 'gpt' and 'gpt0' in a same table is not permitted as 'gpt' overrides 'gpt0'.`,
        );
      if (has('gpc') && (has('gpc0') || has('gpc1')))
        fail(
          `${kw}: simultaneous usage of 'gpc' and 'gpc[0/1]' in a same table is not permitted as 'gpc' overrides 'gpc[0/1]'.`,
        );
      if (has('gpc_rate') && (has('gpc0_rate') || has('gpc1_rate')))
        fail(
          `${kw}: simultaneous usage of 'gpc_rate' and 'gpc[0/1]_rate' in a same table is not permitted as 'gpc_rate' overrides 'gpc[0/1]_rate'.`,
        );
    } else if (w === 'srvkey') {
      idx++;
      const k = arg(idx);
      if (k !== 'name' && k !== 'addr') fail(`${kw} : unknown server key type '${k}'.`);
      else d.srvkey = k;
      idx++;
    } else {
      fail(`${kw}: unknown argument '${w}'.`);
    }
  }
  if (!d.size) fail(`${kw}: missing size.`);
  if (!d.type) fail(`${kw}: missing type.`);
  return finish(d);
}

function finish(d: Draft): StickTableSpec {
  const store = [...d.store.values()].sort(
    (a, b) => (dataTypeInfo(a.type)?.index ?? 0) - (dataTypeInfo(b.type)?.index ?? 0),
  );
  return {
    type: d.type as StickKeyType,
    keyLength: d.keyLength,
    size: d.size,
    expire: d.expire,
    nopurge: d.nopurge,
    ...(d.peers !== undefined ? { peers: d.peers } : {}),
    srvkey: d.srvkey,
    store,
    warnings: d.warnings,
  };
}

/**
 * The spec of a table that `stick on|match|store-*` rules name: HAProxy then stores
 * server_id and server_key in it whatever its `store` list says.
 */
export function withStickRules(spec: StickTableSpec): StickTableSpec {
  const store = new Map(spec.store.map((s) => [s.type, s]));
  for (const type of ['server_id', 'server_key'] as const)
    if (!store.has(type)) store.set(type, { type, elements: 1, period: 0 });
  return { ...spec, store: finish({ ...spec, store, warnings: [...spec.warnings] }).store };
}
