/**
 * The proxy `cookie` keyword (persistence cookie, manual §4.2 "cookie"): its words are read
 * once here, by the keyword row (which reports HAProxy's alerts and warnings) and by the
 * runtime (which builds the persistence from the same settings).
 */

import { parseTime } from '../units.ts';

/** What one `cookie` line asks for. */
export interface CookieSettings {
  name: string;
  rewrite: boolean;
  insert: boolean;
  prefix: boolean;
  indirect: boolean;
  nocache: boolean;
  postonly: boolean;
  preserve: boolean;
  httponly: boolean;
  secure: boolean;
  dynamic: boolean;
  /** Every `domain` value, in order (each becomes a `domain=` attribute). */
  domains: string[];
  /** Seconds; 0 = not set. */
  maxidle: number;
  maxlife: number;
  /** Every `attr` value, in order. */
  attrs: string[];
}

export interface CookieParse {
  settings: CookieSettings | undefined;
  alerts: string[];
  warnings: string[];
  /**
   * HAProxy prints the messages about an option's value (domain, maxidle, maxlife, attr) as
   * "parsing [f:l]: ..." (no blank before the colon), the others as "parsing [f:l] : ...".
   */
  tight: boolean;
}

/** Characters HAProxy refuses in a cookie domain (anything but letters, digits, '-', '_', '.'). */
function badDomainChar(d: string): string | undefined {
  for (const ch of d) if (!/[A-Za-z0-9._-]/.test(ch)) return ch;
  return undefined;
}

function seconds(word: string | undefined, option: string, alerts: string[], what: string): number {
  if (word === undefined || word === '') {
    alerts.push(`'${option}' expects <${what}> in seconds as argument.`);
    return -1;
  }
  const t = parseTime(word, 's');
  if (t.ok) return Math.floor(t.ms / 1000);
  if (t.reason === 'timer overflow')
    alerts.push(
      `timer overflow in argument <${word}> to <${option}>, maximum value is 2147483647 s (~68 years).`,
    );
  else if (t.reason === 'timer underflow')
    alerts.push(`timer underflow in argument <${word}> to <${option}>, minimum non-null value is 1 s.`);
  else alerts.push(`${t.reason} in argument to <${option}>.`);
  return -1;
}

/** Reads `cookie <name> [options]` (args[0] is 'cookie'). */
export function parseCookieArgs(args: readonly string[]): CookieParse {
  const alerts: string[] = [];
  const warnings: string[] = [];
  const name = args[1];
  if (name === undefined || name === '') {
    alerts.push("'cookie' expects <cookie_name> as argument.");
    return { settings: undefined, alerts, warnings, tight: false };
  }
  const s: CookieSettings = {
    name,
    rewrite: false,
    insert: false,
    prefix: false,
    indirect: false,
    nocache: false,
    postonly: false,
    preserve: false,
    httponly: false,
    secure: false,
    dynamic: false,
    domains: [],
    maxidle: 0,
    maxlife: 0,
    attrs: [],
  };
  for (let i = 2; i < args.length; i++) {
    const w = args[i]!;
    switch (w) {
      case 'rewrite':
      case 'insert':
      case 'prefix':
      case 'indirect':
      case 'nocache':
      case 'postonly':
      case 'preserve':
      case 'httponly':
      case 'secure':
      case 'dynamic':
        s[w] = true;
        break;
      case 'domain': {
        const d = args[++i];
        if (d === undefined || d === '') {
          alerts.push("'domain' expects <domain> as argument.");
          return { settings: undefined, alerts, warnings, tight: true };
        }
        if (!d.includes('.'))
          warnings.push(
            `domain '${d}' contains no embedded dot, this configuration may not work properly (see RFC6265#5.2.3).`,
          );
        const bad = badDomainChar(d);
        if (bad !== undefined) {
          alerts.push(`character '${bad}' is not permitted in domain name '${d}'.`);
          return { settings: undefined, alerts, warnings, tight: true };
        }
        s.domains.push(d);
        break;
      }
      case 'maxidle':
      case 'maxlife': {
        const v = seconds(args[++i], w, alerts, w === 'maxidle' ? 'idletime' : 'lifetime');
        if (v < 0) return { settings: undefined, alerts, warnings, tight: true };
        s[w] = v;
        break;
      }
      case 'attr': {
        const v = args[++i];
        if (v === undefined || v === '') {
          alerts.push("'attr' expects <value> as argument.");
          return { settings: undefined, alerts, warnings, tight: true };
        }
        for (const ch of v) {
          const c = ch.charCodeAt(0);
          if (c < 0x20 || c === 0x7f || ch === ';') {
            alerts.push(
              `character '%x${c.toString(16).toUpperCase().padStart(2, '0')}' is not permitted in attribute value.`,
            );
            return { settings: undefined, alerts, warnings, tight: true };
          }
        }
        s.attrs.push(v);
        break;
      }
      default:
        alerts.push(
          "'cookie' supports 'rewrite', 'insert', 'prefix', 'indirect', 'nocache', 'postonly', 'domain', 'maxidle', 'dynamic', 'maxlife' and 'attr' options.",
        );
        return { settings: undefined, alerts, warnings, tight: false };
    }
  }
  if (s.rewrite && s.indirect) alerts.push("cookie 'rewrite' and 'indirect' modes are incompatible.");
  if (Number(s.rewrite) + Number(s.insert) + Number(s.prefix) > 1)
    alerts.push("cookie 'rewrite', 'insert' and 'prefix' modes are incompatible.");
  if (s.preserve && !s.insert && !s.indirect)
    alerts.push("cookie 'preserve' requires at least 'insert' or 'indirect'.");
  return { settings: alerts.length > 0 ? undefined : s, alerts, warnings, tight: false };
}
