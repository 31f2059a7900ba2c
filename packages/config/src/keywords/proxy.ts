/**
 * Proxy sections: `defaults`, `frontend`, `backend`, `listen` (manual §4).
 * Rows declare where a keyword is allowed (the §4.1 matrix) and check its
 * arguments; `option`, `timeout`, `stats` and the rule sets have sub-tables.
 */

import { statSync } from 'node:fs';
import { expandAddressEnv, parseAddress } from '../address.ts';
import {
  FILTER_NAMES,
  findRemovedKeyword,
  OPTION_SUGGESTIONS,
  PROXY_KEYWORDS,
  PROXY_OPTIONS,
  REMOVED_KEYWORDS,
  type RemovedKeyword,
  type RuleSet,
} from '../catalog/index.ts';
import type { ProxyModel, ServerAddress, ServerModel } from '../model.ts';
import { invalidNameChar } from '../names.ts';
import { bestMatch, fingerprintMatch } from '../suggest.ts';
import { parseSize, parseTime, strtoulU32 } from '../units.ts';
import { addAcl, parseAclDecl } from './acl.ts';
import { checkArgs, intArg, simpleRow, tableOf, timerWarning, tooManyArgs, unsupportedRow } from './args.ts';
import { parseBindLine } from './bind.ts';
import { HTTP_CHECK_ROW, TCP_CHECK_ROW } from './checks-kw.ts';
import { parseCookieArgs } from './cookie.ts';
import { parseLogLine } from './log.ts';
import { parseRule, splitCondition } from './rules.ts';
import { parseServerOptions } from './server.ts';
import {
  type KeywordContext,
  type KeywordRow,
  PROXY_ALL,
  PROXY_BE,
  PROXY_BE_ONLY,
  PROXY_FE,
  PROXY_FE_ONLY,
  PROXY_NO_DEFAULTS,
  type SectionClass,
} from './types.ts';

function px(ctx: KeywordContext): ProxyModel {
  return ctx.proxy!;
}

/** A message HAProxy prints as "parsing [f:l]: ..." (no blank before the colon). */
/** `compression algo` names (HAProxy 2.6 built with zlib). */
const COMPRESSION_ALGORITHMS: ReadonlySet<string> = new Set(['identity', 'gzip', 'deflate', 'raw-deflate']);

function tight(ctx: KeywordContext, level: 'alert' | 'warning', message: string): void {
  ctx.sink.add({
    level,
    code: 'HAP_CFG_TIGHT',
    message,
    file: ctx.file,
    line: ctx.line,
    keyword: ctx.args[0]!,
  });
}

/** `force-persist|ignore-persist { if | unless } <condition>`: kept as a 'persist' rule. */
function persistRow(name: 'force-persist' | 'ignore-persist', sections: readonly SectionClass[]): KeywordRow {
  return {
    name,
    sections,
    supported: true,
    parse(ctx) {
      const w = ctx.args[1];
      if (w !== 'if' && w !== 'unless')
        return ctx.alert(`'${name}' requires either 'if' or 'unless' followed by a condition.`);
      const split = splitCondition(ctx, ctx.args.slice(1), name);
      if (!split) return;
      px(ctx).rules.push({
        file: ctx.file,
        line: ctx.line,
        ruleSet: 'persist',
        action: name === 'force-persist' ? 'force' : 'ignore',
        args: [],
        condition: split.cond,
      });
    },
  };
}

/** What a frontend/backend/listen inherits from its defaults section. */
export function copyDefaults(from: ProxyModel, to: ProxyModel): void {
  to.mode = from.mode;
  to.maxconn = from.maxconn;
  if (to.kind !== 'backend') to.rateLimitSessions = from.rateLimitSessions;
  inheritedRate.set(to, from.rateLimitSessions);
  to.retries = from.retries;
  to.timeouts = { ...from.timeouts };
  to.options = { ...from.options };
  to.balance = from.balance ? { algorithm: from.balance.algorithm, args: [...from.balance.args] } : undefined;
  to.defaultServer = { ...from.defaultServer };
  if (from.defaultBackend && to.kind !== 'backend') to.defaultBackend = { ...from.defaultBackend };
}

/** The `rate-limit sessions` each section took from its defaults (to tell an overwrite). */
const inheritedRate = new WeakMap<ProxyModel, number>();

/**
 * `rate-limit sessions <rate>`: the sessions a frontend accepts per second. The value is read
 * as C's strtoul in base 0 (`0x10` is 16, `010` is 8) and must be all digits; words after it
 * are ignored, as in HAProxy. Listed for backends too, so that they get HAProxy's warning.
 */
const rateLimitRow: KeywordRow = {
  name: 'rate-limit',
  sections: PROXY_ALL,
  supported: true,
  parse(ctx) {
    const [kw, what, value] = ctx.args;
    if (what !== 'sessions') return ctx.alert(`'${kw}' only supports 'sessions' (got '${what ?? ''}')`);
    if (!value) return ctx.alert(`'${kw} ${what}' expects expects an integer value (in sessions/second)`);
    const n = strtoulU32(value);
    if (n.rest !== '')
      return ctx.alert(`'${kw} ${what}' : unexpected character '${n.rest[0]}' in integer value '${value}'`);
    const p = px(ctx);
    if (p.kind === 'backend')
      return ctx.warning(
        `${kw} ${what} will be ignored because backend '${p.name}' has no frontend capability`,
      );
    if (p.kind !== 'defaults' && p.rateLimitSessions !== (inheritedRate.get(p) ?? 0))
      ctx.warning(`overwriting ${kw} ${what} which was already specified`);
    p.rateLimitSessions = n.value;
  },
};

/** "; did you mean 'x' maybe ?" when a close word exists. */
function hint(word: string, known: Iterable<string>): string {
  const best = word ? bestMatch(word, known) : undefined;
  return best ? `; did you mean '${best}' maybe ?` : '';
}

// --- timeouts ---

/** Timeouts the TCP and HTTP engines apply today. */
const HONOURED_TIMEOUTS = new Set([
  'client',
  'server',
  'connect',
  'tunnel',
  'http-request',
  'http-keep-alive',
  'queue',
  'client-fin',
  'server-fin',
]);

/** Options the runtime applies today (every other one parses and says it has no effect yet). */
const HONOURED_OPTIONS = new Set([
  'forwardfor',
  'http-keep-alive',
  'http-server-close',
  'httpclose',
  'redispatch',
  'persist',
  'http-buffer-request',
  'allbackups',
]);

