// A CheckKind turned into the step list the engine runs, built once per kind and shared by
// every server using it. Protocol checks are step lists too, as in HAProxy, so their
// messages and step numbers come out the same.
import { CheckConfigError } from './errors.ts';
import { buildHttpRequest } from './http.ts';
import type { CheckStatus } from './status.ts';
import type { CheckKind, CheckRule, ExpectMatch, HeaderMatchMethod } from './types.ts';

/** Which family a ruleset belongs to: it decides the wording of generic messages. */
export type Proto =
  | 'default'
  | 'tcp'
  | 'http'
  | 'redis'
  | 'mysql'
  | 'pgsql'
  | 'smtp'
  | 'ldap'
  | 'ssl-hello'
  | 'agent';

interface StepBase {
  /** Position among the configured lines: the step number printed is index + 1. */
  readonly index: number;
  readonly comment: string | undefined;
}

export interface ConnectStep extends StepBase {
  readonly action: 'connect';
  readonly implicit: boolean;
  readonly port: number | undefined;
  readonly addr: string | undefined;
  readonly sendProxy: boolean;
  readonly useDefaults: boolean;
}

export interface SendStep extends StepBase {
  readonly action: 'send';
  readonly data: Buffer;
  /** The ssl-hello request carries the time: built at each check. */
  readonly sslHello: boolean;
}

export interface HttpSendStep extends StepBase {
  readonly action: 'send-http';
  readonly head: Buffer;
  readonly tail: Buffer;
}

/** Outcome of judging an expect rule. */
export type Verdict =
  | { readonly kind: 'wait' }
  | { readonly kind: 'continue'; readonly code?: number }
  | { readonly kind: 'stop'; readonly status: CheckStatus; readonly info: string; readonly code: number }
  /** A custom expect that ends the check with success (MySQL, LDAP). */
  | { readonly kind: 'done'; readonly status: CheckStatus; readonly info: string; readonly code: number };

export type CustomExpect = (buf: Buffer, lastRead: boolean, isLast: boolean) => Verdict;

export interface ExpectStep extends StepBase {
  readonly action: 'expect';
  /** First expect of the run of consecutive expects this one belongs to (re-judged on more data). */
  readonly head: number;
  readonly match: ExpectMatch | undefined;
  readonly custom: CustomExpect | undefined;
  readonly regex: RegExp | undefined;
  readonly valueRegex: RegExp | undefined;
  readonly bytes: Buffer | undefined;
  readonly negate: boolean;
  readonly minRecv: number;
  readonly okStatus: CheckStatus | undefined;
  readonly errorStatus: CheckStatus | undefined;
  readonly timeoutStatus: CheckStatus | undefined;
  readonly onSuccess: ((buf: Buffer) => string) | undefined;
  readonly onError: ((buf: Buffer) => string) | undefined;
  readonly statusCode: ((buf: Buffer) => number | undefined) | undefined;
}

export type Step = ConnectStep | SendStep | HttpSendStep | ExpectStep;

export interface Ruleset {
  readonly proto: Proto;
  readonly steps: readonly Step[];
}

// ---- helpers for the built-in rulesets --------------------------------------------------

const text = (s: string) => () => s;
/** HAProxy's `res.payload(off,0)` as a C string (stops at NUL), optionally ltrim(' ') and cut_crlf. */
function payload(offset: number, ltrim: boolean, cutCrlf: boolean): (buf: Buffer) => string {
  return (buf) => {
    let s = buf.toString('latin1', Math.min(offset, buf.length));
    const nul = s.indexOf('\0');
    if (nul >= 0) s = s.slice(0, nul);
    if (ltrim) s = s.replace(/^ +/, '');
    if (cutCrlf) {
      const cut = s.search(/[\r\n]/);
      if (cut >= 0) s = s.slice(0, cut);
    }
    return s;
  };
}
const firstThreeDigits = (buf: Buffer): number | undefined => {
  const s = buf.toString('latin1', 0, 3);
  return /^\d+$/.test(s) ? Number(s) : undefined;
};

