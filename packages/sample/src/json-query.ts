// json_query's JSON reader: HAProxy bundles mjson, a scanner that walks the text once and
// stops at the value a path (`$.a.b[2]`) designates. Its quirks are kept: the path syntax,
// a value found before a later syntax error counts, strings unescape only the simple
// escapes and \u00XX, numbers are read by its own strtod.

export type JsonTok = 'invalid' | 'string' | 'number' | 'true' | 'false' | 'null' | 'array' | 'object';

const ESC = 'bfnrt\\"';
const ESC_TO = '\b\f\n\r\t\\"';

/** mjson's strtod: returns the value and where it stopped. */
export function jsonStrtod(s: string, start: number): { value: number; end: number } {
  let d = 0;
  let sign = 1;
  let p = start;
  let a = start;
  const digit = (i: number) => {
    const c = s.charCodeAt(i);
    return c >= 48 && c <= 57;
  };
  if (s[p] === '-') {
    sign = -1;
    p++;
  } else if (s[p] === '+') p++;
  if (digit(p)) {
    d = s.charCodeAt(p++) - 48;
    while (p < s.length && digit(p)) d = d * 10 + (s.charCodeAt(p++) - 48);
    a = p;
  } else if (s[p] !== '.') return { value: 0, end: a };
  d *= sign;
  if (s[p] === '.') {
    let f = 0;
    let base = 0.1;
    p++;
    while (p < s.length && digit(p)) {
      f += base * (s.charCodeAt(p++) - 48);
      base /= 10;
    }
    d += f * sign;
    a = p;
  }
  if (s[p] === 'E' || s[p] === 'e') {
    let e = 0;
    let neg = false;
    p++;
    if (s[p] === '-') {
      p++;
      neg = true;
    }
    if (s[p] === '+') p++;
    while (p < s.length && digit(p)) e = e * 10 + (s.charCodeAt(p++) - 48);
    if (neg) e = -e;
    for (let i = 0; i < e; i++) d *= 10;
    for (let i = 0; i < -e; i++) d /= 10;
    a = p;
  } else if (p > start && !digit(p - 1)) a = start;
  return { value: d, end: a };
}

// the characters mjson lets a backslash escape while scanning (its table of escaped forms)
const PASS_ESC = '\b\f\n\r\t\\"';

/** Where a string starting after its quote ends (the closing quote's index), -1 if invalid. */
function passString(s: string, i0: number): number {
  for (let i = i0; i < s.length; i++) {
    const c = s[i];
    // mjson skips a backslash only before a quote or a backslash (its escape table quirk)
    if (c === '\\' && i + 1 < s.length && PASS_ESC.includes(s[i + 1]!)) i++;
    else if (c === '\0') return -1;
    else if (c === '"') return i;
  }
  return -1;
}

function plen1(p: string, i0: number): number {
  let i = i0;
  let n = 0;
  while (i < p.length && p[i] !== '.' && p[i] !== '[') {
    n++;
    i += p[i] === '\\' ? 2 : 1;
  }
  return n;
}

function plen2(p: string, i0: number): number {
  let i = i0;
  while (i < p.length && p[i] !== '.' && p[i] !== '[') i += p[i] === '\\' ? 2 : 1;
  return i - i0;
}

function kcmp(a: string, ai: number, b: string, bi: number, n: number): boolean {
  let i = bi;
  for (let j = 0; j < n; i++, j++) {
    if (b[i] === '\\') i++;
    if (a[ai + j] !== b[i]) return false;
  }
  return true;
}

/** The token the path designates (mjson_find): its kind and text. */
export function jsonFind(s: string, path: string): { tok: JsonTok; start: number; len: number } {
  const none = { tok: 'invalid' as JsonTok, start: 0, len: 0 };
  if (path[0] !== '$') return none;
  const at = (i: number) => (i < path.length ? path[i]! : '');
  let pos = 1;
  let d1 = 0;
  let d2 = 0;
  let i1 = 0;
  let i2 = 0;
  let obj = -1;
  let found: { tok: JsonTok; start: number; len: number } | undefined;
  // returns true to stop the scan
  const cb = (tok: string, off: number, len: number): boolean => {
    if (found) return true;
    if (tok === '{') {
      if (!at(pos) && d1 === d2) obj = off;
      d1++;
    } else if (tok === '[') {
      if (d1 === d2 && at(pos) === '[') {
        i1 = 0;
        i2 = Math.trunc(jsonStrtod(path, pos + 1).value);
        if (i1 === i2) {
          d2++;
          pos += 3;
        }
      }
      if (!at(pos) && d1 === d2) obj = off;
      d1++;
    } else if (tok === ',') {
      if (d1 === d2 + 1) {
        i1++;
        if (i1 === i2) {
          while (at(pos) !== ']') pos++;
          pos++;
          d2++;
        }
      }
    } else if (
      tok === 'key' &&
      d1 === d2 + 1 &&
      at(pos) === '.' &&
      s[off] === '"' &&
      s[off + len - 1] === '"' &&
      plen1(path, pos + 1) === len - 2 &&
      kcmp(s, off + 1, path, pos + 1, len - 2)
    ) {
      d2++;
      pos += plen2(path, pos + 1) + 1;
    } else if (tok === 'key' && d1 === d2) {
      return true;
    } else if (tok === '}' || tok === ']') {
      d1--;
      if (!at(pos) && d1 === d2 && obj !== -1) {
        found = { tok: tok === '}' ? 'object' : 'array', start: obj, len: off - obj + 1 };
        return true;
      }
    } else if (tok !== 'key' && tok !== ':') {
      if (d1 === d2 && !at(pos)) {
        found = { tok: tok as JsonTok, start: off, len };
        return true;
      }
    }
    return false;
  };
  if (scan(s, cb) < 0) return none;
  return found ?? none;
}

