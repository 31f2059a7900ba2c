// From configuration words (`option httpchk …`, `http-check …`, `tcp-check …`, server
// options) to CheckSpecs. Words arrive as the configuration tokenizer yields them: quotes
// and backslash escapes already resolved.
import { CheckConfigError } from './errors.ts';
import { compileRuleset } from './rules.ts';
import { isCheckStatus } from './status.ts';
import type {
  AgentSpec,
  CheckerOptions,
  CheckKind,
  CheckRule,
  CheckSpec,
  ExpectMatch,
  HeaderMatchMethod,
  ObserveMode,
  OnErrorMode,
} from './types.ts';

export interface ServerCheckConfig {
  readonly name: string;
  /** The server's address (host part) and port (0 when absent). */
  readonly addr: string;
  readonly port: number;
  /** Server line options, `default-server` ones merged in: `inter` → "100", flags → true. */
  readonly options: Readonly<Record<string, string | true>>;
}

export interface BackendCheckConfig {
  readonly name: string;
  /** How HAProxy names the section in its messages: 'proxy' for a `listen`, else 'backend'. */
  readonly label?: 'backend' | 'proxy';
  /**
   * Every line of the backend (its defaults' lines first), as words. Lines that are not
   * about checks are ignored, so a section's whole directive list may be passed.
   */
  readonly lines: readonly (readonly string[])[];
  readonly servers: readonly ServerCheckConfig[];
}

const CHECK_OPTIONS = new Set([
  'httpchk',
  'tcp-check',
  'redis-check',
  'mysql-check',
  'pgsql-check',
  'smtpchk',
  'ldap-check',
  'ssl-hello-chk',
  'external-check',
  'spop-check',
]);

const fail = (code: ConstructorParameters<typeof CheckConfigError>[0], message: string) =>
  new CheckConfigError(code, message);

/** HAProxy time: a number with an optional unit (us, ms, s, m, h, d); ms by default. */
export function parseTime(word: string, what: string): number {
  // characters after the unit are ignored, as HAProxy 2.6 does (its configuration check warns)
  const m = /^(\d+)(us|ms|s|m|h|d)?(.*)$/.exec(word);
  if (!m || (m[2] === undefined && m[3] !== ''))
    throw fail('HAP_ERR_CHECK_VALUE', `'${what}' expects a time (e.g. 100, 2s, 500ms), got '${word}'`);
  const n = Number(m[1]);
  switch (m[2]) {
    case 'us':
      return Math.ceil(n / 1000);
    case 's':
      return n * 1000;
    case 'm':
      return n * 60_000;
    case 'h':
      return n * 3_600_000;
    case 'd':
      return n * 86_400_000;
    default:
      return n;
  }
}

function parseCount(word: string | true | undefined, what: string, min: number, max: number): number {
  if (typeof word !== 'string' || !/^\d+$/.test(word) || Number(word) < min || Number(word) > max) {
    throw fail(
      'HAP_ERR_CHECK_VALUE',
      `'${what}' expects an integer from ${min} to ${max}, got '${String(word)}'`,
    );
  }
  return Number(word);
}

function parsePort(word: string | true | undefined, what: string): number {
  return parseCount(word, what, 1, 65535);
}