const TIMEOUTS: Record<string, readonly SectionClass[]> = {
  client: PROXY_FE,
  'client-fin': PROXY_FE,
  'http-request': PROXY_ALL,
  'http-keep-alive': PROXY_ALL,
  server: PROXY_BE,
  'server-fin': PROXY_BE,
  connect: PROXY_BE,
  queue: PROXY_BE,
  check: PROXY_BE,
  tunnel: PROXY_BE,
  tarpit: PROXY_ALL,
};

const timeout: KeywordRow = {
  name: 'timeout',
  sections: PROXY_ALL,
  supported: true,
  parse(ctx) {
    const name = ctx.args[1] ?? '';
    const where = TIMEOUTS[name];
    if (!where) {
      ctx.alert(
        `'timeout' supports 'client', 'server', 'connect', 'check', 'queue', 'http-keep-alive', 'http-request', 'tunnel', 'tarpit', 'client-fin' and 'server-fin' (got '${name}'${hint(name, Object.keys(TIMEOUTS))})`,
      );
      return;
    }
    const label = `timeout ${name}`;
    ctx.directive.keyword = label;
    ctx.directive.supported = HONOURED_TIMEOUTS.has(name);
    const value = ctx.args[2];
    if (value === undefined) {
      ctx.alert(`'${label}' expects an integer value (in milliseconds)`);
      return;
    }
    const t = parseTime(value);
    if (!t.ok) {
      if (t.reason === 'timer overflow' || t.reason === 'timer underflow') {
        ctx.alert(
          `${t.reason} in argument '${value}' to '${label}' (maximum value is 2147483647 ms or ~24.8 days)`,
        );
      } else ctx.alert(`${t.reason} in '${label}'`);
      return;
    }
    if (t.trailing !== undefined) timerWarning(ctx, t.trailing);
    if (tooManyArgs(ctx, 2, label)) return;
    const p = px(ctx);
    if (!where.includes(p.kind)) {
      ctx.warning(
        `'${label}' will be ignored because ${p.kind} '${p.name}' has no ${where.includes('frontend') ? 'frontend' : 'backend'} capability`,
      );
      return;
    }
    p.timeouts[name] = t.ms;
  },
};

// --- options --------------------------------------------------------------

const OPTION_INFO = new Map(PROXY_OPTIONS.map((o) => [o.name, o]));

/** Options taking arguments: how many words may follow and a checker. */
const OPTION_ARGS: Record<string, (ctx: KeywordContext, rest: string[]) => string | undefined> = {
  httplog: (_c, r) =>
    r.length === 0 || (r.length === 1 && r[0] === 'clf') ? undefined : `unexpected argument '${r[0]}'`,
  httpchk: (c, r) => {
    if (r.length > 3) return `cannot handle unexpected argument '${r[3]}'`;
    // headers after the version (`HTTP/1.1\r\nHost:\ x`) still work in 2.6, with a warning
    if (r.length === 3 && r[2]!.includes('\r\n'))
      tight(
        c,
        'warning',
        "'option httpchk' : hiding headers or body at the end of the version string is deprecated. Please, consider to use 'http-check send' directive instead.",
      );
    return undefined;
  },
  forwardfor: (_c, r) => {
    for (let i = 0; i < r.length; i++) {
      const w = r[i];
      if (w === 'if-none') continue;
      if ((w === 'except' || w === 'header') && r[i + 1] !== undefined) {
        i++;
        continue;
      }
      return `'forwardfor' only supports optional values: 'header', 'if-none' and 'except' (got '${w}')`;
    }
    return undefined;
  },
  originalto: (_c, r) => {
    for (let i = 0; i < r.length; i++) {
      if ((r[i] === 'except' || r[i] === 'header') && r[i + 1] !== undefined) {
        i++;
        continue;
      }
      return `'originalto' only supports optional values: 'header' and 'except' (got '${r[i]}')`;
    }
    return undefined;
  },
  redispatch: (_c, r) =>
    r.length <= 1 && (r.length === 0 || /^-?\d+$/.test(r[0]!)) ? undefined : `unexpected argument '${r[0]}'`,
  'mysql-check': (_c, r) =>
    r.length === 0 || (r[0] === 'user' && r[1] !== undefined && r.length <= 3)
      ? undefined
      : "only supports optional values: 'user <name> [post-41|pre-41]'",
  'pgsql-check': (_c, r) =>
    r[0] === 'user' && r[1] !== undefined && r.length === 2 ? undefined : "requires 'user <name>'",
  'redis-check': (_c, r) => (r.length === 0 ? undefined : `unexpected argument '${r[0]}'`),
  smtpchk: (_c, r) => (r.length <= 2 ? undefined : `unexpected argument '${r[2]}'`),
  'ssl-hello-chk': (_c, r) => (r.length === 0 ? undefined : `unexpected argument '${r[0]}'`),
  'external-check': () => undefined,
  'tcp-check': (_c, r) => (r.length === 0 ? undefined : `unexpected argument '${r[0]}'`),
  tcplog: (_c, r) => (r.length === 0 ? undefined : `unexpected argument '${r[0]}'`),
  httpslog: (_c, r) => (r.length === 0 ? undefined : `unexpected argument '${r[0]}'`),
  'spop-check': (_c, r) => (r.length === 0 ? undefined : `unexpected argument '${r[0]}'`),
  'ldap-check': (_c, r) => (r.length === 0 ? undefined : `unexpected argument '${r[0]}'`),
};

/** Options haproxyd does not plan to implement. */
export const UNSUPPORTED_OPTIONS: ReadonlySet<string> = new Set([
  'external-check',
  'spop-check',
  'transparent',
  'splice-auto',
  'splice-request',
  'splice-response',
]);

