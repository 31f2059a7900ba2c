/**
 * The line tokenizer: cuts one configuration line into words the way HAProxy
 * does (configuration manual §2.2–2.3).
 *
 * - blanks separate words; `#` outside quotes starts a comment;
 * - `"…"` weak quotes: blanks, `'` and `#` lose their meaning, `$VAR`,
 *   `${VAR}`, `${VAR-default}` and `${VAR[*]}` are expanded;
 * - `'…'` strong quotes: nothing is interpreted;
 * - `\` outside strong quotes escapes blank, `\`, `#`, `'`, `"` (and `$`
 *   inside weak quotes) and gives `\t \n \r \xNN`; other pairs stay as typed;
 * - environment variables are expanded only inside weak quotes; `${X[*]}`
 *   splits the value into several words; `.FILE`, `.LINE` and `.SECTION` are
 *   pseudo-variables.
 */

export type LexErrorKind = 'quote' | 'brace' | 'varname' | 'hex' | 'expand';

export interface LexError {
  kind: LexErrorKind;
  /** 1-based column of the offending character in the raw line. */
  column: number;
}

export interface LexResult {
  words: string[];
  error: LexError | undefined;
}

export interface LexContext {
  env: Readonly<Record<string, string | undefined>>;
  file: string;
  line: number;
  section: string;
}

const CC_SPACE = 0x20;
const CC_TAB = 0x09;

function isBlank(c: number): boolean {
  // isspace() minus the line terminators, which end the line before we get here
  return c === CC_SPACE || c === CC_TAB || c === 0x0b || c === 0x0c;
}

/** C's isspace(): blanks and line terminators (used when splitting `${X[*]}`). */
function isSpace(c: number): boolean {
  return isBlank(c) || c === 0x0a || c === 0x0d;
}