/** `%%` is a plain '%'; other log-format expressions cannot be evaluated here. */
function literal(word: string, what: string): string {
  if (/%[[{A-Za-z]/.test(word.replace(/%%/g, ''))) {
    throw fail(
      'HAP_ERR_CHECK_UNSUPPORTED',
      `'${what}': log-format expressions are not supported ('${word}')`,
    );
  }
  return word.replace(/%%/g, '%');
}

// ---- rules --------------------------------------------------------------------------------

function need(args: readonly string[], i: number, what: string, expects: string): string {
  const v = args[i];
  if (v === undefined || v === '') throw fail('HAP_ERR_CHECK_SYNTAX', `'${what}' expects ${expects}`);
  return v;
}

function parseConnect(args: readonly string[], kw: string): CheckRule {
  let port: number | undefined;
  let addr: string | undefined;
  let sendProxy = false;
  let useDefaults = false;
  let linger = false;
  let comment: string | undefined;
  for (let i = 2; i < args.length; i++) {
    const a = args[i] ?? '';
    switch (a) {
      case 'default':
        useDefaults = true;
        break;
      case 'port':
        port = parsePort(need(args, ++i, `${kw} connect port`, 'a port number'), `${kw} connect port`);
        break;
      case 'addr':
        addr = need(args, ++i, `${kw} connect addr`, '<ipv4|ipv6> as argument');
        break;
      case 'send-proxy':
        sendProxy = true;
        break;
      case 'linger':
        linger = true;
        break;
      case 'comment':
        comment = need(args, ++i, `${kw} connect comment`, 'a string as argument');
        break;
      case 'ssl':
      case 'sni':
      case 'alpn':
      case 'proto':
      case 'via-socks4':
        throw fail(
          'HAP_ERR_CHECK_UNSUPPORTED',
          `'${kw} connect ${a}' is not supported (no TLS, SOCKS or mux choice in checks)`,
        );
      default:
        throw fail(
          'HAP_ERR_CHECK_SYNTAX',
          `'${kw} connect' expects 'comment', 'port', 'addr', 'send-proxy', 'linger' or 'default' but got '${a}'`,
        );
    }
  }
  return {
    action: 'connect',
    ...(port !== undefined ? { port } : {}),
    ...(addr !== undefined ? { addr } : {}),
    ...(comment !== undefined ? { comment } : {}),
    sendProxy,
    useDefaults,
    linger,
  };
}

function parseTcpSend(args: readonly string[]): CheckRule {
  const verb = args[1] ?? '';
  if (verb === 'send-lf' || verb === 'send-binary-lf') {
    throw fail('HAP_ERR_CHECK_UNSUPPORTED', `'tcp-check ${verb}': log-format strings are not supported`);
  }
  const data = need(
    args,
    2,
    `tcp-check ${verb}`,
    verb === 'send' ? 'a string as argument' : 'a binary string as argument',
  );
  let comment: string | undefined;
  for (let i = 3; i < args.length; i++) {
    if (args[i] === 'comment') comment = need(args, ++i, `tcp-check ${verb} comment`, 'a string as argument');
    else
      throw fail(
        'HAP_ERR_CHECK_SYNTAX',
        `'tcp-check ${verb}' expects 'comment' but got '${args[i]}' as argument`,
      );
  }
  let payload: string | Uint8Array = data;
  if (verb === 'send-binary') {
    if (!/^([0-9a-fA-F]{2})+$/.test(data)) {
      throw fail(
        'HAP_ERR_CHECK_VALUE',
        `'tcp-check send-binary': '${data}' is not an even number of hex digits`,
      );
    }
    payload = Buffer.from(data, 'hex');
  }
  return { action: 'send', data: payload, ...(comment !== undefined ? { comment } : {}) };
}

interface HttpSendParts {
  method?: string;
  uri?: string;
  version?: string;
  headers: [string, string][];
  body?: string;
  comment?: string;
}

function parseHttpSend(args: readonly string[], from: number): HttpSendParts {
  const out: HttpSendParts = { headers: [] };
  for (let i = from; i < args.length; i++) {
    const a = args[i] ?? '';
    switch (a) {
      case 'meth':
        out.method = need(args, ++i, 'http-check send meth', 'a string as argument');
        break;
      case 'uri':
        out.uri = need(args, ++i, 'http-check send uri', 'a string as argument');
        break;
      case 'ver':
        out.version = need(args, ++i, 'http-check send ver', 'a string as argument');
        break;
      case 'hdr': {
        const name = need(args, ++i, 'http-check send hdr', '<name> and <value> as arguments');
        const value = need(args, ++i, 'http-check send hdr', '<name> and <value> as arguments');
        out.headers.push([name, literal(value, 'http-check send hdr')]);
        break;
      }
      case 'body':
        out.body = literal(
          need(args, ++i, 'http-check send body', 'a string as argument'),
          'http-check send body',
        );
        break;
      case 'comment':
        out.comment = need(args, ++i, 'http-check send comment', 'a string as argument');
        break;
      case 'uri-lf':
      case 'body-lf':
        throw fail(
          'HAP_ERR_CHECK_UNSUPPORTED',
          `'http-check send ${a}': log-format strings are not supported`,
        );
      default:
        throw fail(
          'HAP_ERR_CHECK_SYNTAX',
          `'http-check send' expects 'comment', 'meth', 'uri', 'ver', 'hdr' or 'body' but got '${a}' as argument`,
        );
    }
  }
  return out;
}

function parseStatusCodes(word: string): [number, number][] {
  const out: [number, number][] = [];
  for (const part of word.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m)
      throw fail('HAP_ERR_CHECK_VALUE', `'http-check expect status': invalid status code or range '${part}'`);
    const lo = Number(m[1]);
    out.push([lo, m[2] !== undefined ? Number(m[2]) : lo]);
  }
  return out;
}

function parseMethod(word: string | undefined): HeaderMatchMethod {
  if (word === 'str' || word === 'beg' || word === 'end' || word === 'sub' || word === 'reg') return word;
  throw fail(
    'HAP_ERR_CHECK_VALUE',
    `'http-check expect hdr -m' expects 'str', 'beg', 'end', 'sub' or 'reg', got '${String(word)}'`,
  );
}

function parseExpect(args: readonly string[], kw: 'tcp-check' | 'http-check'): CheckRule {
  const what = `${kw} expect`;
  let minRecv: number | undefined;
  let comment: string | undefined;
  let okStatus: string | undefined;
  let errorStatus: string | undefined;
  let timeoutStatus: string | undefined;
  let onSuccess: string | undefined;
  let onError: string | undefined;
  let negate = false;
  let match: ExpectMatch | undefined;
  for (let i = 2; i < args.length; i++) {
    let a = args[i] ?? '';
    switch (a) {
      case 'min-recv': {
        const v = need(args, ++i, `${what} min-recv`, 'an integer as argument');
        if (!/^-?\d+$/.test(v))
          throw fail('HAP_ERR_CHECK_VALUE', `'${what} min-recv' expects an integer, got '${v}'`);
        minRecv = Number(v);
        continue;
      }
      case 'comment':
        comment = need(args, ++i, `${what} comment`, 'a string as argument');
        continue;
      case 'ok-status':
      case 'error-status':
      case 'tout-status': {
        const v = need(args, ++i, `${what} ${a}`, 'a check status as argument');
        const allowed =
          a === 'ok-status'
            ? ['L7OK', 'L7OKC', 'L6OK', 'L4OK']
            : a === 'error-status'
              ? ['L7OKC', 'L7RSP', 'L7STS', 'L6RSP', 'L4CON']
              : ['L7TOUT', 'L6TOUT', 'L4TOUT'];
        if (!isCheckStatus(v) || !allowed.includes(v)) {
          throw fail(
            'HAP_ERR_CHECK_VALUE',
            `'${what} ${a}' only supports ${allowed.map((s) => `'${s}'`).join(', ')}, got '${v}'`,
          );
        }
        if (a === 'ok-status') okStatus = v;
        else if (a === 'error-status') errorStatus = v;
        else timeoutStatus = v;
        continue;
      }
      case 'on-success':
        onSuccess = literal(
          need(args, ++i, `${what} on-success`, 'a string as argument'),
          `${what} on-success`,
        );
        continue;
      case 'on-error':
        onError = literal(need(args, ++i, `${what} on-error`, 'a string as argument'), `${what} on-error`);
        continue;
      case 'status-code':
        throw fail(
          'HAP_ERR_CHECK_UNSUPPORTED',
          `'${what} status-code': sample expressions are not supported`,
        );
      case '!':
        negate = true;
        continue;
    }
    if (a.startsWith('!')) {
      negate = true;
      a = a.slice(1);
    }
    if (match !== undefined)
      throw fail('HAP_ERR_CHECK_SYNTAX', `'${what}': unexpected '${a}' after the pattern`);
    const pattern = () => need(args, i + 1, `${what} ${a}`, 'a pattern as argument');
    switch (a) {
      case 'string':
        match = { kind: 'string', value: pattern() };
        i++;
        break;
      case 'rstring':
        match = { kind: 'rstring', pattern: pattern() };
        i++;
        break;
      case 'binary': {
        const hex = pattern();
        if (!/^([0-9a-fA-F]{2})+$/.test(hex))
          throw fail('HAP_ERR_CHECK_VALUE', `'${what} binary': '${hex}' is not an even number of hex digits`);
        match = { kind: 'binary', hex };
        i++;
        break;
      }
      case 'rbinary':
        match = { kind: 'rbinary', pattern: pattern() };
        i++;
        break;
      case 'status':
        match = { kind: 'status', codes: parseStatusCodes(pattern()) };
        i++;
        break;
      case 'rstatus':
        match = { kind: 'rstatus', pattern: pattern() };
        i++;
        break;
      case 'hdr':
      case 'fhdr': {
        let j = i + 1;
        if (args[j] !== 'name')
          throw fail('HAP_ERR_CHECK_SYNTAX', `'${what} ${a}' expects 'name' then the header name`);
        j++;
        let nameMethod: HeaderMatchMethod = 'str';
        if (args[j] === '-m') {
          nameMethod = parseMethod(args[j + 1]);
          j += 2;
        }
        const name = need(args, j, `${what} ${a} name`, 'a header name');
        j++;
        let value: string | undefined;
        let valueMethod: HeaderMatchMethod = 'str';
        if (args[j] === 'value') {
          j++;
          if (args[j] === '-m') {
            valueMethod = parseMethod(args[j + 1]);
            j += 2;
          }
          value = need(args, j, `${what} ${a} value`, 'a header value');
          j++;
        } else if (args[j] === 'name-lf' || args[j] === 'value-lf') {
          throw fail(
            'HAP_ERR_CHECK_UNSUPPORTED',
            `'${what} ${a} ${args[j]}': log-format strings are not supported`,
          );
        }
        match = { kind: a, name, nameMethod, valueMethod, ...(value !== undefined ? { value } : {}) };
        i = j - 1;
        if (j < args.length)
          throw fail('HAP_ERR_CHECK_SYNTAX', `'${what}': unexpected '${args[j]}' after the header pattern`);
        break;
      }
      case 'string-lf':
      case 'binary-lf':
      case 'custom':
        throw fail('HAP_ERR_CHECK_UNSUPPORTED', `'${what} ${a}' is not supported`);
      default:
        throw fail(
          'HAP_ERR_CHECK_SYNTAX',
          `'${what}' expects 'min-recv', 'comment', 'ok-status', 'error-status', 'tout-status', 'on-success', 'on-error', '!' or a match (${kw === 'http-check' ? "'status', 'rstatus', 'hdr', 'fhdr', 'string', 'rstring'" : "'string', 'rstring', 'binary', 'rbinary'"}) but got '${a}'`,
        );
    }
  }
  if (!match) throw fail('HAP_ERR_CHECK_SYNTAX', `'${what}' expects a match and a pattern`);
  // Regular expressions are checked now, even for a ruleset that ends up unused.
  const rx =
    match.kind === 'rstring' || match.kind === 'rbinary' || match.kind === 'rstatus'
      ? match.pattern
      : undefined;
  if (rx !== undefined) {
    try {
      new RegExp(rx);
    } catch (e) {
      throw fail(
        'HAP_ERR_CHECK_REGEX',
        `'${what} ${match.kind}': invalid regular expression '${rx}': ${(e as Error).message}`,
      );
    }
  }
  const httpOnly =
    match.kind === 'status' || match.kind === 'rstatus' || match.kind === 'hdr' || match.kind === 'fhdr';
  const tcpOnly = match.kind === 'binary' || match.kind === 'rbinary';
  if ((kw === 'tcp-check' && httpOnly) || (kw === 'http-check' && tcpOnly)) {
    throw fail('HAP_ERR_CHECK_SYNTAX', `'${what}': '${match.kind}' is not a ${kw} match`);
  }
  return {
    action: 'expect',
    match,
    negate,
    ...(minRecv !== undefined ? { minRecv } : {}),
    ...(comment !== undefined ? { comment } : {}),
    ...(okStatus !== undefined ? { okStatus: okStatus as 'L7OK' } : {}),
    ...(errorStatus !== undefined ? { errorStatus: errorStatus as 'L7RSP' } : {}),
    ...(timeoutStatus !== undefined ? { timeoutStatus: timeoutStatus as 'L7TOUT' } : {}),
    ...(onSuccess !== undefined ? { onSuccess } : {}),
    ...(onError !== undefined ? { onError } : {}),
  };
}

// ---- a backend's settings -----------------------------------------------------------------

interface BackendChecks {
  kind: CheckKind;
  logHealthChecks: boolean;
  disableOn404: boolean;
  sendState: boolean;
  timeoutCheck: number | undefined;
  timeoutConnect: number | undefined;
}

function backendChecks(lines: readonly (readonly string[])[]): BackendChecks {
  let option: readonly string[] | undefined;
  const tcpRules: CheckRule[] = [];
  const httpRules: CheckRule[] = [];
  let httpSendSeen = false;
  let logHealthChecks = false;
  let disableOn404 = false;
  let sendState = false;
  let timeoutCheck: number | undefined;
  let timeoutConnect: number | undefined;
  for (const raw of lines) {
    const no = raw[0] === 'no';
    const words = no || raw[0] === 'default' ? raw.slice(1) : raw;
    const [kw, sub] = words;
    const line = words.join(' ');
    try {
      if (kw === 'option' && sub === 'log-health-checks') logHealthChecks = !no;
      else if (kw === 'option' && sub !== undefined && CHECK_OPTIONS.has(sub)) {
        if (sub === 'external-check' || sub === 'spop-check') {
          throw fail('HAP_ERR_CHECK_UNSUPPORTED', `'option ${sub}' is not supported`);
        }
        option = no ? undefined : words;
      } else if (kw === 'timeout' && (sub === 'check' || sub === 'connect')) {
        const t = parseTime(need(words, 2, `timeout ${sub}`, 'a time as argument'), `timeout ${sub}`);
        if (sub === 'check') timeoutCheck = t;
        else timeoutConnect = t;
      } else if (kw === 'tcp-check') {
        if (sub === 'connect') tcpRules.push(parseConnect(words, 'tcp-check'));
        else if (sub?.startsWith('send')) tcpRules.push(parseTcpSend(words));
        else if (sub === 'expect') tcpRules.push(parseExpect(words, 'tcp-check'));
        else if (sub === 'comment')
          tcpRules.push({
            action: 'comment',
            text: need(words, 2, 'tcp-check comment', 'a string as argument'),
          });
        else if (sub?.startsWith('set-var') || sub?.startsWith('unset-var')) {
          throw fail('HAP_ERR_CHECK_UNSUPPORTED', `'tcp-check ${sub}': variables are not supported`);
        } else {
          throw fail(
            'HAP_ERR_CHECK_SYNTAX',
            `'tcp-check' only supports 'comment', 'connect', 'send', 'send-binary', 'expect' but got '${String(sub)}'`,
          );
        }
      } else if (kw === 'http-check') {
        if (sub === 'disable-on-404') disableOn404 = true;
        else if (sub === 'send-state') sendState = true;
        else if (sub === 'connect') httpRules.push(parseConnect(words, 'http-check'));
        else if (sub === 'send') {
          const p = parseHttpSend(words, 2);
          // A repeated header name in one send is refused by HAProxy too.
          const names = p.headers.map(([n]) => n.toLowerCase());
          const dup = names.find((n, i) => names.indexOf(n) !== i);
          if (dup !== undefined)
            throw fail('HAP_ERR_CHECK_VALUE', `'http-check send hdr': '${dup}' header already defined`);
          httpRules.push(sendRule(p));
          httpSendSeen = true;
        } else if (sub === 'expect') httpRules.push(parseExpect(words, 'http-check'));
        else if (sub === 'comment')
          httpRules.push({
            action: 'comment',
            text: need(words, 2, 'http-check comment', 'a string as argument'),
          });
        else if (sub?.startsWith('set-var') || sub?.startsWith('unset-var')) {
          throw fail('HAP_ERR_CHECK_UNSUPPORTED', `'http-check ${sub}': variables are not supported`);
        } else {
          throw fail(
            'HAP_ERR_CHECK_SYNTAX',
            `'http-check' only supports 'disable-on-404', 'send-state', 'comment', 'connect', 'send', 'expect' but got '${String(sub)}'`,
          );
        }
      }
    } catch (e) {
      if (e instanceof CheckConfigError) throw e.at(`'${line}'`);
      throw e;
    }
  }
  void httpSendSeen;
  const kind = kindOf(option, tcpRules, httpRules);
  return { kind, logHealthChecks, disableOn404, sendState, timeoutCheck, timeoutConnect };
}

function sendRule(p: HttpSendParts): CheckRule {
  return {
    action: 'send-http',
    ...(p.method !== undefined ? { method: p.method } : {}),
    ...(p.uri !== undefined ? { uri: p.uri } : {}),
    ...(p.version !== undefined ? { version: p.version } : {}),
    headers: p.headers,
    ...(p.body !== undefined ? { body: p.body } : {}),
    ...(p.comment !== undefined ? { comment: p.comment } : {}),
  };
}

function kindOf(
  option: readonly string[] | undefined,
  tcpRules: CheckRule[],
  httpRules: CheckRule[],
): CheckKind {
  if (!option) return { type: 'tcp' };
  const sub = option[1];
  const args = option.slice(2);
  const line = option.join(' ');
  const tooMany = (max: number) => {
    if (args.length > max)
      throw fail('HAP_ERR_CHECK_SYNTAX', `'option ${sub}' cannot handle more than ${max} argument(s)`).at(
        `'${line}'`,
      );
  };
  switch (sub) {
    case 'tcp-check':
      tooMany(0);
      return { type: 'tcp-check', rules: tcpRules };
    case 'redis-check':
      tooMany(0);
      return { type: 'redis' };
    case 'ldap-check':
      tooMany(0);
      return { type: 'ldap' };
    case 'ssl-hello-chk':
      tooMany(0);
      return { type: 'ssl-hello' };
    case 'smtpchk': {
      tooMany(2);
      const [hello, domain] = args;
      // Anything but HELO/EHLO with a domain falls back to HELO localhost, as HAProxy does.
      if ((hello === 'HELO' || hello === 'EHLO') && domain) return { type: 'smtp', hello, domain };
      return { type: 'smtp', hello: 'HELO', domain: 'localhost' };
    }
    case 'pgsql-check':
      tooMany(2);
      if (args[0] !== 'user' || !args[1]) {
        throw fail('HAP_ERR_CHECK_SYNTAX', `'option pgsql-check' expects 'user <username>' as argument`).at(
          `'${line}'`,
        );
      }
      return { type: 'pgsql', user: args[1] };
    case 'mysql-check': {
      tooMany(3);
      if (args.length === 0) return { type: 'mysql', post41: true };
      if (args[0] !== 'user') {
        throw fail(
          'HAP_ERR_CHECK_SYNTAX',
          `'option mysql-check' only supports optional values: 'user' (got '${args[0]}')`,
        ).at(`'${line}'`);
      }
      if (!args[1])
        throw fail('HAP_ERR_CHECK_SYNTAX', `'option mysql-check user' expects <username> as argument`).at(
          `'${line}'`,
        );
      const v = args[2];
      if (v !== undefined && v !== 'post-41' && v !== 'pre-41') {
        throw fail(
          'HAP_ERR_CHECK_SYNTAX',
          `'option mysql-check user' only supports 'post-41' and 'pre-41' (got '${v}')`,
        ).at(`'${line}'`);
      }
      return { type: 'mysql', user: args[1], post41: v !== 'pre-41' };
    }
    default: {
      tooMany(3);
      // option httpchk [<method>] <uri> [<version>]
      let method: string | undefined;
      let uri: string | undefined;
      let version: string | undefined;
      if (args.length === 1) uri = args[0];
      else if (args.length >= 2) {
        method = args[0];
        uri = args[1];
        version = args[2];
      }
      // 2.6 still reads headers (and a body after an empty line) hidden after the version
      // (`HTTP/1.1\r\nHost: x`), deprecated: the configuration check warns about it
      let hidden: { headers: [string, string][]; body?: string } | undefined;
      const cut = version?.indexOf('\r\n') ?? -1;
      if (version !== undefined && cut >= 0) {
        hidden = hiddenHeaders(version.slice(cut + 2));
        version = version.slice(0, cut);
      }
      return { type: 'http', rules: mergeHttpOption(httpRules, method, uri, version, hidden) };
    }
  }
}

/** `Name: value` lines, then an optional body after an empty line, as written after the version. */
function hiddenHeaders(text: string): { headers: [string, string][]; body?: string } {
  const headers: [string, string][] = [];
  const lines = text.split('\r\n');
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (l === '') {
      const body = lines.slice(i + 1).join('\r\n');
      return body === '' ? { headers } : { headers, body };
    }
    const colon = l.indexOf(':');
    if (colon > 0) headers.push([l.slice(0, colon).trim(), l.slice(colon + 1).trim()]);
  }
  return { headers };
}