const option: KeywordRow = {
  name: 'option',
  sections: PROXY_ALL,
  supported: false,
  parse(ctx) {
    const name = ctx.args[1];
    if (name === undefined) {
      ctx.alert("'option' expects an option name.");
      return;
    }
    ctx.directive.keyword = `option ${name}`;
    ctx.directive.supported = HONOURED_OPTIONS.has(name);
    const info = OPTION_INFO.get(name);
    const removed = info ? undefined : findRemovedKeyword('option', name);
    if (removed?.message !== undefined) {
      reportRemoved(ctx, removed);
      return;
    }
    if (!info) {
      // HAProxy's suggestion: the nearest of its option names by letter-pair fingerprint
      const best = fingerprintMatch(name, OPTION_SUGGESTIONS);
      ctx.alert(`unknown option '${name}'${best ? `; did you mean '${best}' maybe ?` : '.'}`);
      return;
    }
    if (UNSUPPORTED_OPTIONS.has(name)) {
      ctx.alert(`'option ${name}' is a HAProxy keyword that haproxyd does not support yet.`);
      return;
    }
    const rest = ctx.args.slice(2);
    if (ctx.modifier === 'no' && !info.negatable) {
      ctx.sink.alert(
        'HAP_CFG_MODIFIER',
        `negation/default is not supported for option '${name}'.`,
        ctx.file,
        ctx.line,
        'option',
      );
      return;
    }
    const check = OPTION_ARGS[name];
    if (check) {
      const err =
        ctx.modifier === 'none'
          ? check(ctx, rest)
          : rest.length
            ? `unexpected argument '${rest[0]}'`
            : undefined;
      if (err) {
        ctx.alert(`'option ${name}' ${err}.`);
        return;
      }
    } else if (rest.length > 0) {
      ctx.alert(`'option ${name}' cannot handle unexpected argument '${rest[0]}'.`);
      return;
    }
    const p = px(ctx);
    const allowed =
      p.kind === 'defaults'
        ? info.defaults
        : p.kind === 'frontend'
          ? info.frontend
          : p.kind === 'backend'
            ? info.backend
            : info.listen;
    if (!allowed) {
      ctx.warning(
        `'option ${name}' ignored because ${p.kind} '${p.name}' has no ${info.frontend ? 'frontend' : 'backend'} capability.`,
      );
      return;
    }
    p.options[name] = ctx.modifier !== 'no';
  },
};

// --- balance --------------------------------------------------------------

const BALANCE_SIMPLE = new Set(['roundrobin', 'static-rr', 'leastconn', 'first', 'source']);

const balance: KeywordRow = {
  name: 'balance',
  sections: PROXY_BE,
  supported: false,
  parse(ctx) {
    // a bare 'balance' keeps the default algorithm, as HAProxy does
    const algo = ctx.args[1] ?? 'roundrobin';
    // every algorithm is served (@hap/balance)
    ctx.directive.supported = true;
    const rest = ctx.args.slice(2);
    const fail = () =>
      ctx.alert(
        "'balance' only supports 'roundrobin', 'static-rr', 'leastconn', 'first', 'source', 'uri', 'url_param', 'hash', 'hdr(name)', 'rdp-cookie(name)' and 'random' options.",
      );
    if (BALANCE_SIMPLE.has(algo)) {
      if (rest.length) return ctx.alert(`'balance ${algo}' cannot handle unexpected argument '${rest[0]}'.`);
    } else if (algo === 'uri') {
      for (let i = 0; i < rest.length; i++) {
        const w = rest[i];
        if (w === 'whole' || w === 'path-only') continue;
        if ((w === 'len' || w === 'depth') && /^\d+$/.test(rest[i + 1] ?? '')) {
          i++;
          continue;
        }
        return ctx.alert(
          `'balance uri' only accepts parameters 'len', 'depth', 'path-only' and 'whole' (got '${w}').`,
        );
      }
    } else if (algo === 'url_param') {
      if (!rest[0]) return ctx.alert("'balance url_param' requires an URL parameter name.");
      for (let i = 1; i < rest.length; i++) {
        if (rest[i] === 'check_post') {
          if (/^\d+$/.test(rest[i + 1] ?? '')) i++;
          continue;
        }
        return ctx.alert(`'balance url_param' only accepts the 'check_post' option (got '${rest[i]}').`);
      }
    } else if (algo.startsWith('hdr(')) {
      if (!/^hdr\([^)]+\)$/.test(algo)) return ctx.alert("'balance hdr' requires an http header field name.");
      if (rest.length && !(rest.length === 1 && rest[0] === 'use_domain_only')) {
        return ctx.alert(`'balance hdr' only accepts the 'use_domain_only' option (got '${rest[0]}').`);
      }
    } else if (algo === 'random' || algo.startsWith('random(')) {
      if (algo !== 'random' && !/^random\(\d+\)$/.test(algo))
        return ctx.alert("'balance random' expects a positive number of draws.");
    } else if (algo === 'rdp-cookie' || algo.startsWith('rdp-cookie(')) {
      if (algo !== 'rdp-cookie' && !/^rdp-cookie\([^)]*\)$/.test(algo))
        return ctx.alert("'balance rdp-cookie' : missing closing ')'.");
    } else if (algo === 'hash') {
      if (!rest[0]) return ctx.alert("'balance hash' expects a sample expression.");
    } else {
      return fail();
    }
    px(ctx).balance = { algorithm: algo.replace(/\(.*$/, ''), args: [algo, ...rest] };
  },
};

// --- servers ---

/** Server options the TCP engine applies today (backup servers wait, weight 0 takes nothing). */
const HONOURED_SERVER_OPTIONS = new Set([
  'disabled',
  'enabled',
  'backup',
  'no-backup',
  'id',
  'maxconn',
  'weight',
  'send-proxy',
  'send-proxy-v2',
  'no-send-proxy',
  'no-send-proxy-v2',
  // persistence cookie (runtime-cookie.ts)
  'cookie',
  // health checks (@hap/checks)
  'check',
  'no-check',
  'inter',
  'fastinter',
  'downinter',
  'rise',
  'fall',
  'port',
  'addr',
  'slowstart',
  'check-send-proxy',
  'agent-check',
  'no-agent-check',
  'agent-port',
  'agent-addr',
  'agent-inter',
  'agent-send',
  'observe',
  'error-limit',
  'on-error',
  'on-marked-down',
  'on-marked-up',
  // how a host name gets its address at start (init-addr.ts, serve.ts resolveServers)
  'init-addr',
  // health checks over TLS (@hap/checks with @hap/ssl's server settings)
  'check-ssl',
  'no-check-ssl',
  'check-sni',
  'check-alpn',
  // TLS to the server (@hap/ssl; what it cannot honour refuses the start)
  'ssl',
  'no-ssl',
  'verify',
  'verifyhost',
  'ca-file',
  'crl-file',
  'crt',
  'sni',
  'alpn',
  'ciphers',
  'ciphersuites',
  'ssl-min-ver',
  'ssl-max-ver',
  'no-sslv3',
  'no-tlsv10',
  'no-tlsv11',
  'no-tlsv12',
  'no-tlsv13',
  'force-sslv3',
  'force-tlsv10',
  'force-tlsv11',
  'force-tlsv12',
  'force-tlsv13',
  'no-tls-tickets',
  'ssl-reuse',
  'no-ssl-reuse',
  // HTTP/2 to the server (@hap/proxy/h2; other protocols refuse the start)
  'proto',
  // DNS resolution at start and at run time (apps/haproxyd runtime-resolvers.ts)
  'init-addr',
  'resolvers',
  'resolve-prefer',
  'resolve-net',
]);

