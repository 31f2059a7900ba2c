// HAProxy's regexes are PCRE2 (no UTF mode): translated to JS RegExp where the two agree,
// refused where JS has no equivalent. Strings are bytes (one char each, latin1).
//
// Translated: `.` (PCRE excludes only \n, JS also \r), `$` (PCRE also before a final \n),
// `\A` `\z` `\Z`, `\s` `\S` `\h` `\H` (PCRE's ASCII sets; JS's \s has U+00A0), `\e`,
// `\x{hh}`, `\Q…\E`, POSIX classes `[[:alpha:]]`, `(?P<name>…)`, a leading `(?i)`.
// Refused: possessive quantifiers, atomic groups `(?>`, inline flags elsewhere, `\K`,
// recursion, conditionals, callouts, `\R`, `\X`, `\G`. Known difference: under `-i`, JS
// also folds the latin1 letters (é/É), PCRE2 only ASCII.
import { SampleError } from '../errors.ts';

const POSIX: Readonly<Record<string, string>> = {
  alpha: 'a-zA-Z',
  digit: '0-9',
  alnum: 'a-zA-Z0-9',
  upper: 'A-Z',
  lower: 'a-z',
  space: '\\t\\n\\v\\f\\r ',
  blank: ' \\t',
  punct: '!-\\/:-@\\[-`{-~',
  xdigit: '0-9A-Fa-f',
  word: '\\w',
  cntrl: '\\x00-\\x1f\\x7f',
  print: ' -~',
  graph: '!-~',
  ascii: '\\x00-\\x7f',
};

const SPACE = '\\t\\n\\v\\f\\r ';

function unsupported(src: string, what: string): never {
  throw new SampleError(
    'HAP_ERR_SAMPLE_REGEX',
    `regex '${src}' uses ${what}, which haproxyd does not support`,
  );
}

function escapeLiteral(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}

/** Translates a PCRE2 pattern to a JS source; `icase` comes back true for a leading (?i). */
export function translatePcre(src: string): { source: string; icase: boolean } {
  let out = '';
  let i = 0;
  let icase = false;
  if (src.startsWith('(?i)')) {
    icase = true;
    i = 4;
  }
  let inClass = false;
  while (i < src.length) {
    const c = src[i]!;
    if (c === '\\') {
      const n = src[i + 1];
      if (n === undefined) {
        out += '\\\\';
        i++;
        continue;
      }
      i += 2;
      switch (n) {
        case 'A':
          if (inClass) unsupported(src, '\\A in a class');
          out += '^';
          break;
        case 'z':
          out += inClass ? 'z' : '$';
          break;
        case 'Z':
          out += inClass ? 'Z' : '(?=\\n?$)';
          break;
        case 's':
          out += inClass ? SPACE : `[${SPACE}]`;
          break;
        case 'S':
          if (inClass) unsupported(src, '\\S in a class');
          out += `[^${SPACE}]`;
          break;
        case 'h':
          out += inClass ? ' \\t' : '[ \\t]';
          break;
        case 'H':
          if (inClass) unsupported(src, '\\H in a class');
          out += '[^ \\t]';
          break;
        case 'e':
          out += '\\x1b';
          break;
        case 'a':
          out += '\\x07';
          break;
        case 'x':
          if (src[i] === '{') {
            const close = src.indexOf('}', i);
            const hex = close > 0 ? src.slice(i + 1, close) : '';
            if (!/^[0-9a-fA-F]{1,2}$/.test(hex)) unsupported(src, `\\x{${hex}}`);
            out += `\\x${hex.padStart(2, '0')}`;
            i = close + 1;
          } else out += '\\x';
          break;
        case 'Q': {
          const end = src.indexOf('\\E', i);
          const lit = end < 0 ? src.slice(i) : src.slice(i, end);
          out += escapeLiteral(lit);
          i = end < 0 ? src.length : end + 2;
          break;
        }
        case 'E':
          break;
        case 'K':
        case 'R':
        case 'X':
        case 'G':
        case 'C':
        case 'g':
          unsupported(src, `\\${n}`);
          break;
        default:
          out += `\\${n}`;
      }
      continue;
    }
    if (inClass) {
      if (c === '[' && src[i + 1] === ':') {
        const close = src.indexOf(':]', i + 2);
        const name = close > 0 ? src.slice(i + 2, close) : '';
        const set = POSIX[name];
        if (set === undefined) unsupported(src, `the class [:${name}:]`);
        out += set;
        i = close + 2;
        continue;
      }
      if (c === ']') inClass = false;
      out += c === '[' ? '\\[' : c;
      i++;
      continue;
    }
    switch (c) {
      case '[':
        inClass = true;
        out += '[';
        i++;
        if (src[i] === '^') {
          out += '^';
          i++;
        }
        if (src[i] === ']') {
          // a ']' right after '[' or '[^' is a literal
          out += '\\]';
          i++;
        }
        continue;
      case '.':
        out += '[^\\n]';
        i++;
        continue;
      case '$':
        out += '(?=\\n?$)';
        i++;
        continue;
      case '(':
        if (src[i + 1] === '?') {
          const rest = src.slice(i + 2);
          if (rest.startsWith('P<')) {
            out += '(?<';
            i += 4;
            continue;
          }
          if (rest.startsWith('P=')) {
            const close = src.indexOf(')', i);
            out += `\\k<${src.slice(i + 4, close)}>`;
            i = close + 1;
            continue;
          }
          if (
            !(
              rest.startsWith(':') ||
              rest.startsWith('=') ||
              rest.startsWith('!') ||
              rest.startsWith('<=') ||
              rest.startsWith('<!') ||
              rest.startsWith('<')
            )
          )
            unsupported(src, `the group '(?${rest.slice(0, 2)}'`);
        }
        out += c;
        i++;
        continue;
      case '*':
      case '+':
      case '?':
      case '}':
        out += c;
        i++;
        if (src[i] === '+') unsupported(src, 'a possessive quantifier');
        continue;
      default:
        out += c;
        i++;
    }
  }
  return { source: out, icase };
}

/** PCRE2's wording for the mistakes people make most; JS's otherwise. */
function pcreReason(src: string, jsMessage: string): string {
  let depth = 0;
  let inClass = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') inClass = true;
    else if (c === '(') depth++;
    else if (c === ')') {
      if (depth === 0) return `unmatched closing parenthesis, erroffset=${i}`;
      depth--;
    }
  }
  if (inClass) return `missing terminating ] for character class, erroffset=${src.length}`;
  if (depth > 0) return `missing closing parenthesis, erroffset=${src.length}`;
  const m = /: (.*)$/.exec(jsMessage);
  return m?.[1] ?? jsMessage;
}

/**
 * Compiles an HAProxy regex. The message of an invalid one starts as HAProxy's:
 * "regex 'a(' is invalid (error=missing closing parenthesis, erroffset=2)".
 */
export function compileRegex(src: string, icase: boolean, global = false): RegExp {
  const t = translatePcre(src);
  const flags = (icase || t.icase ? 'i' : '') + (global ? 'g' : '');
  try {
    return new RegExp(t.source, flags);
  } catch (e) {
    const why = pcreReason(src, (e as Error).message);
    throw new SampleError('HAP_ERR_SAMPLE_REGEX', `regex '${src}' is invalid (error=${why})`);
  }
}