/** The option's request line goes into the first send (explicit values win), or becomes one. */
function mergeHttpOption(
  rules: CheckRule[],
  method?: string,
  uri?: string,
  version?: string,
  hidden?: { headers: [string, string][]; body?: string },
): CheckRule[] {
  const out = [...rules];
  const real = out.map((r, i) => [r, i] as const).filter(([r]) => r.action !== 'comment');
  let at = 0;
  let pos = 0;
  if (real[0]?.[0].action === 'connect') {
    at = 1;
    pos = (real[0]?.[1] ?? 0) + 1;
  }
  const cand = real[at];
  const base: CheckRule = {
    action: 'send-http',
    ...(method !== undefined ? { method } : {}),
    ...(uri !== undefined ? { uri } : {}),
    ...(version !== undefined ? { version } : {}),
    ...(hidden !== undefined ? { headers: hidden.headers } : {}),
    ...(hidden?.body !== undefined ? { body: hidden.body } : {}),
  };
  if (cand && cand[0].action === 'send-http') {
    const r = cand[0];
    out[cand[1]] = {
      ...r,
      ...(r.method === undefined && method !== undefined ? { method } : {}),
      ...(r.uri === undefined && uri !== undefined ? { uri } : {}),
      ...(r.version === undefined && version !== undefined ? { version } : {}),
    };
  } else {
    out.splice(pos, 0, base);
  }
  return out;
}