/** A server's address; host names are resolved later, once the configuration is checked (init-addr.ts). */
function parseServerAddress(
  raw: string,
  env: Readonly<Record<string, string | undefined>>,
): { ok: true; addr: ServerAddress } | { ok: false; reason: string } {
  const r = parseAddress(
    expandAddressEnv(raw, env),
    {
      portRequired: false,
      rangeAllowed: false,
      offsetAllowed: true,
      hostnameAllowed: true,
    },
    raw,
  );
  if (!r.ok) return r;
  return {
    ok: true,
    addr: {
      family: r.addr.family,
      host: r.addr.host,
      port: r.addr.portLow,
      portOffset: r.addr.portOffset,
      raw,
    },
  };
}

const server: KeywordRow = {
  name: 'server',
  sections: PROXY_BE_ONLY,
  supported: true,
  parse(ctx) {
    const p = px(ctx);
    const name = ctx.args[1];
    const addrText = ctx.args[2];
    if (name === undefined || addrText === undefined) {
      ctx.alert("'server' expects <name> and <addr>[:<port>] as arguments.");
      return;
    }
    const bad = invalidNameChar(name);
    if (bad !== undefined) {
      ctx.alert(`character '${bad}' is not permitted in server name '${name}'.`);
      return;
    }
    const addr = parseServerAddress(addrText, ctx.env);
    if (!addr.ok) {
      // HAProxy names the place without "parsing" here, and the server with its proxy
      ctx.sink.add({
        level: 'alert',
        code: 'HAP_CFG_SERVER_ADDR',
        message: `'server ${p.name}/${name}' : ${addr.reason}`,
        file: ctx.file,
        line: ctx.line,
        keyword: 'server',
        bare: true,
      });
      return;
    }
    const options = { ...p.defaultServer };
    if (!parseServerOptions(ctx, 3, options, 'server')) return;
    const unhonoured = Object.keys(options).filter((o) => !HONOURED_SERVER_OPTIONS.has(o));
    if (unhonoured.length > 0) ctx.directive.unhonoured = unhonoured;
    const id = options['id'];
    if (typeof id === 'string') {
      const other = p.servers.find((x) => x.options['id'] === id);
      if (other) {
        ctx.alert(
          `'server ${p.name}/${name}' : 'id' : custom id ${id} already used at ${other.file}:${other.line} ('server ${other.name}').`,
        );
        return;
      }
    }
    const num = (k: string, d: number) => (typeof options[k] === 'string' ? Number(options[k]) : d);
    const time = (k: string, d: number) => {
      const v = options[k];
      if (typeof v !== 'string') return d;
      const t = parseTime(v);
      return t.ok ? t.ms : d;
    };
    const flag = (on: string, off: string) => options[on] === true && options[off] !== true;
    const s: ServerModel = {
      file: ctx.file,
      line: ctx.line,
      name,
      address: addr.addr,
      options,
      weight: num('weight', 1),
      maxconn: num('maxconn', 0),
      backup: flag('backup', 'no-backup'),
      disabled: options['disabled'] === true,
      check: flag('check', 'no-check'),
      inter: time('inter', 2000),
      fastinter: time('fastinter', time('inter', 2000)),
      downinter: time('downinter', time('inter', 2000)),
      rise: num('rise', 2),
      fall: num('fall', 3),
    };
    p.servers.push(s);
  },
};

/**
 * `server-template <prefix> <num | first-last> <fqdn>[:<port>] [params*]`: servers
 * <prefix><n> for each n, all named by the same host name (with `resolvers`, the DNS answer's
 * addresses fill them; runtime-resolvers.ts). A SRV label (`_service._proto.name`) is not
 * supported yet.
 */
const serverTemplate: KeywordRow = {
  name: 'server-template',
  sections: PROXY_BE_ONLY,
  supported: true,
  parse(ctx) {
    const [, prefix, range, fqdn] = ctx.args;
    if (prefix === undefined || range === undefined || fqdn === undefined) {
      ctx.alert("'server-template' expects <prefix> <nb | range> <addr>[:<port>] as arguments.");
      return;
    }
    const m = /^(\d+)(?:-(\d+))?$/.exec(range);
    const low = m ? (m[2] === undefined ? 1 : Number(m[1])) : 0;
    const high = m ? Number(m[2] ?? m[1]) : 0;
    if (!m || low < 1 || high < low) {
      ctx.alert(`Wrong server-template number or range arg '${range}'.`);
      return;
    }
    if (fqdn.startsWith('_')) {
      ctx.sink.alert(
        'HAP_CFG_NOT_SUPPORTED',
        `'server-template' with a SRV record label ('${fqdn}') is a HAProxy feature that haproxyd does not support yet.`,
        ctx.file,
        ctx.line,
        'server-template',
      );
      return;
    }
    if (ctx.args.includes('id')) {
      ctx.sink.alert(
        'HAP_CFG_NOT_SUPPORTED',
        "'server-template' with 'id' is a HAProxy feature that haproxyd does not support yet.",
        ctx.file,
        ctx.line,
        'server-template',
      );
      return;
    }
    const servers = px(ctx).servers;
    // each slot is a server line of its own: `server <prefix><n> <fqdn> <params>`
    for (let n = low; n <= high; n++) {
      const before = servers.length;
      server.parse!({ ...ctx, args: ['server', `${prefix}${n}`, fqdn, ...ctx.args.slice(4)] });
      if (servers.length === before) return;
    }
  },
};

const defaultServer: KeywordRow = {
  name: 'default-server',
  sections: PROXY_BE,
  supported: false,
  parse(ctx) {
    parseServerOptions(ctx, 1, px(ctx).defaultServer, 'default-server');
  },
};

// --- rules and switching -----------------------------------------------------