interface RawStep {
  readonly rule: CheckRule;
  readonly index: number;
  /** Extra settings the built-in rulesets use and the configuration language cannot say. */
  readonly extra?: {
    readonly custom?: CustomExpect;
    readonly onSuccess?: (buf: Buffer) => string;
    readonly onError?: (buf: Buffer) => string;
    readonly statusCode?: (buf: Buffer) => number | undefined;
  };
}

function hex(s: string): Buffer {
  return Buffer.from(s.replace(/\s+/g, ''), 'hex');
}

// ---- MySQL and LDAP replies: judged by code, as HAProxy's custom expect functions ----------

function mysqlPacket(offsetOf: (buf: Buffer) => number): CustomExpect {
  return (buf, lastRead, isLast) => {
    const offset = offsetOf(buf);
    if (buf.length < offset + 4) {
      return lastRead ? { kind: 'stop', status: 'L7RSP', info: '', code: 0 } : { kind: 'wait' };
    }
    const plen = buf.readUIntLE(offset, 3);
    if (buf.length < offset + plen + 4) {
      return lastRead ? { kind: 'stop', status: 'L7RSP', info: '', code: 0 } : { kind: 'wait' };
    }
    if (buf[offset + 4] === 0xff) {
      const code = (buf[offset + 5] ?? 0) + ((buf[offset + 6] ?? 0) << 8);
      return { kind: 'stop', status: 'L7STS', info: cString(buf, offset + 7), code };
    }
    if (!isLast) return { kind: 'continue' };
    // The server version, for information, as HAProxy reports it.
    return { kind: 'done', status: 'L7OK', info: cString(buf, 5), code: 0 };
  };
}

function cString(buf: Buffer, from: number): string {
  if (from >= buf.length) return '';
  const nul = buf.indexOf(0, from);
  return buf.toString('latin1', from, nul < 0 ? buf.length : nul);
}

const mysqlGreeting = mysqlPacket(() => 0);
const mysqlOk = mysqlPacket((buf) => (buf.length >= 3 ? 4 + buf.readUIntLE(0, 3) : 0));

const NOT_LDAP = 'Not LDAPv3 protocol';

const ldapBindResponse: CustomExpect = (buf, lastRead) => {
  const short: Verdict = lastRead ? { kind: 'stop', status: 'L7RSP', info: '', code: 0 } : { kind: 'wait' };
  let p = 1;
  const lenByte = buf[p] ?? 0;
  let nbytes = 0;
  let msglen: number;
  if (lenByte & 0x80) {
    nbytes = lenByte & 0x7f;
    if (buf.length < 1 + nbytes) return short;
    if (nbytes === 4) msglen = buf.readUInt32BE(p + 1);
    else if (nbytes === 2) msglen = buf.readUInt16BE(p + 1);
    else return { kind: 'stop', status: 'L7RSP', info: NOT_LDAP, code: 0 };
  } else {
    msglen = lenByte;
  }
  p += 1 + nbytes;
  if (buf.length < 2 + nbytes + msglen) return short;
  // messageID INTEGER 1, then bindResponse.
  if (!buf.subarray(p, p + 4).equals(Buffer.from([0x02, 0x01, 0x01, 0x61]))) {
    return { kind: 'stop', status: 'L7RSP', info: NOT_LDAP, code: 0 };
  }
  p += 4;
  const sizeByte = buf[p] ?? 0;
  p += 1 + (sizeByte & 0x80 ? sizeByte & 0x7f : 0);
  if (buf[p] !== 0x0a || buf[p + 1] !== 0x01)
    return { kind: 'stop', status: 'L7RSP', info: NOT_LDAP, code: 0 };
  const code = buf[p + 2] ?? 0;
  if (code !== 0) {
    return {
      kind: 'stop',
      status: 'L7STS',
      info: 'See RFC: http://tools.ietf.org/html/rfc4511#section-4.1.9',
      code,
    };
  }
  return { kind: 'done', status: 'L7OK', info: 'Success', code: 0 };
};

// ---- the built-in rulesets -----------------------------------------------------------------