function isAlpha(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

function isAlnum(c: number): boolean {
  return isAlpha(c) || (c >= 0x30 && c <= 0x39);
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/**
 * Tokenizes one line (without its line terminator). Leading blanks are
 * skipped. An empty or comment-only line gives no word.
 */
export function tokenizeLine(text: string, ctx: LexContext): LexResult {
  const words: string[] = [];
  let cur = '';
  // a word exists once anything (even an empty quoted string) was seen
  let inWord = false;
  let squote = false;
  let dquote = false;
  let quoteCol = 0;
  const n = text.length;
  let i = 0;
  while (i < n && isBlank(text.charCodeAt(i))) i++;

  const fail = (kind: LexErrorKind, at: number): LexResult => ({ words, error: { kind, column: at + 1 } });

  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x0a || c === 0x0d || c === 0) break;
    if (c === 0x23 /* # */ && !squote && !dquote) break;
    if (c === 0x22 /* " */ && !squote) {
      dquote = !dquote;
      quoteCol = i;
      inWord = true;
      i++;
      continue;
    }
    if (c === 0x27 /* ' */ && !dquote) {
      squote = !squote;
      quoteCol = i;
      inWord = true;
      i++;
      continue;
    }
    if (c === 0x5c /* \ */ && !squote) {
      const next = i + 1 < n ? text.charCodeAt(i + 1) : 0;
      inWord = true;
      switch (next) {
        case 0x20:
        case 0x5c:
        case 0x23:
        case 0x27:
        case 0x22:
          cur += String.fromCharCode(next);
          i += 2;
          continue;
        case 0x74:
          cur += '\t';
          i += 2;
          continue;
        case 0x6e:
          cur += '\n';
          i += 2;
          continue;
        case 0x72:
          cur += '\r';
          i += 2;
          continue;
        case 0x24 /* $ */:
          if (dquote) {
            cur += '$';
            i += 2;
          } else {
            cur += '\\';
            i += 1;
          }
          continue;
        case 0x78 /* x */:
          {
            const h1 = i + 2 < n ? hexValue(text.charCodeAt(i + 2)) : -1;
            const h2 = i + 3 < n ? hexValue(text.charCodeAt(i + 3)) : -1;
            if (h1 < 0 || h2 < 0) return fail('hex', i);
            cur += String.fromCharCode((h1 << 4) | h2);
            i += 4;
            continue;
          }
        default:
          // not an escape sequence: the backslash stays (e.g. "\1" in regsub)
          cur += '\\';
          i += 1;
          continue;
      }
    }
    if (isBlank(c) && !squote && !dquote) {
      while (i < n && isBlank(text.charCodeAt(i))) i++;
      words.push(cur);
      cur = '';
      inWord = false;
      continue;
    }
    if (c === 0x24 /* $ */ && dquote) {
      i++;
      let brace = -1;
      if (text.charCodeAt(i) === 0x7b /* { */) {
        brace = i;
        i++;
      }
      const first = i < n ? text.charCodeAt(i) : 0;
      if (!isAlpha(first) && first !== 0x5f && first !== 0x2e) return fail('varname', i);
      const nameStart = i;
      if (first === 0x2e) i++;
      while (i < n && (isAlnum(text.charCodeAt(i)) || text.charCodeAt(i) === 0x5f)) i++;
      const name = text.slice(nameStart, i);
      let value: string | undefined;
      if (name.charCodeAt(0) === 0x2e) {
        if (name === '.LINE') value = String(ctx.line);
        else if (name === '.FILE') value = ctx.file;
        else if (name === '.SECTION') value = ctx.section;
        else return fail('varname', nameStart);
      } else {
        value = ctx.env[name];
      }
      let expand = false;
      if (brace >= 0 && text.charCodeAt(i) === 0x5b /* [ */) {
        const at = i;
        if (text.charCodeAt(i + 1) !== 0x2a || text.charCodeAt(i + 2) !== 0x5d) return fail('expand', at);
        expand = true;
        i += 3;
      }
      if (brace >= 0) {
        if (text.charCodeAt(i) === 0x2d /* - */) {
          const close = text.indexOf('}', i);
          if (close < 0) return fail('brace', brace);
          if (value === undefined) value = text.slice(i + 1, close);
          i = close;
        } else if (text.charCodeAt(i) !== 0x7d /* } */) {
          return fail('brace', brace);
        }
        i++;
      }
      inWord = true;
      if (value !== undefined) {
        if (expand) {
          let j = 0;
          while (j < value.length) {
            const vc = value.charCodeAt(j);
            if (isSpace(vc)) {
              words.push(cur);
              cur = '';
              while (j < value.length && isSpace(value.charCodeAt(j))) j++;
            } else {
              cur += value[j];
              j++;
            }
          }
        } else {
          cur += value;
        }
      }
      continue;
    }
    // plain characters: copy a run at once
    let j = i + 1;
    while (j < n) {
      const d = text.charCodeAt(j);
      if (d === 0x22 || d === 0x27 || d === 0x5c || d === 0x23 || d === 0x24 || isBlank(d) || d < 0x20) break;
      j++;
    }
    cur += text.slice(i, j);
    inWord = true;
    i = j;
  }
  if (squote || dquote) return fail('quote', quoteCol);
  if (inWord || cur.length > 0) words.push(cur);
  return { words, error: undefined };
}

const LEX_MESSAGES: Record<LexErrorKind, string> = {
  quote: 'unmatched quote',
  brace: 'unmatched brace in environment variable name',
  varname: 'forbidden first char in environment variable name',
  hex: 'truncated or invalid hexadecimal sequence',
  expand: 'truncated or invalid word expansion sequence',
};

/** HAProxy-shaped text for a tokenizer error, with a caret under the column. */
export function describeLexError(err: LexError, rawLine: string): string {
  const shown = rawLine.replace(/[^\x20-\x7e]/g, (ch) => (ch === '\t' ? ' ' : '?'));
  return `${LEX_MESSAGES[err.kind]} at position ${err.column}:\n  ${shown}\n  ${' '.repeat(err.column - 1)}^`;
}