function ruleRow(
  name: 'http-request' | 'http-response' | 'http-after-response',
  sections: readonly SectionClass[],
): KeywordRow {
  return {
    name,
    sections,
    supported: false,
    parse(ctx) {
      const rule = parseRule(ctx, name, 1);
      if (!rule) return;
      px(ctx).rules.push(rule);
      // the runtime answers an unconditional 'http-request return' itself (the rule engine comes later)
      if (name === 'http-request' && rule.action === 'return' && rule.condition === undefined)
        ctx.directive.supported = true;
    },
  };
}

function tcpRuleRow(name: 'tcp-request' | 'tcp-response'): KeywordRow {
  const kinds =
    name === 'tcp-request'
      ? ['connection', 'session', 'content', 'inspect-delay']
      : ['content', 'inspect-delay'];
  return {
    name,
    sections: name === 'tcp-request' ? PROXY_ALL : PROXY_BE,
    supported: false,
    parse(ctx) {
      const kind = ctx.args[1] ?? '';
      if (!kinds.includes(kind)) {
        ctx.alert(`'${name}' expects ${kinds.map((k) => `'${k}'`).join(', ')} (got '${kind}').`);
        return;
      }
      ctx.directive.keyword = `${name} ${kind}`;
      if (kind === 'inspect-delay') {
        checkArgs(ctx, 'time', 2, `${name} inspect-delay`);
        return;
      }
      const p = px(ctx);
      if ((kind === 'connection' || kind === 'session') && p.kind === 'backend') {
        ctx.alert(`'${name} ${kind}' is only allowed in 'frontend' and 'listen' sections.`);
        return;
      }
      const rule = parseRule(ctx, `${name} ${kind}` as RuleSet, 2);
      if (rule) p.rules.push(rule);
    },
  };
}

const useBackend: KeywordRow = {
  name: 'use_backend',
  sections: PROXY_FE_ONLY,
  supported: false,
  parse(ctx) {
    if (ctx.args[1] === undefined) {
      ctx.alert("'use_backend' expects a backend name.");
      return;
    }
    const split = splitCondition(ctx, ctx.args.slice(2), 'use_backend');
    if (!split) return;
    if (split.head.length > 0) {
      ctx.alert(
        `'use_backend' requires either 'if' or 'unless' followed by a condition (got '${split.head[0]}').`,
      );
      return;
    }
    px(ctx).useBackends.push({ file: ctx.file, line: ctx.line, backend: ctx.args[1], condition: split.cond });
  },
};

const useServer: KeywordRow = {
  name: 'use-server',
  sections: PROXY_BE_ONLY,
  supported: false,
  parse(ctx) {
    if (ctx.args[1] === undefined) return ctx.alert("'use-server' expects a server name.");
    const split = splitCondition(ctx, ctx.args.slice(2), 'use-server');
    if (!split) return;
    if (split.head.length > 0)
      return ctx.alert("'use-server' requires either 'if' or 'unless' followed by a condition.");
    px(ctx).rules.push({
      file: ctx.file,
      line: ctx.line,
      ruleSet: 'use-server',
      action: ctx.args[1],
      args: [],
      condition: split.cond,
    });
  },
};

const defaultBackend: KeywordRow = {
  name: 'default_backend',
  sections: PROXY_ALL,
  supported: true,
  parse(ctx) {
    if (!checkArgs(ctx, 'word')) return;
    px(ctx).defaultBackend = { file: ctx.file, line: ctx.line, name: ctx.args[1]! };
  },
};

const acl: KeywordRow = {
  name: 'acl',
  sections: PROXY_NO_DEFAULTS,
  supported: false,
  parse(ctx) {
    const a = parseAclDecl(ctx);
    if (a) addAcl(px(ctx), a);
  },
};

const mode: KeywordRow = {
  name: 'mode',
  sections: PROXY_ALL,
  supported: true,
  parse(ctx) {
    const m = ctx.args[1];
    if (m === 'tcp' || m === 'http') {
      if (!tooManyArgs(ctx, 1)) px(ctx).mode = m;
    } else if (m === 'health')
      ctx.alert(
        "'mode health' doesn't exist anymore. Please use 'http-request return' or 'tcp-request connection reject' instead.",
      );
    else if (m === 'log') ctx.alert("'mode log' is only supported in 'log-forward' sections.");
    else ctx.alert(`unknown proxy mode '${m ?? ''}'.`);
  },
};

const redirect: KeywordRow = {
  name: 'redirect',
  sections: PROXY_NO_DEFAULTS,
  supported: false,
  parse(ctx) {
    const type = ctx.args[1];
    if (type !== 'location' && type !== 'prefix' && type !== 'scheme') {
      ctx.alert(
        "'redirect' expects 'code', 'prefix', 'location', 'scheme', 'set-cookie', 'clear-cookie', 'drop-query' or 'append-slash' (was '" +
          (type ?? '') +
          "').",
      );
      return;
    }
    if (ctx.args[2] === undefined) return ctx.alert(`'redirect ${type}' expects a value.`);
    const split = splitCondition(ctx, ctx.args.slice(3), 'redirect');
    if (!split) return;
    for (let i = 0; i < split.head.length; i++) {
      const w = split.head[i];
      if (w === 'code') {
        if (!['301', '302', '303', '307', '308'].includes(split.head[i + 1] ?? '')) {
          return ctx.alert("'redirect': unsupported HTTP code (expected 301, 302, 303, 307 or 308).");
        }
        i++;
      } else if (w === 'set-cookie' || w === 'clear-cookie') i++;
      else if (w === 'drop-query' || w === 'append-slash' || w === 'ignore-empty' || w === 'keep-query')
        continue;
      else return ctx.alert(`'redirect' unknown option '${w}'.`);
    }
    px(ctx).rules.push({
      file: ctx.file,
      line: ctx.line,
      ruleSet: 'redirect',
      action: 'redirect',
      args: [type, ...ctx.args.slice(2, 3), ...split.head],
      condition: split.cond,
    });
  },
};

