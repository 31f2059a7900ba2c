// Arguments of fetches and converters, between parentheses: `name(a,b)`. HAProxy's rules:
// commas and ')' end an argument unless quoted ('…' or "…"), backslash escapes \\ \' \"
// and space, \r \n \t are control characters, an empty argument after a comma exists.

import type { IpValue } from './env.ts';
import { SampleError } from './errors.ts';
import { ipv4, ipv6, parseIpv4Strict, parseIpv6, parseMask4, parseMask6 } from './ip.ts';
import { readInt64 } from './types.ts';

/** Argument types as HAProxy names them in its messages. */
export type ArgType =
  | 'str'
  | 'sint'
  | 'ipv4'
  | 'ipv6'
  | 'msk4'
  | 'msk6'
  | 'be'
  | 'fe'
  | 'srv'
  | 'tab'
  | 'usr'
  | 'reg';

const TYPE_NAMES: Readonly<Record<ArgType | 'stop', string>> = {
  stop: 'end of arguments',
  str: 'string',
  sint: 'integer',
  ipv4: 'IPv4 address',
  ipv6: 'IPv6 address',
  msk4: 'IPv4 mask',
  msk6: 'IPv6 mask',
  be: 'backend',
  fe: 'frontend',
  srv: 'server',
  tab: 'table',
  usr: 'user list',
  reg: 'regex',
};

/** A parsed argument; checks may replace it with a compiled form (a RegExp, a map…). */
export type ArgVal = string | number | bigint | boolean | IpValue | undefined | object;

export interface ArgSpec {
  readonly types: readonly ArgType[];
  /** How many are mandatory. */
  readonly min: number;
}

const STRINGLY: ReadonlySet<ArgType> = new Set(['str', 'be', 'fe', 'srv', 'tab', 'usr', 'reg']);

export const NO_ARGS: ArgSpec = { types: [], min: 0 };

export function argSpec(min: number, ...types: ArgType[]): ArgSpec {
  return { types, min };
}

function typeName(spec: ArgSpec, pos: number): string {
  const t = spec.types[pos];
  return TYPE_NAMES[t ?? 'stop'];
}

function convert(raw: string, type: ArgType, spec: ArgSpec, pos: number): ArgVal {
  const bad = (): never => {
    throw new SampleError(
      'HAP_ERR_SAMPLE_SYNTAX',
      `failed to parse '${raw}' as type '${typeName(spec, pos)}' at position ${pos + 1}`,
    );
  };
  const empty = (): never => {
    throw new SampleError(
      'HAP_ERR_SAMPLE_SYNTAX',
      `expected type '${typeName(spec, pos)}' at position ${pos + 1}, but got nothing`,
    );
  };
  switch (type) {
    case 'sint': {
      if (raw === '') empty();
      const r = readInt64(raw);
      if (r.end < raw.length) bad();
      return r.value;
    }
    case 'ipv4': {
      if (raw === '') empty();
      const b = parseIpv4Strict(raw);
      return b ? ipv4(b) : bad();
    }
    case 'ipv6': {
      if (raw === '') empty();
      const b = parseIpv6(raw);
      return b ? ipv6(b) : bad();
    }
    case 'msk4': {
      if (raw === '') empty();
      const b = parseMask4(raw);
      return b ? ipv4(b) : bad();
    }
    case 'msk6': {
      if (raw === '') empty();
      const b = parseMask6(raw);
      return b ? ipv6(b) : bad();
    }
    default:
      return raw;
  }
}

/**
 * Parses the arguments starting at `text[start]` (a '(' or not: no arguments then).
 * Returns them (undefined for the optional ones absent), their count and where parsing
 * stopped (after the ')').
 */
export function parseArgs(
  text: string,
  start: number,
  spec: ArgSpec,
): { args: ArgVal[]; count: number; end: number } {
  const args: ArgVal[] = new Array(spec.types.length).fill(undefined);
  let i = start;
  const hasParen = text.charCodeAt(i) === 40;
  if (!hasParen) {
    if (spec.min > 0) {
      if (spec.types.length === 0) return { args, count: 0, end: i };
      // an absent list is one empty argument when one is mandatory
      const v = convert('', spec.types[0]!, spec, 0);
      args[0] = v;
      if (spec.min > 1) missing(spec, 1);
      return { args, count: 1, end: i };
    }
    return { args, count: 0, end: i };
  }
  i++;
  let pos = 0;
  const nb = spec.types.length;
  if (nb > 0) {
    for (;;) {
      let raw = '';
      let sq = false;
      let dq = false;
      while (i < text.length) {
        const c = text[i]!;
        if (c === '"' && !sq) {
          dq = !dq;
          i++;
        } else if (c === "'" && !dq) {
          sq = !sq;
          i++;
        } else if (c === '\\' && !sq && i + 1 < text.length) {
          const n = text[i + 1]!;
          if (n === '\\' || n === ' ' || n === '"' || n === "'") {
            raw += n;
            i += 2;
          } else if (n === 'r') {
            raw += '\r';
            i += 2;
          } else if (n === 'n') {
            raw += '\n';
            i += 2;
          } else if (n === 't') {
            raw += '\t';
            i += 2;
          } else {
            raw += c;
            i++;
          }
        } else if (!sq && !dq && (c === ',' || c === ')')) break;
        else {
          raw += c;
          i++;
        }
      }
      const type = spec.types[pos]!;
      // an empty optional number or address ends the list (HAProxy ignores it)
      if (raw === '' && type !== 'str' && pos >= spec.min && !STRINGLY.has(type)) break;
      args[pos] = convert(raw, type, spec, pos);
      pos++;
      if (i >= text.length || text[i] === ')' || pos >= nb) break;
      i++; // the comma
    }
  }
  if (pos < spec.min) missing(spec, pos);
  if (text[i] === ')') i++;
  else {
    const rest = text.slice(i);
    throw new SampleError('HAP_ERR_SAMPLE_SYNTAX', rest ? `expected ')' before '${rest}'` : `expected ')'`);
  }
  return { args, count: pos, end: i };
}

function missing(spec: ArgSpec, pos: number): never {
  throw new SampleError(
    'HAP_ERR_SAMPLE_SYNTAX',
    `missing arguments (got ${pos}/${spec.min}), type '${typeName(spec, pos)}' expected`,
  );
}