// No session id, 39 common ciphers (0x01..0x1B, 0x2F..0x3A), NULL compression.
const SSLV3_CIPHERS = [
  ...Array.from({ length: 0x1b }, (_, i) => i + 1),
  ...Array.from({ length: 12 }, (_, i) => 0x2f + i),
];
const SSLV3_HELLO_TAIL = `00004E${SSLV3_CIPHERS.map((c) => c.toString(16).padStart(4, '0')).join('')}0100`;

/** SSLv3 CLIENT HELLO with the current time, as `option ssl-hello-chk` sends it. */
export function sslHello(nowSeconds: number): Buffer {
  const time = Buffer.alloc(4);
  time.writeUInt32BE(nowSeconds >>> 0);
  return Buffer.concat([
    hex('16 0300 0079 01 000075 0300'),
    time,
    Buffer.from('HAPROXYSSLCHK\nHAPROXYSSLCHK\n', 'latin1'),
    hex(SSLV3_HELLO_TAIL),
  ]);
}

function builtin(kind: CheckKind): { proto: Proto; raw: RawStep[] } | undefined {
  switch (kind.type) {
    case 'redis':
      return {
        proto: 'redis',
        raw: [
          { rule: { action: 'send', data: '*1\r\n$4\r\nPING\r\n' }, index: 0 },
          {
            rule: { action: 'expect', match: { kind: 'string', value: '+PONG\r\n' }, errorStatus: 'L7STS' },
            index: 1,
            extra: { onError: payload(0, false, true), onSuccess: text('Redis server is ok') },
          },
        ],
      };
    case 'ssl-hello':
      // The hello carries the time: the engine builds it per check (see SSL_HELLO_MARK).
      return {
        proto: 'ssl-hello',
        raw: [
          { rule: { action: 'send', data: SSL_HELLO_MARK }, index: 0 },
          {
            rule: {
              action: 'expect',
              match: { kind: 'rbinary', pattern: '^1[56]' },
              minRecv: 5,
              okStatus: 'L6OK',
              errorStatus: 'L6RSP',
              timeoutStatus: 'L6TOUT',
            },
            index: 1,
          },
        ],
      };
    case 'smtp': {
      const cmd = `${kind.hello} ${kind.domain}\r\n`;
      const smtpError = payload(4, true, true);
      return {
        proto: 'smtp',
        raw: [
          { rule: { action: 'connect', useDefaults: true, linger: true }, index: 0 },
          {
            rule: {
              action: 'expect',
              match: { kind: 'rstring', pattern: '^[0-9]{3}[ \r]' },
              minRecv: 4,
              errorStatus: 'L7RSP',
            },
            index: 1,
            extra: { onError: payload(0, false, true) },
          },
          {
            rule: {
              action: 'expect',
              match: { kind: 'rstring', pattern: '^2[0-9]{2}[ \r]' },
              minRecv: 4,
              errorStatus: 'L7STS',
            },
            index: 2,
            extra: { onError: smtpError, statusCode: firstThreeDigits },
          },
          { rule: { action: 'send', data: cmd }, index: 3 },
          {
            rule: {
              action: 'expect',
              match: { kind: 'rstring', pattern: '^(2[0-9]{2}-[^\r]*\r\n)*2[0-9]{2}[ \r]' },
              errorStatus: 'L7STS',
            },
            index: 4,
            extra: { onError: smtpError, onSuccess: smtpError, statusCode: firstThreeDigits },
          },
          { rule: { action: 'send', data: 'QUIT\r\n' }, index: 5 },
          {
            rule: {
              action: 'expect',
              match: { kind: 'rstring', pattern: '^2[0-9]{2}[- \r]' },
              minRecv: 4,
              errorStatus: 'L7STS',
            },
            index: 6,
            extra: { onError: smtpError, onSuccess: smtpError, statusCode: firstThreeDigits },
          },
        ],
      };
    }
    case 'pgsql': {
      const user = Buffer.from(kind.user, 'latin1');
      const len = Buffer.alloc(4);
      len.writeUInt32BE(15 + user.length);
      const startup = Buffer.concat([len, hex('00030000 7573657200'), user, hex('00 00')]);
      return {
        proto: 'pgsql',
        raw: [
          { rule: { action: 'connect', useDefaults: true, linger: true }, index: 0 },
          { rule: { action: 'send', data: startup }, index: 1 },
          {
            rule: {
              action: 'expect',
              match: { kind: 'rstring', pattern: '^E' },
              negate: true,
              minRecv: 5,
              errorStatus: 'L7RSP',
            },
            index: 2,
            extra: { onError: payload(6, false, false) },
          },
          {
            rule: {
              action: 'expect',
              match: { kind: 'rbinary', pattern: '^52000000(08|0A|0C)000000(00|02|03|04|05|06)' },
              minRecv: 9,
              errorStatus: 'L7STS',
              onSuccess: 'PostgreSQL server is ok',
              onError: 'PostgreSQL unknown error',
            },
            index: 3,
          },
        ],
      };
    }
    case 'mysql': {
      const raw: RawStep[] = [{ rule: { action: 'connect', useDefaults: true, linger: true }, index: 0 }];
      let index = 1;
      if (kind.user !== undefined) {
        const user = Buffer.from(kind.user, 'latin1');
        const body = kind.post41
          ? Buffer.concat([hex('00820000 00800001 21'), Buffer.alloc(23), user, hex('00 00 010000 00 01')])
          : Buffer.concat([hex('0080 000001'), user, hex('00 00 010000 00 01')]);
        const plen = user.length + (kind.post41 ? 34 : 7);
        const header = Buffer.from([plen & 0xff, (plen >> 8) & 0xff, (plen >> 16) & 0xff, 1]);
        raw.push({ rule: { action: 'send', data: Buffer.concat([header, body]) }, index: index++ });
      }
      raw.push({ rule: CUSTOM_EXPECT, index: index++, extra: { custom: mysqlGreeting } });
      if (kind.user !== undefined)
        raw.push({ rule: CUSTOM_EXPECT, index: index++, extra: { custom: mysqlOk } });
      return { proto: 'mysql', raw };
    }
    case 'ldap':
      return {
        proto: 'ldap',
        raw: [
          { rule: { action: 'send', data: hex('300C020101600702010304008000') }, index: 0 },
          {
            rule: {
              action: 'expect',
              match: { kind: 'rbinary', pattern: '^30' },
              minRecv: 14,
              onError: NOT_LDAP,
            },
            index: 1,
          },
          { rule: CUSTOM_EXPECT, index: 2, extra: { custom: ldapBindResponse } },
        ],
      };
    default:
      return undefined;
  }
}