const stats: KeywordRow = {
  name: 'stats',
  sections: PROXY_ALL,
  supported: false,
  parse(ctx) {
    const sub = ctx.args[1] ?? '';
    ctx.directive.keyword = `stats ${sub}`;
    const label = `stats ${sub}`;
    switch (sub) {
      case 'enable':
      case 'hide-version':
      case 'show-legends':
      case 'show-modules':
        tooManyArgs(ctx, 1, label);
        return;
      case 'uri':
      case 'realm':
      case 'scope':
        checkArgs(ctx, 'word', 2, label);
        return;
      case 'auth':
        // HAProxy takes anything here; a word without ':' is a user with an empty password
        if (ctx.args[2] === undefined) ctx.alert("'stats auth' expects <user>:<password>.");
        return;
      case 'refresh':
        checkArgs(ctx, 'time-s', 2, label);
        return;
      case 'admin':
      case 'http-request': {
        const split = splitCondition(ctx, ctx.args.slice(2), label);
        if (split && sub === 'admin' && !split.cond)
          ctx.alert("'stats admin' requires either 'if' or 'unless' followed by a condition.");
        else if (split && sub === 'admin' && px(ctx).kind === 'defaults')
          ctx.alert("'stats admin' not allowed in 'defaults' section.");
        else if (split?.cond && sub === 'admin')
          // kept as a rule so the runtime compiles its condition like the others
          px(ctx).rules.push({
            file: ctx.file,
            line: ctx.line,
            ruleSet: 'stats admin',
            action: 'admin',
            args: [],
            condition: split.cond,
          });
        return;
      }
      case 'show-desc':
      case 'show-node':
        return;
      case 'socket':
      case 'timeout':
      case 'maxconn':
        ctx.alert(`'stats ${sub}' is only allowed in the 'global' section.`);
        return;
      case 'bind-process':
        ctx.warning("'stats bind-process' has no effect, is deprecated, and will be removed in version 2.7.");
        return;
      default:
        ctx.alert(
          "'stats' expects 'admin', 'uri', 'realm', 'auth', 'scope', 'enable', 'hide-version', 'show-node', 'show-desc' or 'show-legends'.",
        );
    }
  },
};

export const errorfile: KeywordRow = {
  name: 'errorfile',
  sections: PROXY_ALL,
  supported: true,
  parse(ctx) {
    const code = ctx.args[1];
    const path = ctx.args[2];
    if (code === undefined || path === undefined)
      return ctx.alert("'errorfile' expects <status_code> and <file> as arguments.");
    const known = [
      '200',
      '400',
      '401',
      '403',
      '404',
      '405',
      '407',
      '408',
      '410',
      '413',
      '425',
      '429',
      '500',
      '501',
      '502',
      '503',
      '504',
    ];
    if (!known.includes(code)) {
      ctx.alert(`errorfile : status code '${code}' not handled.`);
      return;
    }
    if (tooManyArgs(ctx, 2)) return;
    ctx.directive.args = [...ctx.args];
    checkErrorFile(ctx, path);
  },
};

function checkErrorFile(ctx: KeywordContext, path: string): void {
  // HAProxy reads the file while parsing; a missing one is an error
  try {
    const st = statSync(ctx.resolvePath(path));
    if (!st.isFile()) ctx.alert(`errorfile : error reading file '${path}'.`);
  } catch {
    ctx.alert(`errorfile : error opening file '${path}'.`);
  }
}

const hashType: KeywordRow = {
  name: 'hash-type',
  sections: PROXY_BE,
  supported: true,
  parse(ctx) {
    const [, kind, fn, mod] = ctx.args;
    if (kind !== 'map-based' && kind !== 'consistent') {
      if (kind === 'avalanche')
        ctx.alert(
          "'hash-type avalanche' is not supported anymore, please use 'hash-type map-based avalanche' instead.",
        );
      else ctx.alert("'hash-type' only supports 'consistent' and 'map-based'.");
      return;
    }
    if (fn !== undefined && !['sdbm', 'djb2', 'wt6', 'crc32', 'none'].includes(fn)) {
      return ctx.alert(
        `'hash-type ${kind}' : unknown hash function '${fn}' (expected sdbm, djb2, wt6, crc32 or none).`,
      );
    }
    if (mod !== undefined && mod !== 'avalanche')
      return ctx.alert(`'hash-type ${kind} ${fn}' : unknown modifier '${mod}'.`);
    tooManyArgs(ctx, 3);
  },
};

/** `capture request header <name> len <n>`, `capture response header …`, `capture cookie <name> len <n>`. */
const capture: KeywordRow = {
  name: 'capture',
  sections: PROXY_FE_ONLY,
  supported: true,
  parse(ctx) {
    const a = ctx.args;
    if (a[1] === 'cookie') {
      if (a[2] === undefined || a[3] !== 'len' || a[4] === undefined)
        ctx.alert("'capture cookie' expects <cookie_name> 'len' <len>.");
      else tooManyArgs(ctx, 4, 'capture cookie');
      return;
    }
    if (a[1] === 'request' || a[1] === 'response') {
      if (a[2] !== 'header' || a[3] === undefined || a[4] !== 'len' || a[5] === undefined) {
        ctx.alert(`'capture ${a[1]}' expects 'header' <header_name> 'len' <len>.`);
        return;
      }
      tooManyArgs(ctx, 5, `capture ${a[1]}`);
      return;
    }
    ctx.alert("'capture' expects 'cookie', 'request header' or 'response header'.");
  },
};

const source: KeywordRow = {
  name: 'source',
  sections: PROXY_BE,
  supported: false,
  parse(ctx) {
    const raw = ctx.args[1];
    if (raw === undefined) return ctx.alert("'source' expects <addr>[:<port>] as argument.");
    const r = parseAddress(raw, {
      portRequired: false,
      rangeAllowed: true,
      offsetAllowed: false,
      hostnameAllowed: false,
    });
    if (!r.ok) ctx.alert(`'source ${raw}' : ${r.reason}`);
  },
};

const STICK_TYPES = new Set(['ip', 'ipv6', 'integer', 'string', 'binary']);

