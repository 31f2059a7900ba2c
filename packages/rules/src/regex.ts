/**
 * Regular expressions of rules (`replace-header`, `replace-path`, …) and HAProxy's
 * replacement strings: `\N` is group N, `\xHH` a byte, `\c` the character c.
 */

import { RuleError } from './errors.ts';

/** Compiles a PCRE-style expression as a JS RegExp (leading `(?i)` becomes the i flag). */
export function compileRegex(text: string, icase = false, label = 'regex'): RegExp {
  let src = text;
  let flags = icase ? 'i' : '';
  if (src.startsWith('(?i)')) {
    src = src.slice(4);
    if (!flags.includes('i')) flags += 'i';
  }
  try {
    return new RegExp(src, flags);
  } catch (err) {
    throw new RuleError('HAP_RULE_ARGS', `${label} '${text}' : ${(err as Error).message}.`);
  }
}

/** Builds the replacement for `m` (a match of `input`) from HAProxy's replacement text. */
export function expandReplacement(replacement: string, m: RegExpExecArray): string {
  if (!replacement.includes('\\')) return replacement;
  let out = '';
  for (let i = 0; i < replacement.length; i++) {
    const c = replacement[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const n = replacement[++i];
    if (n === undefined) break;
    if (n >= '0' && n <= '9') out += m[Number(n)] ?? '';
    else if (n === 'x') {
      const hex = replacement.slice(i + 1, i + 3);
      out += String.fromCharCode(Number.parseInt(hex, 16) & 0xff);
      i += 2;
    } else out += n;
  }
  return out;
}