/** Placeholder data replaced by the engine with a fresh SSLv3 hello on every check. */
export const SSL_HELLO_MARK = '\0ssl-hello\0';
// The match of a custom expect is never read: the function judges.
const CUSTOM_EXPECT: CheckRule = { action: 'expect', match: { kind: 'string', value: '' } };

// ---- compiling rules ------------------------------------------------------------------------

function regex(pattern: string, what: string): RegExp {
  try {
    return new RegExp(pattern);
  } catch (e) {
    throw new CheckConfigError(
      'HAP_ERR_CHECK_REGEX',
      `${what}: invalid regular expression '${pattern}': ${String((e as Error).message)}`,
    );
  }
}

function headerRegex(method: HeaderMatchMethod, pattern: string | undefined): RegExp | undefined {
  if (method !== 'reg' || pattern === undefined) return undefined;
  return regex(pattern, 'http-check expect hdr');
}

function compileExpect(raw: RawStep, head: number, http: boolean): ExpectStep {
  const rule = raw.rule;
  if (rule.action !== 'expect') throw new Error('unreachable');
  const m = rule.match;
  let rx: RegExp | undefined;
  let bytes: Buffer | undefined;
  let valueRegex: RegExp | undefined;
  if (!raw.extra?.custom) {
    if (m.kind === 'rstring' || m.kind === 'rbinary' || m.kind === 'rstatus')
      rx = regex(m.pattern, `expect ${m.kind}`);
    if (m.kind === 'binary') bytes = Buffer.from(m.hex, 'hex');
    if (m.kind === 'string') bytes = Buffer.from(m.value, 'latin1');
    if (m.kind === 'hdr' || m.kind === 'fhdr') {
      rx = headerRegex(m.nameMethod, m.name);
      valueRegex = headerRegex(m.valueMethod, m.value);
    }
    const httpOnly = m.kind === 'status' || m.kind === 'rstatus' || m.kind === 'hdr' || m.kind === 'fhdr';
    if (httpOnly && !http) {
      throw new CheckConfigError(
        'HAP_ERR_CHECK_EXPECT',
        `tcp-check expect: '${m.kind}' is only available with http-check`,
      );
    }
    if ((m.kind === 'binary' || m.kind === 'rbinary') && http) {
      throw new CheckConfigError(
        'HAP_ERR_CHECK_EXPECT',
        `http-check expect: '${m.kind}' is only available with tcp-check`,
      );
    }
  }
  const onSuccess = raw.extra?.onSuccess ?? (rule.onSuccess !== undefined ? text(rule.onSuccess) : undefined);
  const onError = raw.extra?.onError ?? (rule.onError !== undefined ? text(rule.onError) : undefined);
  return {
    action: 'expect',
    index: raw.index,
    comment: rule.comment,
    head,
    match: raw.extra?.custom ? undefined : m,
    custom: raw.extra?.custom,
    regex: rx,
    valueRegex,
    bytes,
    negate: rule.negate ?? false,
    minRecv: rule.minRecv ?? -1,
    okStatus: rule.okStatus,
    errorStatus: rule.errorStatus,
    timeoutStatus: rule.timeoutStatus,
    onSuccess,
    onError,
    statusCode: raw.extra?.statusCode,
  };
}