const stickTable: KeywordRow = {
  name: 'stick-table',
  sections: PROXY_NO_DEFAULTS,
  supported: false,
  parse(ctx) {
    const a = ctx.args;
    let sawType = false;
    let sawSize = false;
    for (let i = 1; i < a.length; i++) {
      const w = a[i]!;
      const v = a[i + 1];
      if (w === 'type') {
        if (v === undefined || !STICK_TYPES.has(v))
          return ctx.alert(`stick-table: unknown type '${v ?? ''}'.`);
        sawType = true;
        i++;
        if ((v === 'string' || v === 'binary') && a[i + 1] === 'len') {
          if (!/^\d+$/.test(a[i + 2] ?? ''))
            return ctx.alert("stick-table: 'len' expects a positive integer.");
          i += 2;
        }
      } else if (w === 'size') {
        const s = v === undefined ? undefined : parseSize(v);
        if (!s?.ok)
          return ctx.alert(`stick-table: ${s && !s.ok ? s.reason : 'missing value'} in argument of 'size'.`);
        sawSize = true;
        i++;
      } else if (w === 'expire') {
        const t = v === undefined ? undefined : parseTime(v);
        if (!t?.ok)
          return ctx.alert(
            `stick-table: ${t && !t.ok ? t.reason : 'missing value'} in argument of 'expire'.`,
          );
        i++;
      } else if (w === 'peers' || w === 'srvkey' || w === 'write-to' || w === 'store') {
        if (v === undefined) return ctx.alert(`stick-table: '${w}' expects an argument.`);
        i++;
      } else if (w === 'nopurge') {
        // no value
      } else {
        return ctx.alert(`stick-table: unknown argument '${w}'.`);
      }
    }
    if (!sawType)
      return ctx.alert("stick-table: missing type (expects 'ip', 'ipv6', 'integer', 'string' or 'binary').");
    if (!sawSize) return ctx.alert('stick-table: missing size.');
  },
};

const ROWS: KeywordRow[] = [
  hashType,
  capture,
  source,
  mode,
  option,
  timeout,
  balance,
  server,
  serverTemplate,
  defaultServer,
  acl,
  useBackend,
  useServer,
  defaultBackend,
  redirect,
  stats,
  errorfile,
  ruleRow('http-request', PROXY_ALL),
  ruleRow('http-response', PROXY_ALL),
  ruleRow('http-after-response', PROXY_ALL),
  tcpRuleRow('tcp-request'),
  tcpRuleRow('tcp-response'),
  {
    name: 'bind',
    sections: PROXY_FE_ONLY,
    supported: true,
    parse(ctx) {
      const b = parseBindLine(ctx, 1, 'bind');
      if (b) px(ctx).binds.push(b);
    },
  },
  {
    name: 'log',
    sections: PROXY_ALL,
    supported: false,
    parse: parseLogLine,
  },
  simpleRow('maxconn', PROXY_FE, 'atol', false, (c) => {
    px(c).maxconn = intArg(c);
  }),
  simpleRow('backlog', PROXY_FE, 'atol', false),
  simpleRow('fullconn', PROXY_BE, 'atol', false),
  simpleRow('retries', PROXY_BE, 'atol', true, (c) => {
    px(c).retries = intArg(c);
  }),
  rateLimitRow,
  simpleRow('description', PROXY_ALL, 'words', false),
  simpleRow('disabled', PROXY_ALL, 'none', false, (c) => {
    px(c).disabled = true;
  }),
  simpleRow('enabled', PROXY_ALL, 'none', false),
  simpleRow('id', PROXY_NO_DEFAULTS, 'int', false, (c) => {
    const me = px(c);
    for (const other of c.model.proxies) {
      if (other === me) continue;
      const d = other.directives.find((x) => x.keyword === 'id');
      if (d && d.args[1] === c.args[1]) {
        c.alert(
          `${me.kind} ${me.name} reuses same custom id as ${other.kind} ${other.name} (declared at ${d.file}:${d.line}).`,
        );
        return;
      }
    }
  }),
  simpleRow('monitor-uri', PROXY_FE, 'word', false),
  simpleRow('log-format', PROXY_ALL, 'word', false),
  simpleRow('log-format-sd', PROXY_ALL, 'word', false),
  simpleRow('error-log-format', PROXY_ALL, 'word', false),
  simpleRow('log-tag', PROXY_ALL, 'word', false),
  simpleRow('unique-id-format', PROXY_ALL, 'word', false),
  simpleRow('unique-id-header', PROXY_ALL, 'word', false),
  simpleRow('hash-balance-factor', PROXY_BE, 'int', false),
  simpleRow('http-reuse', PROXY_BE, ['never', 'safe', 'aggressive', 'always'], true),
  {
    name: 'cookie',
    sections: PROXY_BE,
    supported: true,
    parse(ctx) {
      const r = parseCookieArgs(ctx.args);
      // the domain warning is always printed the tight way ("parsing [f:l]: ")
      for (const w of r.warnings) tight(ctx, 'warning', w);
      for (const a of r.alerts) {
        if (r.tight) tight(ctx, 'alert', a);
        else ctx.alert(a);
      }
    },
  },
  {
    // the key of `cookie ... dynamic`; HAProxy reads only the first word and says nothing of more
    name: 'dynamic-cookie-key',
    sections: PROXY_BE,
    supported: true,
    parse(ctx) {
      if (!ctx.args[1]) ctx.alert("'dynamic-cookie-key' expects <secret_key> as argument.");
    },
  },
  simpleRow('errorfiles', PROXY_ALL, 'words', false),
  simpleRow('errorloc', PROXY_ALL, 'words', false),
  simpleRow('errorloc302', PROXY_ALL, 'words', false),
  simpleRow('errorloc303', PROXY_ALL, 'words', false),
  simpleRow('http-error', PROXY_ALL, 'words', false),
  HTTP_CHECK_ROW,
  TCP_CHECK_ROW,
  stickTable,
  {
    name: 'stick',
    sections: PROXY_BE_ONLY,
    supported: false,
    parse(ctx) {
      const kind = ctx.args[1];
      if (kind !== 'on' && kind !== 'match' && kind !== 'store-request' && kind !== 'store-response')
        return ctx.alert(
          `'stick' expects 'on', 'match', 'store-request' or 'store-response' (got '${kind ?? ''}').`,
        );
      const split = splitCondition(ctx, ctx.args.slice(2), `stick ${kind}`);
      if (!split) return;
      const [pattern, ...rest] = split.head;
      if (pattern === undefined) return ctx.alert(`'stick ${kind}' expects a sample expression.`);
      if (rest.length > 0 && (rest[0] !== 'table' || rest[1] === undefined || rest.length > 2))
        return ctx.alert(
          `'stick ${kind}' expects 'table <name>' after the expression (got '${rest.join(' ')}').`,
        );
      px(ctx).rules.push({
        file: ctx.file,
        line: ctx.line,
        ruleSet: 'stick',
        action: kind,
        args: [pattern, ...(rest[1] !== undefined ? [rest[1]] : [])],
        condition: split.cond,
      });
    },
  },
  simpleRow('server-state-file-name', PROXY_BE, 'any', true),
  simpleRow('load-server-state-from-file', PROXY_BE, ['global', 'local', 'none'], true),
  simpleRow('http-send-name-header', PROXY_BE, 'any', false),
  simpleRow('max-keep-alive-queue', PROXY_BE, 'sint', false),
  {
    // HTTP compression of responses (@hap/proxy's compression); in mode tcp it does nothing, as in HAProxy
    name: 'compression',
    sections: PROXY_ALL,
    supported: true,
    parse(ctx) {
      const [, what, ...rest] = ctx.args;
      if (what === 'algo') {
        // HAProxy names the place twice in this one message
        if (rest.length === 0)
          return ctx.alert(`parsing [${ctx.file}:${ctx.line}] : 'compression' expects <algorithm>.`);
        const bad = rest.find((a) => !COMPRESSION_ALGORITHMS.has(a));
        if (bad !== undefined) ctx.alert(`'compression' : '${bad}' is not a supported algorithm.`);
      } else if (what === 'type') {
        if (rest.length === 0) ctx.alert("'compression' expects <type>.");
      } else if (what === 'offload') {
        if (ctx.proxy?.kind === 'defaults')
          ctx.warning("'compression' : 'offload' ignored in 'defaults' section.");
      } else ctx.alert("'compression' expects 'algo', 'type' or 'offload'");
    },
  },
  {
    // only the compression filter exists in haproxyd; declaring it changes nothing
    name: 'filter',
    sections: ['frontend', 'listen', 'backend'],
    supported: true,
    parse(ctx) {
      const name = ctx.args[1];
      if (name === undefined) {
        const px = ctx.proxy;
        return ctx.alert(
          `parsing [${ctx.file}:${ctx.line}] : missing argument for 'filter' in ${px?.kind ?? 'proxy'} '${px?.name ?? ''}'.`,
        );
      }
      if (!FILTER_NAMES.includes(name)) ctx.alert(`'filter' : unknown keyword '${name}'.`);
      else if (name !== 'compression')
        ctx.alert(`'filter ${name}' is a HAProxy keyword that haproxyd does not support yet.`);
    },
  },
  {
    name: 'monitor',
    sections: PROXY_FE_ONLY,
    supported: false,
    parse(ctx) {
      if (ctx.args[1] !== 'fail' || (ctx.args[2] !== 'if' && ctx.args[2] !== 'unless'))
        return ctx.alert("'monitor' expects 'fail' followed by 'if' or 'unless' and a condition.");
      const split = splitCondition(ctx, ctx.args.slice(2), 'monitor fail');
      if (!split) return;
      px(ctx).rules.push({
        file: ctx.file,
        line: ctx.line,
        ruleSet: 'monitor fail',
        action: 'fail',
        args: [],
        condition: split.cond,
      });
    },
  },
  {
    // `declare capture request|response len <n>`: a capture slot the rules fill
    name: 'declare',
    sections: PROXY_FE_ONLY,
    supported: true,
    parse(ctx) {
      const [, what, dir, len, n] = ctx.args;
      if (what === undefined || what === '')
        return ctx.alert("'declare' needs a second keyword that specify the type of declaration ('capture')");
      if (what !== 'capture') return ctx.alert(`unknown declaration type '${what}' (supports 'capture')`);
      if (dir !== 'request' && dir !== 'response')
        return ctx.alert("'declare capture' requires a direction ('request' or 'response')");
      if (len !== 'len') return ctx.alert("'declare capture' requires a capture length ('len')");
      if (n === undefined || n === '')
        return ctx.alert(
          "'declare capture': 'len' requires a numeric value that represents the capture length",
        );
      if (!/^-?\d+$/.test(n)) return ctx.alert(`'declare capture': cannot parse the length '${len}'.`);
      if (Number(n) <= 0) return ctx.alert('length must be > 0');
    },
  },
  simpleRow('persist', PROXY_BE, 'words', false),
  persistRow('ignore-persist', PROXY_BE_ONLY),
  persistRow('force-persist', PROXY_NO_DEFAULTS),
  simpleRow('guid', PROXY_NO_DEFAULTS, 'word', false),
  simpleRow('clitcpka-cnt', PROXY_FE, 'int', false),
  simpleRow('clitcpka-idle', PROXY_FE, 'time-s', false),
  simpleRow('clitcpka-intvl', PROXY_FE, 'time-s', false),
  simpleRow('srvtcpka-cnt', PROXY_BE, 'int', false),
  simpleRow('srvtcpka-idle', PROXY_BE, 'time-s', false),
  simpleRow('srvtcpka-intvl', PROXY_BE, 'time-s', false),
  simpleRow('retry-on', PROXY_BE, 'words', false),
  simpleRow('bind-process', PROXY_ALL, 'any', false, (c) => {
    c.warning("'bind-process' has no effect, is deprecated, and will be removed in version 2.7.");
  }),
];

