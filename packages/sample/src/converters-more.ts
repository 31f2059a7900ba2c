// More converters (HAProxy manual 7.3.1): 64-bit hashes, dates as text, JSON queries, a
// server's queue, and the stick-table converters.
import { argSpec, NO_ARGS } from './args.ts';
import type { ConvDef } from './defs.ts';
import type { SampleValue } from './env.ts';
import { SampleError } from './errors.ts';
import { STICK_CONV_DEFS, STICK_TIME_CONV_DEFS } from './fetch/stick.ts';
import { hashXxh3, hashXxh64 } from './hash.ts';
import { formatG, jsonFind, jsonStrtod, jsonUnescape } from './json-query.ts';
import { strftime } from './strftime.ts';
import { sintBig, sintOf } from './types.ts';

function invalid(message: string): never {
  throw new SampleError('HAP_ERR_SAMPLE_SYNTAX', message);
}

function hash64(name: string, h: (b: Uint8Array, seed: bigint) => bigint): ConvDef {
  return {
    name,
    args: argSpec(0, 'sint'),
    in: 'bin',
    out: 'sint',
    // the unsigned result is stored as a signed 64-bit integer
    fn: (v, a) => sintOf(BigInt.asIntN(64, h(v as Buffer, sintBig((a[0] as number | undefined) ?? 0)))),
  };
}

/** ltime/utime(<format>[,<offset>]): the date in seconds, printed by strftime. */
function timeConv(name: string, utc: boolean): ConvDef {
  return {
    name,
    args: argSpec(1, 'str', 'sint'),
    in: 'sint',
    out: 'str',
    fn: (v, a) => {
      // HAProxy keeps 55 bits so that large values do not go negative
      let t = Number(sintBig(v as number | bigint) & 0x007fffffffffffffn);
      t += (a[1] as number | undefined) ?? 0;
      return strftime(a[0] as string, t, utc);
    },
  };
}

const JSON_INT_MAX = 2 ** 53 - 1;

/** strtoll(token, NULL, 0): decimal, 0x hexadecimal or 0 octal, up to the first other character. */
function strtoll0(s: string): number | undefined {
  const m = /^\s*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)?/.exec(s);
  const body = m?.[2];
  if (!m || body === undefined) return 0;
  const neg = m[1] === '-';
  let v: bigint;
  if (/^0[xX]/.test(body)) v = BigInt(body);
  else if (body.length > 1 && body[0] === '0') v = BigInt(`0o${body.slice(1)}`);
  else v = BigInt(body);
  if (neg) v = -v;
  if (v > 2n ** 63n - 1n) v = 2n ** 63n - 1n;
  if (v < -(2n ** 63n)) v = -(2n ** 63n);
  const n = Number(v);
  return n < -JSON_INT_MAX || n > JSON_INT_MAX ? undefined : n;
}

function jsonQuery(v: SampleValue, path: string, asInt: boolean): SampleValue | undefined {
  const s = v as string;
  const t = jsonFind(s, path);
  switch (t.tok) {
    case 'number': {
      const text = s.slice(t.start, t.start + t.len);
      if (asInt) return strtoll0(text);
      return formatG(jsonStrtod(text, 0).value);
    }
    case 'true':
      return true;
    case 'false':
      return false;
    case 'string':
      return jsonUnescape(s.slice(t.start + 1, t.start + t.len - 1));
    default:
      return undefined;
  }
}

export const MORE_CONVERTERS: readonly ConvDef[] = [
  hash64('xxh64', hashXxh64),
  hash64('xxh3', hashXxh3),
  timeConv('ltime', false),
  timeConv('utime', true),
  {
    name: 'json_query',
    args: argSpec(1, 'str', 'str'),
    in: 'str',
    out: 'any',
    check: (a) => {
      if ((a[0] as string).length === 0) invalid('json_path must not be empty');
      const t = a[1] as string | undefined;
      if (t !== undefined && t !== '') {
        if (t !== 'int') invalid('output_type only supports "int" as argument');
        a[1] = true;
      } else a[1] = false;
    },
    fn: (v, a) => jsonQuery(v, a[0] as string, a[1] as boolean),
  },
  {
    name: 'srv_queue',
    args: NO_ARGS,
    in: 'str',
    out: 'sint',
    fn: (v, _a, env) => {
      const s = v as string;
      const slash = s.indexOf('/');
      const be = slash < 0 ? (env.backend ?? env.frontend) : s.slice(0, slash);
      return env.world.serverQueue?.(be, slash < 0 ? s : s.slice(slash + 1));
    },
  },
  ...STICK_CONV_DEFS,
  ...STICK_TIME_CONV_DEFS,
];
