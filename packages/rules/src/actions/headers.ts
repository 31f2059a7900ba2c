/**
 * Header actions of `http-request` / `http-response` / `http-after-response`: set-header,
 * add-header, del-header, replace-header, replace-value. Names compare without case; values
 * are log-format strings rendered before the message changes (so a header may be set from
 * its own old value).
 */

import { compileLogFormat, type SampleEnv } from '@hap/sample';
import { RuleError } from '../errors.ts';
import { compileRegex, expandReplacement } from '../regex.ts';
import { type HttpAction, type HttpActionRow, type HttpMessage, V_CONTINUE, type Verdict } from '../types.ts';

function removeAll(h: string[], lower: string): void {
  let w = 0;
  for (let r = 0; r < h.length; r += 2) {
    if ((h[r] as string).toLowerCase() === lower) continue;
    if (w !== r) {
      h[w] = h[r]!;
      h[w + 1] = h[r + 1]!;
    }
    w += 2;
  }
  h.length = w;
}

function needArgs(args: readonly string[], n: number, label: string, what: string): void {
  if (args.length < n) throw new RuleError('HAP_RULE_ARGS', `'${label}' expects ${what}.`);
}

const setHeader: HttpActionRow = {
  name: 'set-header',
  compile(args, _p, ctx, label) {
    needArgs(args, 2, label, '<name> and <fmt> as arguments');
    const name = args[0]!;
    const lower = name.toLowerCase();
    const fmt = compileLogFormat(args[1]!, ctx);
    return {
      run(env: SampleEnv, msg: HttpMessage): Verdict {
        const value = fmt.render(env);
        removeAll(msg.headers, lower);
        msg.headers.push(name, value);
        return V_CONTINUE;
      },
    };
  },
};

const addHeader: HttpActionRow = {
  name: 'add-header',
  compile(args, _p, ctx, label) {
    needArgs(args, 2, label, '<name> and <fmt> as arguments');
    const name = args[0]!;
    const fmt = compileLogFormat(args[1]!, ctx);
    return {
      run(env, msg) {
        msg.headers.push(name, fmt.render(env));
        return V_CONTINUE;
      },
    };
  },
};

/** How `del-header -m <meth>` compares a name. */
function nameMatcher(pattern: string, method: string, label: string): (lowerName: string) => boolean {
  const p = pattern.toLowerCase();
  switch (method) {
    case 'str':
      return (n) => n === p;
    case 'beg':
      return (n) => n.startsWith(p);
    case 'end':
      return (n) => n.endsWith(p);
    case 'sub':
      return (n) => n.includes(p);
    case 'reg': {
      const re = compileRegex(pattern, true, label);
      return (n) => re.test(n);
    }
    default:
      throw new RuleError(
        'HAP_RULE_ARGS',
        `'${label}' : '-m' expects 'str', 'beg', 'end', 'sub' or 'reg', got '${method}'.`,
      );
  }
}

const delHeader: HttpActionRow = {
  name: 'del-header',
  compile(args, _p, _ctx, label) {
    needArgs(args, 1, label, '<name> as argument');
    let method = 'str';
    if (args[1] === '-m') {
      if (args[2] === undefined) throw new RuleError('HAP_RULE_ARGS', `'${label}' : '-m' expects a method.`);
      method = args[2];
    } else if (args.length > 1) throw new RuleError('HAP_RULE_ARGS', `'${label}' : unexpected '${args[1]}'.`);
    const match = nameMatcher(args[0]!, method, label);
    return {
      run(_env, msg) {
        const h = msg.headers;
        let w = 0;
        for (let r = 0; r < h.length; r += 2) {
          if (match((h[r] as string).toLowerCase())) continue;
          if (w !== r) {
            h[w] = h[r]!;
            h[w + 1] = h[r + 1]!;
          }
          w += 2;
        }
        h.length = w;
        return V_CONTINUE;
      },
    };
  },
};

/**
 * replace-header: the whole value of each field named <name> that the regex matches is
 * replaced. replace-value: each comma-separated value the regex matches is replaced, with the
 * blanks around it (HAProxy replaces a value together with its surrounding whitespace, so
 * `a, b, a` becomes `A, b,A`).
 */
function replaceRow(name: string, perValue: boolean): HttpActionRow {
  return {
    name,
    compile(args, _p, ctx, label): HttpAction {
      needArgs(args, 3, label, '<name>, <regex> and <replace-fmt> as arguments');
      const lower = args[0]!.toLowerCase();
      const re = compileRegex(args[1]!, false, label);
      const fmt = compileLogFormat(args[2]!, ctx);
      const replaceOne = (value: string, replacement: string): string | undefined => {
        re.lastIndex = 0;
        const m = re.exec(value);
        return m === null ? undefined : expandReplacement(replacement, m);
      };
      return {
        run(env, msg) {
          const h = msg.headers;
          let replacement: string | undefined;
          for (let i = 0; i < h.length; i += 2) {
            if ((h[i] as string).toLowerCase() !== lower) continue;
            replacement ??= fmt.render(env);
            const value = h[i + 1] as string;
            h[i + 1] = perValue
              ? replaceEach(value, replacement, replaceOne)
              : (replaceOne(value, replacement) ?? value);
          }
          return V_CONTINUE;
        },
      };
    },
  };
}

/**
 * Applies `f` to each comma-separated value (trimmed). A value `f` leaves alone (undefined)
 * keeps its blanks; a replaced one loses them.
 */
function replaceEach(
  value: string,
  replacement: string,
  f: (v: string, r: string) => string | undefined,
): string {
  let out = '';
  let start = 0;
  while (start <= value.length) {
    const end = valueEnd(value, start);
    const part = value.slice(start, end);
    const core = part.trim();
    const replaced = core === '' ? undefined : f(core, replacement);
    out += replaced ?? part;
    if (end < value.length) out += ',';
    start = end + 1;
  }
  return out;
}

/** Where the value starting at `from` ends: the next comma outside a quoted string, or the end. */
function valueEnd(s: string, from: number): number {
  let quoted = false;
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (quoted) {
      if (c === 0x5c) i++;
      else if (c === 0x22) quoted = false;
    } else if (c === 0x22) quoted = true;
    else if (c === 0x2c) return i;
  }
  return s.length;
}

export const HEADER_ACTIONS: readonly HttpActionRow[] = [
  setHeader,
  addHeader,
  delHeader,
  replaceRow('replace-header', false),
  replaceRow('replace-value', true),
];