// ---- servers ------------------------------------------------------------------------------

function serverSpec(
  be: string,
  b: BackendChecks,
  s: ServerCheckConfig,
  label: 'backend' | 'proxy',
): CheckSpec | undefined {
  const o = s.options;
  const flag = (name: string) => o[name] !== undefined;
  const check = flag('check') && !flag('no-check');
  const agentOn = flag('agent-check') && !flag('no-agent-check');
  if (!check && !agentOn) return undefined;
  for (const unsupported of ['check-proto', 'check-via-socks4', 'track']) {
    if (flag(unsupported))
      throw fail('HAP_ERR_CHECK_UNSUPPORTED', `'${unsupported}' is not supported by haproxyd's checks`);
  }
  // HAProxy runs an HTTP check of a `proto h2` server over HTTP/2 (its mux): not done here yet
  if (check && o['proto'] === 'h2' && b.kind.type === 'http')
    throw fail(
      'HAP_ERR_CHECK_UNSUPPORTED',
      `HTTP checks of a 'proto h2' server (sent over HTTP/2 by HAProxy) are not supported yet`,
    );
  if (flag('init-state'))
    throw fail(
      'HAP_ERR_CHECK_UNSUPPORTED',
      `'init-state' does not exist in HAProxy 2.6 (servers with checks start up)`,
    );
  if (typeof o['addr'] === 'string' && o['addr'] === '')
    throw fail('HAP_ERR_CHECK_VALUE', `'addr' expects an address`);
  const time = (name: string, dflt: number) => {
    const v = o[name];
    if (v === undefined) return dflt;
    if (v === true) throw fail('HAP_ERR_CHECK_VALUE', `'${name}' expects a time as argument`);
    const t = parseTime(v, name);
    if (t === 0 && name !== 'slowstart') throw fail('HAP_ERR_CHECK_VALUE', `'${name}' has to be > 0`);
    return t;
  };
  const inter = time('inter', 2000);
  const fastinter = time('fastinter', 0);
  const downinter = time('downinter', 0);
  const rise = o['rise'] !== undefined ? parseCount(o['rise'], 'rise', 1, 1_000_000) : 2;
  const fall = o['fall'] !== undefined ? parseCount(o['fall'], 'fall', 1, 1_000_000) : 3;
  const checkAddr = typeof o['addr'] === 'string' ? o['addr'] : s.addr;
  let port = o['port'] !== undefined ? parsePort(o['port'], 'port') : s.port;
  if (check && port === 0) {
    // Only a ruleset starting with `connect port N` can do without a port.
    const first =
      b.kind.type === 'tcp-check' || b.kind.type === 'http'
        ? b.kind.rules.find((r) => r.action !== 'comment')
        : undefined;
    if (first?.action === 'connect' && first.port !== undefined) port = first.port;
    else {
      throw fail('HAP_ERR_CHECK_NO_PORT', `has neither service port nor check port`);
    }
  }
  const overridden = o['port'] !== undefined || o['addr'] !== undefined;
  const weight = o['weight'] !== undefined ? parseCount(o['weight'], 'weight', 0, 256) : 1;
  let agent: AgentSpec | undefined;
  if (agentOn) {
    if (o['agent-port'] === undefined) throw fail('HAP_ERR_CHECK_VALUE', `'agent-check' needs 'agent-port'`);
    const send = o['agent-send'];
    agent = {
      addr: typeof o['agent-addr'] === 'string' ? o['agent-addr'] : checkAddr,
      port: parsePort(o['agent-port'], 'agent-port'),
      inter: time('agent-inter', 2000),
      ...(typeof send === 'string' ? { send } : {}),
      ...(typeof o['agent-addr'] === 'string'
        ? { ownAddr: o['agent-addr'] }
        : typeof o['addr'] === 'string'
          ? { ownAddr: o['addr'] }
          : {}),
    };
  }
  const observe = o['observe'];
  if (observe !== undefined && observe !== 'layer4' && observe !== 'layer7' && observe !== 'none') {
    throw fail(
      'HAP_ERR_CHECK_VALUE',
      `'observe' expects one of 'none', 'layer4', 'layer7' but got '${String(observe)}'`,
    );
  }
  const onError = o['on-error'] ?? 'fail-check';
  if (
    onError !== 'fastinter' &&
    onError !== 'fail-check' &&
    onError !== 'sudden-death' &&
    onError !== 'mark-down'
  ) {
    throw fail(
      'HAP_ERR_CHECK_VALUE',
      `'on-error' expects one of 'fastinter', 'fail-check', 'sudden-death' or 'mark-down' but got '${String(onError)}'`,
    );
  }
  const omd = o['on-marked-down'];
  if (omd !== undefined && omd !== 'shutdown-sessions') {
    throw fail(
      'HAP_ERR_CHECK_VALUE',
      `'on-marked-down' expects 'shutdown-sessions' but got '${String(omd)}'`,
    );
  }
  const omu = o['on-marked-up'];
  if (omu !== undefined && omu !== 'shutdown-backup-sessions') {
    throw fail(
      'HAP_ERR_CHECK_VALUE',
      `'on-marked-up' expects 'shutdown-backup-sessions' but got '${String(omu)}'`,
    );
  }
  return {
    backend: be,
    label,
    server: s.name,
    addr: checkAddr,
    port,
    serverAddr: s.addr,
    serverPort: s.port,
    ...(typeof o['addr'] === 'string' ? { ownAddr: o['addr'] } : {}),
    ...(o['port'] !== undefined ? { ownPort: parsePort(o['port'], 'port') } : {}),
    weight,
    backup: flag('backup') && !flag('no-backup'),
    check,
    inter,
    fastinter,
    downinter,
    rise,
    fall,
    ...(b.timeoutCheck !== undefined ? { timeout: b.timeoutCheck } : {}),
    ...(b.timeoutConnect !== undefined ? { connectTimeout: b.timeoutConnect } : {}),
    kind: b.kind,
    // send-proxy is inherited by checks only when they go to the service address and port.
    sendProxy: flag('check-send-proxy') || (flag('send-proxy') && !overridden),
    disabled: flag('disabled') && !flag('enabled'),
    slowstart: time('slowstart', 0),
    logHealthChecks: b.logHealthChecks,
    disableOn404: b.disableOn404,
    sendState: b.sendState,
    ...(agent ? { agent } : {}),
    ...(observe === 'layer4' || observe === 'layer7' ? { observe: observe as ObserveMode } : {}),
    errorLimit:
      o['error-limit'] !== undefined ? parseCount(o['error-limit'], 'error-limit', 1, 1_000_000) : 10,
    onError: onError as OnErrorMode,
    ...(omd !== undefined ? { onMarkedDown: 'shutdown-sessions' as const } : {}),
    ...(omu !== undefined ? { onMarkedUp: 'shutdown-backup-sessions' as const } : {}),
    // TLS is inherited by checks only when they go to the service address and port
    ...((flag('check-ssl') && !flag('no-check-ssl')) || (flag('ssl') && !flag('no-ssl') && !overridden)
      ? { ssl: true }
      : {}),
    ...(typeof o['check-sni'] === 'string' ? { sni: o['check-sni'] } : {}),
    ...(typeof o['check-alpn'] === 'string' ? { alpn: o['check-alpn'].split(',') } : {}),
  };
}

