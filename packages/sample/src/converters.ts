// Converters (HAProxy manual 7.3.1), one table. Each receives its input already cast to
// its `in` type: str → string of bytes, bin → Buffer, sint → number, bool → boolean,
// addr → IpValue.
import { createHash, createHmac, getHashes } from 'node:crypto';
import { type ArgVal, argSpec, NO_ARGS } from './args.ts';
import { MORE_CONVERTERS } from './converters-more.ts';
import type { ConvDef } from './defs.ts';
import type { IpValue, SampleEnv } from './env.ts';
import { SampleError } from './errors.ts';
import { fullHash, hashCrc32, hashDjb2, hashSdbm, hashWt6, hashXxh32 } from './hash.ts';
import { andBytes, ipv4, ipv6, v6ToV4 } from './ip.ts';
import { MAP_CONVERTERS } from './map.ts';
import { compileRegex } from './pattern/regex.ts';
import { lowerAscii, upperAscii } from './text.ts';
import { cast, readInt64, SINT_MAX, SINT_MIN, sintBig, sintNum, sintOf, toStr } from './types.ts';
import { checkVarName, SET_VAR_CONDITIONS, setVarConditionsHold, varNameError } from './vars.ts';

function invalid(message: string): never {
  throw new SampleError('HAP_ERR_SAMPLE_SYNTAX', message);
}

/** A converter argument naming a variable ("txn.x"), kept apart from a literal. */
interface VarRef {
  readonly varName: string;
}

function isVarRef(a: ArgVal): a is VarRef {
  return typeof a === 'object' && a !== null && 'varName' in a;
}

function varArg(args: ArgVal[], i: number, message: (name: string) => string): void {
  const name = args[i] as string;
  if (varNameError(name) !== undefined) invalid(message(name));
  args[i] = { varName: name } satisfies VarRef;
}

/** add(), sub()…: an integer or a variable name (HAProxy's check_operator). */
function checkOperator(args: ArgVal[]): void {
  const s = args[0] as string;
  if (varNameError(s) === undefined) {
    args[0] = { varName: s } satisfies VarRef;
    return;
  }
  const r = readInt64(s);
  if (r.end < s.length) invalid('expects an integer or a variable name');
  args[0] = r.value;
}

type Sint = number | bigint;

function operand(a: ArgVal, env: SampleEnv): Sint | undefined {
  if (typeof a === 'number') return a;
  const v = env.vars.get((a as VarRef).varName);
  return v === undefined ? undefined : (cast(v, 'sint') as Sint | undefined);
}

// 64-bit two's complement where JS numbers would lose bits
const big = sintBig;
const fromBig = sintOf;

function arith(fn: (a: Sint, b: Sint) => Sint): ConvDef['fn'] {
  return (v, args, env) => {
    const b = operand(args[0], env);
    return b === undefined ? undefined : fn(v as Sint, b);
  };
}

const I64_MAX = 2n ** 63n - 1n;
const I64_MIN = -(2n ** 63n);

/**
 * HAProxy's capped addition, quirk included: two negative operands give the largest
 * positive value (its overflow test wraps), as HAProxy 2.6 computes it.
 */
function arithAdd(a: bigint, b: bigint): Sint {
  if ((a ^ b) >= 0n) {
    if (a < 0n && I64_MIN - a > b) return SINT_MIN;
    if (BigInt.asIntN(64, I64_MAX - a) < b) return SINT_MAX;
  }
  return fromBig(a + b);
}

function mul(a: Sint, b: Sint): Sint {
  if (a === 0 || b === 0) return 0;
  const r = big(a) * big(b);
  if (r > 2n ** 63n - 1n) return SINT_MAX;
  if (r < -(2n ** 63n)) return SINT_MIN;
  return fromBig(r);
}

function hashConv(name: string, h: (b: Uint8Array) => number): ConvDef {
  return {
    name,
    args: argSpec(0, 'sint'),
    in: 'bin',
    out: 'sint',
    fn: (v, args) => {
      const x = h(v as Buffer);
      return args[0] ? fullHash(x) : x;
    },
  };
}