/** mjson's tokenizer: calls `cb` for each token; negative on a syntax error. */
function scan(s: string, cb: (tok: string, off: number, len: number) => boolean): number {
  const nesting: string[] = [];
  let expecting: 'value' | 'key' | 'colon' | 'comma' = 'value';
  for (let i = 0; i < s.length; i++) {
    const start = i;
    const c = s[i]!;
    let tok = c;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') continue;
    const eoo = (): number | undefined => {
      const open = nesting[nesting.length - 1];
      if ((open === '{' && c !== '}') || (open === '[' && c !== ']') || open === undefined) return -1;
      nesting.pop();
      if (nesting.length === 0) {
        cb(tok, start, i - start + 1);
        return i + 1;
      }
      return undefined;
    };
    switch (expecting) {
      case 'value':
        if (c === '{') {
          if (nesting.length >= 20) return -2;
          nesting.push(c);
          expecting = 'key';
          break;
        }
        if (c === '[') {
          if (nesting.length >= 20) return -2;
          nesting.push(c);
          break;
        }
        if (c === ']' && nesting.length > 0) {
          const r = eoo();
          if (r !== undefined) return r;
        } else if (c === 't' && i + 3 < s.length && s.startsWith('true', i)) {
          i += 3;
          tok = 'true';
        } else if (c === 'n' && i + 3 < s.length && s.startsWith('null', i)) {
          i += 3;
          tok = 'null';
        } else if (c === 'f' && i + 4 < s.length && s.startsWith('false', i)) {
          i += 4;
          tok = 'false';
        } else if (c === '-' || (c >= '0' && c <= '9')) {
          const e = jsonStrtod(s, i).end;
          i += e - i - 1;
          tok = 'number';
        } else if (c === '"') {
          const n = passString(s, i + 1);
          if (n < 0) return -1;
          i = n;
          tok = 'string';
        } else return -1;
        if (nesting.length === 0) {
          cb(tok, start, i - start + 1);
          return i + 1;
        }
        expecting = 'comma';
        break;
      case 'key':
        if (c === '"') {
          const n = passString(s, i + 1);
          if (n < 0) return -1;
          i = n;
          tok = 'key';
          expecting = 'colon';
        } else if (c === '}') {
          const r = eoo();
          if (r !== undefined) return r;
          expecting = 'comma';
        } else return -1;
        break;
      case 'colon':
        if (c === ':') expecting = 'value';
        else return -1;
        break;
      case 'comma':
        if (nesting.length <= 0) return -1;
        if (c === ',') expecting = nesting[nesting.length - 1] === '{' ? 'key' : 'value';
        else if (c === ']' || c === '}') {
          const r = eoo();
          if (r !== undefined) return r;
        } else return -1;
        break;
    }
    if (cb(tok, start, i - start + 1)) return i + 1;
  }
  return -1;
}

/** mjson_unescape of a string token's inside; undefined when it gives up. */
export function jsonUnescape(s: string): string | undefined {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\' && i + 5 < s.length && s[i + 1] === 'u') {
      if (s[i + 2] !== '0' || s[i + 3] !== '0') return undefined;
      const nib = (c: number) => (c >= 48 && c <= 57 ? c - 48 : c >= 65 && c <= 70 ? c - 55 : c - 87);
      out += String.fromCharCode(((nib(s.charCodeAt(i + 4)) << 4) | nib(s.charCodeAt(i + 5))) & 0xff);
      i += 5;
    } else if (s[i] === '\\' && i + 1 < s.length) {
      const k = ESC.indexOf(s[i + 1]!);
      if (k < 0) return undefined;
      out += ESC_TO[k];
      i++;
    } else out += s[i];
  }
  return out;
}

/** C's printf("%g"): 6 significant digits, exponent form below 1e-4 or from 1e6. */
export function formatG(v: number): string {
  if (Number.isNaN(v)) return v < 0 ? '-nan' : 'nan';
  if (!Number.isFinite(v)) return v < 0 ? '-inf' : 'inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const exp = Number(v.toExponential(5).split('e')[1]);
  if (exp < -4 || exp >= 6) {
    const [m, e] = v.toExponential(5).split('e') as [string, string];
    const mant = m.includes('.') ? m.replace(/0+$/, '').replace(/\.$/, '') : m;
    const en = Number(e);
    return `${mant}e${en < 0 ? '-' : '+'}${String(Math.abs(en)).padStart(2, '0')}`;
  }
  const f = v.toFixed(Math.max(0, 5 - exp));
  return f.includes('.') ? f.replace(/0+$/, '').replace(/\.$/, '') : f;
}
