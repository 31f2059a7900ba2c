/**
 * Conditional expressions of `.if` / `.elif` and `-cc` (manual §2.4):
 * `0`, non-zero integers, predicates with arguments, `!`, `&&` (binds tighter)
 * and `||`, parentheses. An empty expression is false.
 */

export interface ConditionContext {
  env: Readonly<Record<string, string | undefined>>;
  /** Version compared by version_atleast / version_before, e.g. "2.6.12". */
  version: string;
  /** Feature names that `feature()` finds, as listed after '+' by `-vv`. */
  features: ReadonlySet<string>;
  /** Version of the TLS library, for openssl_version_*. */
  sslVersion: string;
  sslLibName: string;
}

export type ConditionResult = { ok: true; value: boolean } | { ok: false; message: string; position: number };

interface PredicateRow {
  args: number;
  eval(args: string[], ctx: ConditionContext): boolean;
}

/** The predicates HAProxy 2.6 knows, plus strstr/enabled (from later HAProxy versions). */
const PREDICATES: Readonly<Record<string, PredicateRow>> = {
  defined: { args: 1, eval: (a, ctx) => ctx.env[a[0]!] !== undefined },
  feature: { args: 1, eval: (a, ctx) => ctx.features.has(a[0]!) },
  streq: { args: 2, eval: (a) => a[0] === a[1] },
  strneq: { args: 2, eval: (a) => a[0] !== a[1] },
  strstr: { args: 2, eval: (a) => a[0]!.includes(a[1]!) },
  enabled: { args: 1, eval: (a) => KNOWN_RUNTIME_OPTIONS.has(a[0]!) },
  version_atleast: { args: 1, eval: (a, ctx) => compareVersions(ctx.version, a[0]!) >= 0 },
  version_before: { args: 1, eval: (a, ctx) => compareVersions(ctx.version, a[0]!) < 0 },
  openssl_version_atleast: { args: 1, eval: (a, ctx) => compareVersions(ctx.sslVersion, a[0]!) >= 0 },
  openssl_version_before: { args: 1, eval: (a, ctx) => compareVersions(ctx.sslVersion, a[0]!) < 0 },
  ssllib_name_startswith: { args: 1, eval: (a, ctx) => ctx.sslLibName.startsWith(a[0]!) },
};

/** Runtime options `enabled()` reports as on: haproxyd always has these. */
const KNOWN_RUNTIME_OPTIONS = new Set(['EPOLL', 'GETADDRINFO', 'REUSEPORT']);

export const CONDITION_PREDICATES: readonly string[] = Object.keys(PREDICATES);

/**
 * Version order: numeric components first, then "-devN" < "-preN"/"-rcN" <
 * release; missing components count as zero.
 */