let crc32cTable: Uint32Array | undefined;

function hashCrc32c(b: Uint8Array): number {
  if (!crc32cTable) {
    crc32cTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
      crc32cTable[n] = c >>> 0;
    }
  }
  let h = 0xffffffff;
  for (let i = 0; i < b.length; i++) h = crc32cTable[(h ^ b[i]!) & 0xff]! ^ (h >>> 8);
  return (h ^ 0xffffffff) >>> 0;
}

/** field(): HAProxy's loop, byte for byte (empty fields count, negative indexes from the end). */
function field(s: string, index: number, delims: string, count0: number): string | undefined {
  let count = count0;
  if (index < 0) {
    let f = -1;
    let end = s.length;
    let start = s.length;
    while (start > 0) {
      if (delims.includes(s[start - 1]!)) {
        if (f === index) {
          if (count === 1) return s.slice(start, end);
          if (count > 1) count--;
        } else {
          end = start - 1;
          f--;
        }
      }
      start--;
    }
    return f === index ? s.slice(start, end) : undefined;
  }
  let f = 1;
  let start = 0;
  let end = 0;
  while (end < s.length) {
    if (delims.includes(s[end]!)) {
      if (f === index) {
        if (count === 1) return s.slice(start, end);
        if (count > 1) count--;
      } else {
        start = end + 1;
        f++;
      }
    }
    end++;
  }
  return f === index ? s.slice(start, end) : undefined;
}

/** word(): words are runs of non-delimiters; an index past the last gives an empty string. */
function word(s: string, index: number, delims: string, count0: number): string {
  let count = count0;
  let w = 0;
  let inword = false;
  if (index < 0) {
    let end = s.length;
    let start = s.length;
    while (start > 0) {
      const sep = delims.includes(s[start - 1]!);
      if (!inword) {
        if (!sep) {
          if (w !== index) {
            w--;
            end = start;
          }
          inword = true;
        }
      } else if (sep) {
        if (w === index) {
          if (count === 1) return s.slice(start, end);
          if (count > 1) count--;
        }
        inword = false;
      }
      start--;
    }
    return w === index ? s.slice(start, end) : '';
  }
  let start = 0;
  let end = 0;
  while (end < s.length) {
    const sep = delims.includes(s[end]!);
    if (!inword) {
      if (!sep) {
        if (w !== index) {
          w++;
          start = end;
        }
        inword = true;
      }
    } else if (sep) {
      if (w === index) {
        if (count === 1) return s.slice(start, end);
        if (count > 1) count--;
      }
      inword = false;
    }
    end++;
  }
  return w === index ? s.slice(start, end) : '';
}

function checkField(args: ArgVal[]): void {
  if (args[0] === 0) invalid('Unexpected value 0 for index');
  if ((args[1] as string).length === 0) invalid('Empty separators list');
}

/** HAProxy's utf8_next: the code point, bytes used, and OK / overlong / bad / out-of-range. */
function utf8Next(
  b: string,
  i: number,
): { c: number; len: number; bad: boolean; overlong: boolean; range: boolean } {
  const p = b.charCodeAt(i);
  const left = b.length - i;
  let dec: number;
  let c: number;
  if (p < 0x80) return { c: p, len: 1, bad: false, overlong: false, range: false };
  if (p < 0xc0 || p >= 0xfe) return { c: p, len: 1, bad: true, overlong: false, range: false };
  if (p < 0xe0) [c, dec] = [p & 0x1f, 1];
  else if (p < 0xf0) [c, dec] = [p & 0x0f, 2];
  else if (p < 0xf8) [c, dec] = [p & 0x07, 3];
  else if (p < 0xfc) [c, dec] = [p & 0x03, 4];
  else [c, dec] = [p & 0x01, 5];
  if (left < dec + 1) return { c: p, len: 1, bad: true, overlong: false, range: false };
  let j = i + 1;
  for (; dec > 0; dec--, j++) {
    const x = b.charCodeAt(j);
    if ((x & 0xc0) !== 0x80) return { c, len: j - i, bad: true, overlong: false, range: false };
    c = c * 64 + (x & 0x3f);
  }
  const n = j - i;
  const overlong =
    (c <= 0x7f && n > 1) ||
    (c >= 0x80 && c <= 0x7ff && n > 2) ||
    (c >= 0x800 && c <= 0xffff && n > 3) ||
    (c >= 0x10000 && c <= 0x1fffff && n > 4);
  const range = (c >= 0xd800 && c <= 0xdfff) || (c >= 0xfffe && c <= 0xffff);
  return { c, len: n, bad: false, overlong, range };
}