/**
 * One CheckSpec per server with `check` or `agent-check`, in configuration order. Throws a
 * CheckConfigError naming the backend, the server or the line at the first problem.
 */
export function compileCheckSpecs(backends: BackendCheckConfig | readonly BackendCheckConfig[]): CheckSpec[] {
  const list: readonly BackendCheckConfig[] = Array.isArray(backends)
    ? backends
    : [backends as BackendCheckConfig];
  const out: CheckSpec[] = [];
  for (const be of list) {
    let b: BackendChecks;
    try {
      b = backendChecks(be.lines);
      // Validate the rule sequence now rather than when the checker starts.
      compileRuleset(b.kind);
    } catch (e) {
      if (e instanceof CheckConfigError) throw e.at(`backend '${be.name}'${e.where ? `, ${e.where}` : ''}`);
      throw e;
    }
    for (const s of be.servers) {
      try {
        const spec = serverSpec(be.name, b, s, be.label ?? 'backend');
        if (spec) out.push(spec);
      } catch (e) {
        if (e instanceof CheckConfigError)
          throw e.at(`backend '${be.name}', server '${s.name}'${e.where ? `, ${e.where}` : ''}`);
        throw e;
      }
    }
  }
  return out;
}

/** Global `spread-checks` and `max-spread-checks` lines as checker options. */
export function checkerOptionsFrom(lines: readonly (readonly string[])[]): CheckerOptions {
  let spreadChecks: number | undefined;
  let maxSpreadChecks: number | undefined;
  for (const words of lines) {
    if (words[0] === 'spread-checks') spreadChecks = parseCount(words[1], 'spread-checks', 0, 50);
    else if (words[0] === 'max-spread-checks')
      maxSpreadChecks = parseTime(need(words, 1, 'max-spread-checks', 'a time'), 'max-spread-checks');
  }
  return {
    ...(spreadChecks !== undefined ? { spreadChecks } : {}),
    ...(maxSpreadChecks !== undefined ? { maxSpreadChecks } : {}),
  };
}