export function compareVersions(a: string, b: string): number {
  const pa = splitVersion(a);
  const pb = splitVersion(b);
  const len = Math.max(pa.length, pb.length);
  for (let i = 0; i < len; i++) {
    const x = pa[i] ?? 0;
    const y = pb[i] ?? 0;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

function splitVersion(v: string): number[] {
  const m = /^(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:\.(\d+))?(?:-(dev|pre|rc)(\d*))?/.exec(v.trim());
  if (!m) return [0];
  const parts = [Number(m[1] ?? 0), Number(m[2] ?? 0), Number(m[3] ?? 0), Number(m[4] ?? 0)];
  // stage: dev=0, pre/rc=1, release=2, then the stage's number
  const stage = m[5] === 'dev' ? 0 : m[5] ? 1 : 2;
  parts.push(stage, Number(m[6] || 0));
  return parts;
}

class CondParser {
  readonly text: string;
  readonly ctx: ConditionContext;
  pos = 0;
  error: { message: string; position: number } | undefined = undefined;

  constructor(text: string, ctx: ConditionContext) {
    this.text = text;
    this.ctx = ctx;
  }

  /** Only blanks are left. */
  atEnd(): boolean {
    this.skipBlanks();
    return this.pos >= this.text.length;
  }

  skipBlanks(): void {
    while (this.pos < this.text.length && (this.text[this.pos] === ' ' || this.text[this.pos] === '\t'))
      this.pos++;
  }

  fail(message: string, position: number = this.pos): false {
    if (!this.error) this.error = { message, position };
    return false;
  }

  /** expr := and ('||' and)* ; evaluation is left to right, all terms parsed. */
  parseExpr(): boolean {
    this.skipBlanks();
    const origin = this.pos;
    let value = this.parseAnd();
    for (;;) {
      this.skipBlanks();
      if (this.error || !this.text.startsWith('||', this.pos)) return value;
      this.pos += 2;
      const rhs = this.parseAnd(origin);
      value = value || rhs;
    }
  }

  /** `origin`: where the whole chain began, quoted when an operand is missing. */
  parseAnd(origin?: number): boolean {
    this.skipBlanks();
    const first = origin ?? this.pos;
    let value = this.parseTerm(this.atEnd() ? first : undefined);
    for (;;) {
      this.skipBlanks();
      if (this.error || !this.text.startsWith('&&', this.pos)) return value;
      this.pos += 2;
      const rhs = this.parseTerm(this.atEnd() ? first : undefined);
      value = value && rhs;
    }
  }

  /** `origin`: where the term began, '!' included, for the error text. */
  parseTerm(origin?: number): boolean {
    this.skipBlanks();
    const start = origin ?? this.pos;
    const t = this.text;
    if (t[this.pos] === '!') {
      this.pos++;
      return !this.parseTerm(start);
    }
    if (t[this.pos] === '(') {
      this.pos++;
      const v = this.parseExpr();
      if (this.error) return false;
      this.skipBlanks();
      if (t[this.pos] !== ')')
        return this.fail(`expected ')' after conditional expression '${t.slice(start)}'`);
      this.pos++;
      return v;
    }
    // integers are read like C's strtol(base 0): 0x1f hexadecimal, 017 octal, signs allowed
    const intMatch = /^[+-]?(?:0[xX][0-9a-fA-F]+|0[0-7]*|[1-9]\d*)/.exec(t.slice(this.pos));
    if (intMatch) {
      this.pos += intMatch[0].length;
      const next = t[this.pos];
      if (next !== undefined && /[A-Za-z0-9_]/.test(next)) {
        return this.fail(
          `unexpected character '${next}' at the end of conditional expression '${t.slice(start)}'`,
        );
      }
      const digits = intMatch[0].replace(/^[+-]?(0[xX])?/, '');
      return /[1-9a-fA-F]/.test(digits);
    }
    const nameMatch = /^[A-Za-z_][A-Za-z0-9_]*/.exec(t.slice(this.pos));
    const row = nameMatch ? PREDICATES[nameMatch[0]] : undefined;
    if (nameMatch && row && t[this.pos + nameMatch[0].length] !== '(') {
      // a predicate name not followed by its '(' ends the term; what follows is unexpected
      const after = this.pos + nameMatch[0].length;
      const rest = t.slice(after).trimStart();
      if (rest !== '') {
        return this.fail(
          `unexpected character '${rest[0]}' at the end of conditional expression '${t.slice(start)}'`,
          after,
        );
      }
    }
    if (!nameMatch || !row || t[this.pos + nameMatch[0].length] !== '(') {
      return this.fail(`unparsable conditional expression '${t.slice(start)}'`, start);
    }
    const name = nameMatch[0];
    this.pos += name.length + 1;
    const argsStart = this.pos;
    const args = this.parseArgs(name);
    if (args === undefined) return false;
    if (args.length < row.args) {
      return this.fail(
        `missing arguments (got ${args.length}/${row.args}), type 'string' expected in argument ${Math.max(1, args.length)} of predicate '${name}' used in conditional expression`,
        start,
      );
    }
    if (args.length > row.args) {
      // HAProxy reads the expected arguments, then wants ')' where the extra ',' stands
      let depth = 0;
      let seen = 0;
      let at = argsStart;
      for (; at < t.length; at++) {
        if (t[at] === ',' && depth === 0 && ++seen === row.args) break;
        if (t[at] === '(') depth++;
        else if (t[at] === ')') depth--;
      }
      return this.fail(
        `expected ')' before '${t.slice(at, this.pos)}' in argument 1 of predicate '${name}' used in conditional expression`,
        start,
      );
    }
    return row.eval(args, this.ctx);
  }

  /** Arguments up to the closing parenthesis: commas separate, quotes and backslashes protect. */
  parseArgs(name: string): string[] | undefined {
    const t = this.text;
    const args: string[] = [];
    let cur = '';
    let q: string | undefined;
    while (this.pos < t.length) {
      const c = t[this.pos]!;
      if (q) {
        if (c === q) q = undefined;
        else if (c === '\\' && q === '"' && this.pos + 1 < t.length) cur += t[++this.pos];
        else cur += c;
        this.pos++;
        continue;
      }
      if (c === '"' || c === "'") {
        q = c;
        this.pos++;
        continue;
      }
      if (c === '\\' && (t[this.pos + 1] === '"' || t[this.pos + 1] === "'" || t[this.pos + 1] === '\\')) {
        // only quotes and backslashes are escaped here; ',' and ')' keep their meaning
        cur += t[this.pos + 1];
        this.pos += 2;
        continue;
      }
      if (c === ',') {
        args.push(cur);
        cur = '';
        this.pos++;
        continue;
      }
      if (c === ')') {
        // "()" is one empty argument, as in HAProxy (defined() is false, version_atleast() true)
        args.push(cur);
        this.pos++;
        return args;
      }
      cur += c;
      this.pos++;
    }
    this.fail(`expected ')' in argument 1 of predicate '${name}' used in conditional expression`);
    return undefined;
  }
}

/** Evaluates a condition already tokenized and re-joined with single spaces. */
export function evaluateCondition(text: string, ctx: ConditionContext): ConditionResult {
  const p = new CondParser(text, ctx);
  p.skipBlanks();
  if (p.pos >= text.length) return { ok: true, value: false };
  const value = p.parseExpr();
  if (!p.error) {
    p.skipBlanks();
    if (p.pos < text.length) {
      p.fail(`unexpected character '${text[p.pos]}' at the end of conditional expression '${text}'`);
    }
  }
  if (p.error) return { ok: false, message: p.error.message, position: p.error.position };
  return { ok: true, value };
}