const JSON_MODES = ['ascii', 'utf8', 'utf8s', 'utf8p', 'utf8ps'];

function json(s: string, mode: string): string | undefined {
  let out = '';
  for (let i = 0; i < s.length; ) {
    let c: number;
    if (mode === 'ascii') {
      c = s.charCodeAt(i);
      i++;
    } else {
      const u = utf8Next(s, i);
      i += u.len;
      c = u.c;
      const error = u.bad || u.range;
      if (mode === 'utf8' && (error || u.overlong)) return undefined;
      if (mode === 'utf8s' && (error || u.overlong)) continue;
      if (mode === 'utf8p' && error) return undefined;
      if (mode === 'utf8ps' && error) continue;
      if (c > 0xffff) {
        if (mode === 'utf8' || mode === 'utf8p') return undefined;
        continue;
      }
    }
    switch (c) {
      case 0x22:
        out += '\\"';
        break;
      case 0x5c:
        out += '\\\\';
        break;
      case 0x2f:
        out += '\\/';
        break;
      case 0x08:
        out += '\\b';
        break;
      case 0x0c:
        out += '\\f';
        break;
      case 0x0d:
        out += '\\r';
        break;
      case 0x0a:
        out += '\\n';
        break;
      case 0x09:
        out += '\\t';
        break;
      default:
        out +=
          c > 0xff || c < 0x20 || c > 0x7e ? `\\u${c.toString(16).padStart(4, '0')}` : String.fromCharCode(c);
    }
  }
  return out;
}

/** HAProxy's url_decode: '+' is a space in a form or after '?', a bad %XX fails. */
function urlDecode(s: string, inForm0: boolean): string | undefined {
  let inForm = inForm0;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\0') break;
    if (c === '+') out += inForm ? ' ' : '+';
    else if (c === '%') {
      const h = s.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(h)) return undefined;
      out += String.fromCharCode(Number.parseInt(h, 16));
      i += 2;
    } else {
      if (c === '?') inForm = true;
      out += c;
    }
  }
  return out;
}