/** A keyword 2.6 no longer has: HAProxy's own message when it has one, else the migration hint. */
export function reportRemoved(ctx: KeywordContext, r: RemovedKeyword): void {
  const text =
    r.message !== undefined
      ? r.message.replace('%s', ctx.args[1] ?? '')
      : r.hint.includes(`'${r.name}'`)
        ? r.hint
        : `'${r.name}' is not supported anymore: ${r.hint}.`;
  ctx.sink.add({
    level: r.level,
    code: r.tight ? 'HAP_CFG_TIGHT' : r.level === 'alert' ? 'HAP_CFG_ALERT' : 'HAP_CFG_WARNING',
    message: text,
    file: ctx.file,
    line: ctx.line,
    keyword: ctx.args[0]!,
  });
}

// removed keywords: HAProxy's own migration advice
for (const r of REMOVED_KEYWORDS) {
  if (r.where !== 'proxy' || ROWS.some((x) => x.name === r.name)) continue;
  ROWS.push({
    name: r.name,
    sections: PROXY_ALL,
    supported: false,
    parse(ctx) {
      reportRemoved(ctx, r);
    },
  });
}

// every other 2.6 proxy keyword is known, but not supported
for (const k of PROXY_KEYWORDS) {
  if (ROWS.some((r) => r.name === k.name)) continue;
  const sections: SectionClass[] = [];
  if (k.defaults) sections.push('defaults');
  if (k.frontend) sections.push('frontend');
  if (k.listen) sections.push('listen');
  if (k.backend) sections.push('backend');
  ROWS.push(unsupportedRow(k.name, sections));
}

export const PROXY_TABLE: ReadonlyMap<string, KeywordRow> = tableOf(ROWS);