/** Comments apply to the next rule and the following ones of the same action (HAProxy's rule). */
function applyComments(raw: RawStep[]): RawStep[] {
  const out: RawStep[] = [];
  let comment: string | undefined;
  let prev: CheckRule['action'] = 'comment';
  for (const r of raw) {
    const action = r.rule.action;
    if (action !== prev && prev !== 'comment') comment = undefined;
    prev = action;
    if (r.rule.action === 'comment') {
      comment = r.rule.text;
      continue;
    }
    const own = 'comment' in r.rule ? r.rule.comment : undefined;
    const withComment: RawStep =
      own === undefined && comment !== undefined ? { ...r, rule: { ...r.rule, comment } } : r;
    out.push(withComment);
    if (action === 'connect') comment = undefined;
  }
  return out;
}

/** Merges `option httpchk`'s request with the `http-check` rules, as HAProxy 2.6 does. */
function httpRules(rules: readonly CheckRule[]): RawStep[] {
  const raw: RawStep[] = [];
  rules.forEach((rule, index) => {
    raw.push({ rule, index });
  });
  const real = raw.filter((r) => r.rule.action !== 'comment');
  const first = real[0];
  if (first !== undefined && first.rule.action !== 'connect') {
    // Without a connect rule the sequence must start with a send: the option's request.
    if (first.rule.action !== 'send-http') raw.unshift({ rule: { action: 'send-http' }, index: 0 });
  }
  const last = raw.filter((r) => r.rule.action !== 'comment').at(-1);
  if (last === undefined) raw.push({ rule: { action: 'send-http' }, index: 0 });
  const tail = raw.filter((r) => r.rule.action !== 'comment').at(-1);
  if (tail && tail.rule.action === 'send-http') {
    // An implicit expect after the last request: 2xx or 3xx.
    raw.push({
      rule: { action: 'expect', match: { kind: 'status', codes: [[200, 399]] } },
      index: tail.index + 1,
    });
  }
  return raw;
}