function urlEncode(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const keep =
      (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || '-._~'.includes(s[i]!);
    out += keep ? s[i] : `%${c.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** regsub(): HAProxy's substitution string (\0…\9 groups, \xHH bytes, \c literal). */
function expReplace(subst: string, m: RegExpExecArray): string {
  let out = '';
  for (let i = 0; i < subst.length; i++) {
    const c = subst[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const n = subst[++i];
    if (n === undefined) break;
    if (n >= '0' && n <= '9') out += m[Number(n)] ?? '';
    else if (n === 'x') {
      const h = subst.slice(i + 1, i + 3);
      out += String.fromCharCode(Number.parseInt(h, 16) & 0xff);
      i += 2;
    } else out += n;
  }
  return out;
}

interface RegsubArg {
  re: RegExp;
  global: boolean;
}

function regsub(s: string, arg: RegsubArg, subst: string): string {
  const re = arg.re;
  let out = '';
  let pos = 0;
  let first = true;
  while (first || arg.global) {
    re.lastIndex = pos;
    const m = re.exec(s);
    // HAProxy matches the rest as a new subject: ^ only anchors at the very start
    if (!m || (!first && m.index < pos)) break;
    out += s.slice(pos, m.index) + expReplace(subst, m);
    let next = m.index + m[0].length;
    if (m[0].length === 0) {
      if (next < s.length) out += s[next];
      next++;
    }
    pos = next;
    first = false;
    if (pos > s.length) return out;
  }
  return out + s.slice(pos);
}

function trimSet(s: string, chars: string, left: boolean): string {
  if (left) {
    let i = 0;
    while (i < s.length && chars.includes(s[i]!)) i++;
    return s.slice(i);
  }
  let e = s.length;
  while (e > 0 && chars.includes(s[e - 1]!)) e--;
  return s.slice(0, e);
}

function hostOnly(s: string): string {
  let p = s.length - 1;
  for (; p >= 0; p--) if (s[p] === ':' || s[p] === ']') break;
  return lowerAscii(p >= 0 && s[p] === ':' ? s.slice(0, p) : s);
}

function portOnly(s: string): number {
  let p = s.length - 1;
  for (; p >= 0; p--) if (s[p] === ':' || s[p] === ']') break;
  if (p < 0 || s[p] !== ':' || p + 1 >= s.length) return 0;
  // strl2ui: digits, wrapping at 32 bits
  let n = 0;
  for (let i = p + 1; i < s.length; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) break;
    n = (Math.imul(n, 10) + d) >>> 0;
  }
  return n;
}

function digestName(bits: number): string {
  return `sha${bits}`;
}

const HTTP_DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const HTTP_MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function httpDate(sec: number): string {
  const d = new Date(sec * 1000);
  const p2 = (n: number) => String(n).padStart(2, '0');
  return (
    `${HTTP_DAYS[d.getUTCDay()]}, ${p2(d.getUTCDate())} ${HTTP_MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ` +
    `${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} GMT`
  );
}

const BASE_CONVERTERS: readonly ConvDef[] = [
  { name: 'lower', args: NO_ARGS, in: 'str', out: 'str', fn: (v) => lowerAscii(v as string) },
  { name: 'upper', args: NO_ARGS, in: 'str', out: 'str', fn: (v) => upperAscii(v as string) },
  { name: 'length', args: NO_ARGS, in: 'str', out: 'sint', fn: (v) => (v as string).length },
  { name: 'base64', args: NO_ARGS, in: 'bin', out: 'str', fn: (v) => (v as Buffer).toString('base64') },
  { name: 'ub64enc', args: NO_ARGS, in: 'bin', out: 'str', fn: (v) => (v as Buffer).toString('base64url') },
  {
    name: 'b64dec',
    args: NO_ARGS,
    in: 'str',
    out: 'bin',
    fn: (v) => {
      const s = v as string;
      // HAProxy's base64dec: groups of 4 characters, '=' padding only at the end
      if (s.length % 4 || !/^[A-Za-z0-9+/]*={0,2}$/.test(s)) return undefined;
      return Buffer.from(s, 'base64');
    },
  },
  {
    name: 'ub64dec',
    args: NO_ARGS,
    in: 'str',
    out: 'bin',
    fn: (v) => {
      const s = v as string;
      // HAProxy reads '=' as the alphabet's last value (63) rather than as padding: "aGk=" gives "hi?"
      if (s.length % 4 === 1 || !/^[A-Za-z0-9_=-]*$/.test(s)) return undefined;
      return Buffer.from(s.replaceAll('=', '_'), 'base64url');
    },
  },
  {
    name: 'hex',
    args: NO_ARGS,
    in: 'bin',
    out: 'str',
    fn: (v) => (v as Buffer).toString('hex').toUpperCase(),
  },
  {
    name: 'hex2i',
    args: NO_ARGS,
    in: 'str',
    out: 'sint',
    fn: (v) => {
      const s = v as string;
      if (!/^[0-9A-Fa-f]*$/.test(s)) return undefined;
      return s.length === 0 ? 0 : fromBig(BigInt.asIntN(64, BigInt(`0x${s}`)));
    },
  },
  {
    name: 'json',
    args: argSpec(1, 'str'),
    in: 'str',
    out: 'str',
    check: (a) => {
      const m = (a[0] as string) || 'ascii';
      if (!JSON_MODES.includes(m)) {
        invalid(
          "Unexpected input code type. Allowed value are 'ascii', 'utf8', 'utf8s', 'utf8p' and 'utf8ps'",
        );
      }
      a[0] = m;
    },
    fn: (v, a) => json(v as string, a[0] as string),
  },
  {
    name: 'field',
    args: argSpec(2, 'sint', 'str', 'sint'),
    in: 'str',
    out: 'str',
    check: checkField,
    fn: (v, a) => field(v as string, a[0] as number, a[1] as string, (a[2] as number | undefined) ?? 1),
  },
  {
    name: 'word',
    args: argSpec(2, 'sint', 'str', 'sint'),
    in: 'str',
    out: 'str',
    check: checkField,
    fn: (v, a) => word(v as string, a[0] as number, a[1] as string, (a[2] as number | undefined) ?? 1),
  },
  {
    name: 'bytes',
    args: argSpec(1, 'sint', 'sint'),
    in: 'bin',
    out: 'bin',
    fn: (v, a) => {
      const b = v as Buffer;
      const off = a[0] as number;
      if (b.length <= off) return b.subarray(0, 0);
      const rest = b.subarray(off);
      const len = a[1] as number | undefined;
      return len !== undefined && len < rest.length ? rest.subarray(0, Math.max(0, len)) : rest;
    },
  },
  {
    name: 'ipmask',
    args: argSpec(1, 'msk4', 'msk6'),
    in: 'addr',
    out: 'ipv4',
    fn: (v, a) => {
      let ip = v as IpValue;
      if (ip.kind === 'ipv6') {
        const b4 = v6ToV4(ip.bytes);
        if (b4) ip = ipv4(b4);
      }
      if (ip.kind === 'ipv4') return ipv4(andBytes(ip.bytes, (a[0] as IpValue).bytes));
      const m6 = a[1] as IpValue | undefined;
      return m6 ? ipv6(andBytes(ip.bytes, m6.bytes)) : undefined;
    },
  },
  {
    name: 'url_dec',
    args: argSpec(0, 'sint'),
    in: 'str',
    out: 'str',
    fn: (v, a) => urlDecode(v as string, !!a[0]),
  },
  {
    name: 'url_enc',
    args: argSpec(1, 'str'),
    in: 'str',
    out: 'str',
    check: (a) => {
      if (a[0] !== 'query' && a[0] !== '') invalid(`Unexpected encode type. Allowed value is 'query'`);
    },
    fn: (v) => urlEncode(v as string),
  },
  {
    name: 'concat',
    args: argSpec(1, 'str', 'str', 'str'),
    in: 'str',
    out: 'str',
    check: (a) => {
      if (typeof a[1] === 'string' && a[1].length > 0)
        varArg(a, 1, (n) => `failed to register variable name '${n}'`);
    },
    fn: (v, a, env) => {
      let s = (v as string) + ((a[0] as string | undefined) ?? '');
      if (isVarRef(a[1])) {
        const x = env.vars.get(a[1].varName);
        if (x !== undefined) s += toStr(x);
      }
      return s + ((a[2] as string | undefined) ?? '');
    },
  },
  {
    name: 'add_item',
    args: argSpec(2, 'str', 'str', 'str'),
    in: 'str',
    out: 'str',
    check: (a) => {
      if (typeof a[1] === 'string' && a[1].length > 0)
        varArg(a, 1, (n) => `failed to register variable name '${n}'`);
      else if (!a[2]) invalid('one of the optional arguments has to be nonempty');
    },
    fn: (v, a, env) => {
      const s = v as string;
      const x = isVarRef(a[1]) ? env.vars.get(a[1].varName) : undefined;
      const xs = x === undefined ? undefined : toStr(x);
      const suffix = (a[2] as string | undefined) ?? '';
      const delim =
        s.length > 0 && ((xs !== undefined && xs.length > 0) || suffix.length > 0) ? (a[0] as string) : '';
      return s + delim + (xs ?? '') + suffix;
    },
  },
  {
    name: 'add',
    args: argSpec(1, 'str'),
    in: 'sint',
    out: 'sint',
    check: checkOperator,
    fn: arith((a, b) => arithAdd(big(a), big(b))),
  },
  {
    name: 'sub',
    args: argSpec(1, 'str'),
    in: 'sint',
    out: 'sint',
    check: checkOperator,
    fn: arith((a, b) => {
      const bb = big(b);
      if (bb === I64_MIN) {
        const r = arithAdd(big(a), I64_MAX);
        return r < SINT_MAX ? fromBig(big(r) + 1n) : r;
      }
      return arithAdd(big(a), -bb);
    }),
  },
  { name: 'mul', args: argSpec(1, 'str'), in: 'sint', out: 'sint', check: checkOperator, fn: arith(mul) },
  {
    name: 'div',
    args: argSpec(1, 'str'),
    in: 'sint',
    out: 'sint',
    check: checkOperator,
    fn: arith((a, b) => {
      if (b === 0) return SINT_MAX;
      if (a <= SINT_MIN && b === -1) return SINT_MAX;
      return fromBig(big(a) / big(b));
    }),
  },
  {
    name: 'mod',
    args: argSpec(1, 'str'),
    in: 'sint',
    out: 'sint',
    check: checkOperator,
    fn: arith((a, b) => (b === 0 || (a <= SINT_MIN && b === -1) ? 0 : fromBig(big(a) % big(b)))),
  },
  {
    name: 'and',
    args: argSpec(1, 'str'),
    in: 'sint',
    out: 'sint',
    check: checkOperator,
    fn: arith((a, b) => fromBig(big(a) & big(b))),
  },
  {
    name: 'or',
    args: argSpec(1, 'str'),
    in: 'sint',
    out: 'sint',
    check: checkOperator,
    fn: arith((a, b) => fromBig(big(a) | big(b))),
  },
  {
    name: 'xor',
    args: argSpec(1, 'str'),
    in: 'sint',
    out: 'sint',
    check: checkOperator,
    fn: arith((a, b) => fromBig(big(a) ^ big(b))),
  },
  {
    name: 'neg',
    args: NO_ARGS,
    in: 'sint',
    out: 'sint',
    fn: (v) => {
      const n = v as Sint;
      if (typeof n === 'bigint') return fromBig(-n);
      return n <= SINT_MIN ? SINT_MAX : n >= SINT_MAX ? SINT_MIN + 1 : -n;
    },
  },
  { name: 'cpl', args: NO_ARGS, in: 'sint', out: 'sint', fn: (v) => fromBig(~big(v as number)) },
  { name: 'bool', args: NO_ARGS, in: 'sint', out: 'bool', fn: (v) => (v as number) !== 0 },
  { name: 'not', args: NO_ARGS, in: 'sint', out: 'bool', fn: (v) => (v as number) === 0 },
  { name: 'odd', args: NO_ARGS, in: 'sint', out: 'bool', fn: (v) => (big(v as number) & 1n) === 1n },
  { name: 'even', args: NO_ARGS, in: 'sint', out: 'bool', fn: (v) => (big(v as number) & 1n) === 0n },
  {
    name: 'iif',
    args: argSpec(2, 'str', 'str'),
    in: 'bool',
    out: 'str',
    fn: (v, a) => (v ? (a[0] as string) : (a[1] as string)),
  },
  {
    name: 'strcmp',
    args: argSpec(1, 'str'),
    in: 'str',
    out: 'sint',
    check: (a) => varArg(a, 0, (n) => `failed to register variable name '${n}'`),
    fn: (v, a, env) => {
      const x = env.vars.get((a[0] as VarRef).varName);
      if (x === undefined) return undefined;
      const l = v as string;
      const r = toStr(x);
      const n = Math.min(l.length, r.length);
      for (let i = 0; i < n; i++) {
        const d = l.charCodeAt(i) - r.charCodeAt(i);
        if (d !== 0) return d;
        if (l.charCodeAt(i) === 0) return 0; // strncmp stops at NUL
      }
      return l.length === r.length ? 0 : l.length < r.length ? -1 : 1;
    },
  },
  {
    name: 'secure_memcmp',
    args: argSpec(1, 'str'),
    in: 'bin',
    out: 'bool',
    check: (a) => varArg(a, 0, (n) => `failed to register variable name '${n}'`),
    fn: (v, a, env) => {
      const x = env.vars.get((a[0] as VarRef).varName);
      if (x === undefined) return undefined;
      const r = cast(x, 'bin') as Buffer | undefined;
      if (!r) return undefined;
      const l = v as Buffer;
      if (l.length !== r.length) return false;
      let d = 0;
      for (let i = 0; i < l.length; i++) d |= l[i]! ^ r[i]!;
      return d === 0;
    },
  },
  {
    name: 'ltrim',
    args: argSpec(1, 'str'),
    in: 'str',
    out: 'str',
    fn: (v, a) => trimSet(v as string, a[0] as string, true),
  },
  {
    name: 'rtrim',
    args: argSpec(1, 'str'),
    in: 'str',
    out: 'str',
    fn: (v, a) => trimSet(v as string, a[0] as string, false),
  },
  {
    name: 'cut_crlf',
    args: NO_ARGS,
    in: 'str',
    out: 'str',
    fn: (v) => {
      const s = v as string;
      const i = s.search(/[\r\n]/);
      return i < 0 ? s : s.slice(0, i);
    },
  },
  {
    name: 'regsub',
    args: argSpec(2, 'reg', 'str', 'str'),
    in: 'str',
    out: 'str',
    check: (a) => {
      const flags = (a[2] as string | undefined) ?? '';
      for (const f of flags)
        if (f !== 'i' && f !== 'g') invalid(`invalid regex flag '${f}', only 'i' and 'g' are supported`);
      const arg: RegsubArg = {
        re: compileRegex(a[0] as string, flags.includes('i'), true),
        global: flags.includes('g'),
      };
      a[0] = arg;
    },
    fn: (v, a) => regsub(v as string, a[0] as RegsubArg, a[1] as string),
  },
  hashConv('djb2', hashDjb2),
  hashConv('sdbm', hashSdbm),
  hashConv('wt6', hashWt6),
  hashConv('crc32', hashCrc32),
  hashConv('crc32c', hashCrc32c),
  {
    name: 'xxh32',
    args: argSpec(0, 'sint'),
    in: 'bin',
    out: 'sint',
    fn: (v, a) => hashXxh32(v as Buffer, Number(BigInt.asUintN(32, big((a[0] as number | undefined) ?? 0)))),
  },
  {
    name: 'sha1',
    args: NO_ARGS,
    in: 'bin',
    out: 'bin',
    fn: (v) =>
      createHash('sha1')
        .update(v as Buffer)
        .digest(),
  },
  {
    name: 'sha2',
    args: argSpec(0, 'sint'),
    in: 'bin',
    out: 'bin',
    check: (a) => {
      const bits = (a[0] as number | undefined) ?? 256;
      if (![224, 256, 384, 512].includes(bits)) invalid(`Unsupported number of bits: '${bits}'.`);
      a[0] = bits;
    },
    fn: (v, a) =>
      createHash(digestName(a[0] as number))
        .update(v as Buffer)
        .digest(),
  },
  {
    name: 'digest',
    args: argSpec(1, 'str'),
    in: 'bin',
    out: 'bin',
    check: (a) => {
      if (!getHashes().includes((a[0] as string).toLowerCase()))
        invalid(`couldn't get message digest '${a[0]}'`);
    },
    fn: (v, a) =>
      createHash((a[0] as string).toLowerCase())
        .update(v as Buffer)
        .digest(),
  },
  {
    name: 'hmac',
    args: argSpec(2, 'str', 'str'),
    in: 'bin',
    out: 'bin',
    check: (a) => {
      if (!getHashes().includes((a[0] as string).toLowerCase()))
        invalid(`couldn't get message digest '${a[0]}'`);
      if (varNameError(a[1] as string) === undefined) a[1] = { varName: a[1] as string } satisfies VarRef;
    },
    fn: (v, a, env) => {
      let key: string | undefined;
      if (isVarRef(a[1])) {
        const x = env.vars.get(a[1].varName);
        key = x === undefined ? undefined : toStr(x);
      } else key = a[1] as string;
      if (key === undefined) return undefined;
      return createHmac((a[0] as string).toLowerCase(), Buffer.from(key, 'base64'))
        .update(v as Buffer)
        .digest();
    },
  },
  {
    name: 'htonl',
    args: NO_ARGS,
    in: 'sint',
    out: 'bin',
    fn: (v) => {
      const b = Buffer.alloc(4);
      b.writeUInt32BE(Number(BigInt.asUintN(32, big(v as number))));
      return b;
    },
  },
  {
    name: 'http_date',
    args: argSpec(0, 'sint', 'str'),
    in: 'sint',
    out: 'str',
    check: (a) => {
      if (a[1] !== undefined && a[1] !== 's' && a[1] !== 'ms' && a[1] !== 'us')
        invalid(`expects 's', 'ms' or 'us', got '${String(a[1])}'`);
    },
    fn: (v, a) => {
      const unit = (a[1] as string | undefined) ?? 's';
      const t = sintNum(v as Sint) + ((a[0] as number | undefined) ?? 0);
      const sec = unit === 'ms' ? Math.floor(t / 1000) : unit === 'us' ? Math.floor(t / 1e6) : t;
      return httpDate(sec);
    },
  },
  { name: 'host_only', args: NO_ARGS, in: 'str', out: 'str', fn: (v) => hostOnly(v as string) },
  { name: 'port_only', args: NO_ARGS, in: 'str', out: 'sint', fn: (v) => portOnly(v as string) },
  {
    name: 'nbsrv',
    args: NO_ARGS,
    in: 'str',
    out: 'sint',
    fn: (v, _a, env) => env.world.nbsrv(v as string),
  },
  {
    name: 'set-var',
    args: argSpec(1, 'str', 'str', 'str', 'str', 'str'),
    in: 'any',
    out: 'any',
    check: (a) => {
      checkVarName(a[0] as string);
      for (let i = 1; i < a.length; i++) {
        const c = a[i];
        if (c !== undefined && !SET_VAR_CONDITIONS.includes(c as string))
          invalid(`unknown condition "${String(c)}"`);
      }
    },
    fn: (v, a, env) => {
      const name = a[0] as string;
      // the sample goes on only when every condition holds
      if (!setVarConditionsHold(a.slice(1), env.vars.get(name), v)) return undefined;
      env.vars.set(name, v);
      return v;
    },
  },
  {
    name: 'unset-var',
    args: argSpec(1, 'str'),
    in: 'any',
    out: 'any',
    check: (a) => checkVarName(a[0] as string),
    fn: (v, a, env) => {
      env.vars.unset(a[0] as string);
      return v;
    },
  },
  // debug(): passes the sample through; haproxyd has no event sinks to send it to
  { name: 'debug', args: argSpec(0, 'str', 'str'), in: 'any', out: 'any', fn: (v) => v },
  {
    name: 'be2hex',
    args: argSpec(1, 'str', 'sint', 'sint'),
    in: 'bin',
    out: 'str',
    fn: (v, a) => be2(v as Buffer, a, (chunk) => chunk.toString('hex').toUpperCase()),
  },
  {
    name: 'be2dec',
    args: argSpec(1, 'str', 'sint', 'sint'),
    in: 'bin',
    out: 'str',
    check: (a) => {
      const n = a[1] as number | undefined;
      if (n === undefined || n < 1 || n > 8) invalid('Chunk size must be in 1..8 range.');
    },
    fn: (v, a) => be2(v as Buffer, a, (chunk) => BigInt(`0x${chunk.toString('hex') || '0'}`).toString()),
  },
];

function be2(b: Buffer, a: readonly ArgVal[], fmt: (chunk: Buffer) => string): string {
  const sep = (a[0] as string | undefined) ?? '';
  const size = (a[1] as number | undefined) || b.length || 1;
  const truncate = !!a[2];
  let out = '';
  for (let i = 0; i < b.length; i += size) {
    const chunk = b.subarray(i, i + size);
    if (truncate && chunk.length < size) break;
    out += (i === 0 ? '' : sep) + fmt(chunk);
  }
  return out;
}

export const CONVERTER_DEFS: readonly ConvDef[] = [...BASE_CONVERTERS, ...MAP_CONVERTERS, ...MORE_CONVERTERS];