function validateOrder(raw: readonly RawStep[], keyword: string, http: boolean): void {
  const real = raw.filter((r) => r.rule.action !== 'comment');
  const connectIdx = real.findIndex((r) => r.rule.action === 'connect');
  if (connectIdx > 0) {
    throw new CheckConfigError(
      'HAP_ERR_CHECK_ORDER',
      `'${keyword} connect': the first step must also be a 'connect' (only comments may precede it) when there is a 'connect' step in the ruleset`,
    );
  }
  if (!http) return;
  for (let i = 1; i < real.length; i++) {
    const a = real[i - 1]?.rule.action;
    const b = real[i]?.rule.action;
    if (b === 'send-http' && a !== 'connect') {
      throw new CheckConfigError(
        'HAP_ERR_CHECK_ORDER',
        `'http-check send' at step ${i + 1}: a send must follow a connect rule`,
      );
    }
    if (b === 'expect' && a !== 'send-http' && a !== 'expect') {
      throw new CheckConfigError(
        'HAP_ERR_CHECK_ORDER',
        `'http-check expect' at step ${i + 1}: an expect must follow a send rule`,
      );
    }
    if (b === 'connect' && a !== 'expect') {
      throw new CheckConfigError(
        'HAP_ERR_CHECK_ORDER',
        `'http-check connect' at step ${i + 1}: a connect must follow an expect rule`,
      );
    }
  }
}

/** Builds the steps of a check kind; throws CheckConfigError on an invalid rule sequence. */
export function compileRuleset(kind: CheckKind): Ruleset {
  let proto: Proto;
  let raw: RawStep[];
  const b = builtin(kind);
  if (b) {
    proto = b.proto;
    raw = b.raw;
  } else if (kind.type === 'tcp') {
    proto = 'default';
    raw = [];
  } else if (kind.type === 'tcp-check') {
    proto = 'tcp';
    raw = kind.rules.map((rule, index) => ({ rule, index }));
    validateOrder(raw, 'tcp-check', false);
  } else if (kind.type === 'http') {
    proto = 'http';
    raw = httpRules(kind.rules);
    validateOrder(raw, 'http-check', true);
  } else {
    throw new Error('unreachable');
  }
  raw = applyComments(raw);
  const steps: Step[] = [];
  const first = raw[0];
  if (first === undefined || first.rule.action !== 'connect') {
    steps.push({
      action: 'connect',
      index: 0,
      comment: undefined,
      implicit: true,
      port: undefined,
      addr: undefined,
      sendProxy: false,
      useDefaults: true,
    });
  }
  let head = -1;
  for (const r of raw) {
    const rule = r.rule;
    if (rule.action !== 'expect') head = -1;
    switch (rule.action) {
      case 'connect':
        steps.push({
          action: 'connect',
          index: r.index,
          comment: rule.comment,
          implicit: false,
          port: rule.port,
          addr: rule.addr,
          sendProxy: rule.sendProxy ?? false,
          useDefaults: rule.useDefaults ?? false,
        });
        break;
      case 'send':
        steps.push({
          action: 'send',
          index: r.index,
          comment: rule.comment,
          data: typeof rule.data === 'string' ? Buffer.from(rule.data, 'latin1') : Buffer.from(rule.data),
          sslHello: rule.data === SSL_HELLO_MARK,
        });
        break;
      case 'send-http': {
        const req = buildHttpRequest({
          method: rule.method ?? 'OPTIONS',
          uri: rule.uri ?? '/',
          version: rule.version ?? 'HTTP/1.0',
          headers: rule.headers ?? [],
          body: rule.body ?? '',
        });
        steps.push({
          action: 'send-http',
          index: r.index,
          comment: rule.comment,
          head: Buffer.from(req.head, 'latin1'),
          tail: req.tail,
        });
        break;
      }
      case 'expect':
        if (head < 0) head = steps.length;
        steps.push(compileExpect(r, head, proto === 'http'));
        break;
      case 'comment':
        break;
    }
  }
  return { proto, steps };
}

/** The agent's ruleset: connect, optional send, read one line. */
export function agentRuleset(send: string | undefined): Ruleset {
  const steps: Step[] = [
    {
      action: 'connect',
      index: 0,
      comment: undefined,
      implicit: true,
      port: undefined,
      addr: undefined,
      sendProxy: false,
      useDefaults: true,
    },
  ];
  if (send !== undefined && send !== '') {
    steps.push({
      action: 'send',
      index: 0,
      comment: undefined,
      data: Buffer.from(send, 'latin1'),
      sslHello: false,
    });
  }
  return { proto: 'agent', steps };
}
