/**
 * From the configuration model to the runtime objects haproxyd can serve
 * today: `mode tcp` and `mode http` frontends and listens, forwarding to their
 * default backend's servers in turn. What the runtime cannot honour safely is
 * refused here, before anything is bound, with the line that asks for it.
 */

import type { BindModel, ConfigModel, Diagnostic, ProxyModel, ServerModel } from '@hap/config';
import {
  Backend,
  ErrorEvents,
  type Frontend,
  type FrontendHooks,
  type FrontendLog,
  HttpFrontend,
  type HttpProxySettings,
  type ServerTarget,
  setBackendHttp,
  TcpFrontend,
  type TcpInspection,
} from '@hap/proxy';
import type { HttpRuleList, TargetRules } from '@hap/rules';
import type { ProxyWorld, Userlist } from '@hap/sample';
import { createUserlist } from '@hap/sample/engine';
import type { BindTls } from '@hap/ssl';
import type { StickTable } from '@hap/stick';
import { alertAt } from './alerts.ts';
import { type Features, isH2Server } from './features.ts';
import { balancerFor } from './runtime-balance.ts';
import type { PlannedChecks } from './runtime-checks.ts';
import { chain, httpSettings, serverCookie } from './runtime-http.ts';
import type { LogPlan } from './runtime-log.ts';
import type { CompiledRules } from './runtime-rules.ts';
import { proxyWorld } from './runtime-world.ts';

/** A section without rules (the rule engine is not loaded when no section has any). */
const NO_RULES: CompiledRules = {
  connection: undefined,
  session: undefined,
  http: undefined,
  switching: undefined,
  useServer: undefined,
  monitor: undefined,
};

/** No `log` line anywhere: nothing is logged. */
const NO_LOGS: LogPlan = {
  forProxy: () => undefined,
  close: () => Promise.resolve(),
  admin: () => undefined,
  proxyLog: () => undefined,
};

/** HAProxy's default `retries`. */
const DEFAULT_RETRIES = 3;

export interface ServedFrontend {
  proxy: ProxyModel;
  frontend: Frontend;
  binds: BindModel[];
  /** `tcp-request connection` rules, run on each accepted socket before anything is read. */
  connectionRules: HttpRuleList | undefined;
  /** `tcp-request session` rules, run once a PROXY header (if any) is read. */
  sessionRules: HttpRuleList | undefined;
  /** The frontend's traffic log, when it logs. */
  log: FrontendLog | undefined;
  /** The TLS side of each `bind … ssl` line of the proxy. */
  tls: Map<BindModel, BindTls>;
}

export interface RuntimePlan {
  frontends: ServedFrontend[];
  /** Every backend in use, by name. */
  backends: ReadonlyMap<string, Backend>;
  /** The health checks to start, if any server has one. */
  checks: PlannedChecks | undefined;
  /** Stick tables by the name of the section that declares them. */
  tables: ReadonlyMap<string, StickTable>;
  /** The log targets of the process's own messages (server state changes), if any. */
  adminLog: ((level: 'emerg' | 'alert' | 'notice', text: string) => void) | undefined;
  /** A proxy's own log (its targets, backends included): the SIGHUP dump's lines. */
  proxyLog: LogPlan['proxyLog'];
  /** What sample fetches read of the proxies (for the connection rules). */
  world: ProxyWorld;
  diagnostics: Diagnostic[];
}

/**
 * Keywords that change who may connect or what is sent: serving without them
 * would be unsafe, so a configuration using them does not start until they
 * are implemented (the check with -c still passes).
 */
const REFUSED_WHEN_UNHONOURED = new Set([
  'tcp-request connection',
  'tcp-request session',
  'tcp-request content',
  'tcp-response content',
  'http-request',
  'http-response',
  'http-after-response',
  'use_backend',
  'use-server',
  'redirect',
  'acl',
  'stick',
  'stick-table',
  // access rules of the stats page (its `stats auth` and `stats admin` are served)
  'stats http-request',
]);

/** Bind options the listeners honour; any other bind option refuses the start. */
const HONOURED_BIND_OPTIONS = new Set([
  'accept-proxy',
  'backlog',
  'maxconn',
  'mode',
  'user',
  'group',
  'uid',
  'gid',
  'name',
  'id',
  'v4v6',
  'v6only',
  'noreuseport',
  'process',
  'thread',
  // TLS (read by @hap/ssl; what it cannot honour is refused by runtime-ssl.ts)
  'ssl',
  'crt',
  'crt-list',
  'ca-file',
  'crl-file',
  'verify',
  'alpn',
  'npn',
  'strict-sni',
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
  'ciphers',
  'ciphersuites',
  'curves',
  'ecdhe',
  'prefer-client-ciphers',
  'no-tls-tickets',
  'tls-ticket-keys',
  'ca-ignore-err',
  'crt-ignore-err',
  'generate-certificates',
  'ca-sign-file',
  'ca-sign-pass',
  'ca-verify-file',
  'allow-0rtt',
  'no-ca-names',
  'ssl-engine',
]);
/** Server options the TCP engine honours or that only tune what it does not do yet (checks, weights). */
const REFUSED_SERVER_OPTIONS = new Set([
  'send-proxy-v2-ssl',
  'send-proxy-v2-ssl-cn',
  'socks4',
  'usesrc',
  'source',
]);

const refuse = (out: Diagnostic[], at: { file: string; line: number }, keyword: string, message: string) =>
  alertAt(out, 'HAP_ERR_NOT_SERVED', at, keyword, message);

/** `send-proxy` / `send-proxy-v2` (the last one written wins, as in HAProxy's option parsing). */
function sendProxyOf(options: Record<string, string | true>): 0 | 1 | 2 {
  let v: 0 | 1 | 2 = 0;
  for (const k of Object.keys(options)) {
    if (k === 'send-proxy') v = 1;
    else if (k === 'send-proxy-v2') v = 2;
    else if (k === 'no-send-proxy' || k === 'no-send-proxy-v2') v = 0;
  }
  return v;
}

/** The servers to connect to, and their models in the same order (for the balancer). */
/**
 * A TLS server whose SNI is an expression (`sni req.hdr(host)`): the rule engine reads it from
 * the stream (HTTP mode; refused in mode tcp and with HTTP/2 to the server, not served yet).
 */
function serverTlsWithSni(
  be: ProxyModel,
  s: ServerModel,
  t: NonNullable<ServerTarget['tls']> & { readonly sniExpression?: string | undefined },
  rules: Features['rules'],
  out: Diagnostic[],
): ServerTarget['tls'] {
  const text = t.sniExpression!;
  if (be.mode !== 'http' || isH2Server(s)) {
    refuse(
      out,
      s,
      'server',
      `server '${be.name}/${s.name}': 'sni ${text}' is not supported yet by haproxyd's runtime ${be.mode !== 'http' ? 'in mode tcp' : 'with HTTP/2 to the server'} (only 'sni str(…)' and 'sni ssl_fc_sni' are).`,
    );
    return t;
  }
  const sniOf = rules?.serverSniOf(be.name, s, text, out);
  if (sniOf === undefined) return t;
  return {
    forwardClientSni: false,
    sniOf,
    connectOptions: (name) => t.connectOptions(name),
    connect: (o) => t.connect(o),
  };
}

function serverTargets(
  be: ProxyModel,
  out: Diagnostic[],
  tlsOf: (s: ServerModel) => ServerTarget['tls'],
  h2Of: (s: ServerModel) => ServerTarget['h2'],
): { targets: ServerTarget[]; models: ServerModel[] } {
  const targets: ServerTarget[] = [];
  const models: ServerModel[] = [];
  for (const s of be.servers) {
    for (const opt of Object.keys(s.options)) {
      if (opt === 'proto') {
        // `proto h2` in an HTTP backend: HTTP/2 to the server (@hap/proxy/h2); `h1` is what
        // HTTP servers speak anyway. In mode tcp, checkH2 says what HAProxy says.
        const v = s.options[opt];
        if (be.mode === 'http' && (v === 'h2' || v === 'h1')) continue;
        if (be.mode !== 'http' && v === 'h2') continue;
        refuse(
          out,
          s,
          'server',
          `server '${be.name}/${s.name}': option 'proto ${String(v)}' is not supported yet by haproxyd's runtime (only 'proto h2' and 'proto h1' in mode http are).`,
        );
      } else if (REFUSED_SERVER_OPTIONS.has(opt)) {
        refuse(
          out,
          s,
          'server',
          `server '${be.name}/${s.name}': option '${opt}' is not supported yet by haproxyd's runtime.`,
        );
      }
    }
    const tls = tlsOf(s);
    const h2 = h2Of(s);
    if (h2 !== undefined && sendProxyOf(s.options) !== 0) {
      refuse(
        out,
        s,
        'server',
        `server '${be.name}/${s.name}': 'send-proxy' to an HTTP/2 server is not supported yet by haproxyd's runtime.`,
      );
    }
    // a TLS server's checks run over TLS too (runtime-checks.ts, unless `port`/`addr` move them)
    if (tls !== undefined && sendProxyOf(s.options) !== 0) {
      refuse(
        out,
        s,
        'server',
        `server '${be.name}/${s.name}': 'send-proxy' together with 'ssl' is not supported yet by haproxyd's runtime.`,
      );
    }
    // backup, disabled and weight-0 servers are there too: the balancer knows what they may take
    const a = s.address;
    if (a.family === 'unix' || a.family === 'abns') {
      // abstract names live in Linux's abstract namespace: a leading NUL byte
      const path = a.family === 'abns' ? `\0${a.host}` : a.host;
      targets.push({
        name: s.name,
        host: '',
        port: 0,
        path,
        maxconn: s.maxconn,
        sendProxy: sendProxyOf(s.options),
        cookie: serverCookie(s.options),
        tls,
        h2,
      });
      models.push(s);
      continue;
    }
    if (a.family === 'fd' || a.family === 'sockpair') {
      refuse(
        out,
        s,
        'server',
        `server '${be.name}/${s.name}': '${a.raw}' addresses are not supported yet by haproxyd's runtime.`,
      );
      continue;
    }
    if (a.port === 0 || a.portOffset) {
      refuse(
        out,
        s,
        'server',
        `server '${be.name}/${s.name}': a server without an explicit port is not supported yet by haproxyd's runtime.`,
      );
      continue;
    }
    targets.push({
      name: s.name,
      host: a.host === '' ? '127.0.0.1' : a.host,
      port: a.port,
      maxconn: s.maxconn,
      sendProxy: sendProxyOf(s.options),
      cookie: serverCookie(s.options),
      tls,
      h2,
    });
    models.push(s);
  }
  return { targets, models };
}

/** Builds the frontends to serve, or the alerts saying why the configuration cannot be served. */
export function planRuntime(model: ConfigModel, hooks: FrontendHooks, features: Features): RuntimePlan {
  const out: Diagnostic[] = [];
  const frontends: ServedFrontend[] = [];
  const backends = new Map<string, Backend>();
  const isBackend = (p: ProxyModel) => (p.kind === 'backend' || p.kind === 'listen') && !p.disabled;
  const findBackend = (name: string) => model.proxies.find((p) => isBackend(p) && p.name === name);

  // HTTP settings and rules first: the directives they honour are not refused below
  const httpOf = new Map<ProxyModel, HttpProxySettings>();
  const rulesOf = new Map<ProxyModel, CompiledRules>();
  for (const p of model.proxies) {
    if (p.kind === 'defaults' || p.disabled) continue;
    const rules =
      features.rules?.compileRules(model, p, (name) => findBackend(name) !== undefined, out) ?? NO_RULES;
    rulesOf.set(p, rules);
    if (p.mode !== 'http') continue;
    const settings = httpSettings(model, p, out, features.rules?.httpError);
    settings.rules = rules.http;
    // `stats enable|uri|…`: the proxy answers its stats page itself
    const page = features.statsPage?.statsPageFor(model, p, out);
    if (page !== undefined) settings.intercept = page;
    httpOf.set(p, settings);
  }
  const tables = features.stick?.stickTables(model, out) ?? new Map<string, StickTable>();
  const backendOf = (beModel: ProxyModel): Backend => {
    let backend = backends.get(beModel.name);
    if (backend) return backend;
    const { targets, models } = serverTargets(
      beModel,
      out,
      (s) => {
        if (s.options['ssl'] === undefined) return undefined;
        const t = features.tls?.serverTlsFor(model, beModel.name, s, out);
        return t?.sniExpression !== undefined ? serverTlsWithSni(beModel, s, t, features.rules, out) : t;
      },
      // node:http2 is loaded whenever a server speaks HTTP/2 (features.ts)
      (s) => features.h2?.serverH2For(model, beModel, s),
    );
    const balancer = balancerFor(beModel, chain(model, beModel), models, out);
    backend = new Backend({
      name: beModel.name,
      servers: targets,
      ...(balancer !== undefined ? { balancer } : {}),
      retries: beModel.retries ?? DEFAULT_RETRIES,
      timeouts: {
        connect: beModel.timeouts['connect'] ?? 0,
        server: beModel.timeouts['server'] ?? 0,
        tunnel: beModel.timeouts['tunnel'] ?? 0,
        queue: beModel.timeouts['queue'] ?? 0,
        serverFin: beModel.timeouts['server-fin'] ?? 0,
      },
      reuse: reuseOf(beModel),
      redispatch: beModel.options['redispatch'] === true,
    });
    const beHttp = httpOf.get(beModel);
    // a listen's settings object is shared by its two sides: its rules run once
    if (beHttp) setBackendHttp(backend, beHttp);
    backend.useServer = rulesOf.get(beModel)?.useServer;
    backend.persist = features.stick?.stickPersistence(beModel, backend.servers, tables, out);
    // its alerts and warnings were reported by the configuration check (checkCookies)
    backend.cookie = features.cookie?.cookiePersistence(model, beModel, []);
    features.cookie?.applyDynamicCookies(backend.cookie, backend.servers);
    backends.set(beModel.name, backend);
    return backend;
  };
  // every backend exists, used or not: fetches such as nbsrv() may name any of them
  for (const q of model.proxies) if (isBackend(q)) backendOf(q);
  const world = proxyWorld(model, backends, frontends, userlists(model, out));
  // `show errors` numbers the errors of every proxy in one sequence
  const errorEvents = new ErrorEvents();
  const logs = features.logs?.planLogs(model, out) ?? NO_LOGS;
  let actconn = 0;

  for (const p of model.proxies) {
    if ((p.kind !== 'frontend' && p.kind !== 'listen') || p.disabled || p.binds.length === 0) continue;
    const tls = new Map<BindModel, BindTls>();
    for (const b of p.binds) {
      for (const opt of Object.keys(b.options)) {
        if (opt === 'proto') {
          // 'proto h2' in mode http is served by runtime-h2.ts (loaded whenever a bind line says it)
          if (b.options[opt] === 'h2' && p.mode === 'http') continue;
          refuse(
            out,
            b,
            'bind',
            `bind option 'proto ${String(b.options[opt])}' is not supported yet by haproxyd's runtime (only 'proto h2' on a frontend in mode http is).`,
          );
        } else if (!HONOURED_BIND_OPTIONS.has(opt)) {
          refuse(out, b, 'bind', `bind option '${opt}' is not supported yet by haproxyd's runtime.`);
        }
      }
      const t = features.tls?.bindTlsFor(model, b, out);
      if (t !== undefined) tls.set(b, t);
    }
    const rules = rulesOf.get(p);
    const beModel =
      p.kind === 'listen' ? p : p.defaultBackend ? findBackend(p.defaultBackend.name) : undefined;
    // an HTTP frontend may have no backend at all: what its rules do not answer gets a 503
    if (!beModel && rules?.switching === undefined && p.mode !== 'http') {
      refuse(
        out,
        p,
        'default_backend',
        `${p.kind} '${p.name}' has no backend to forward to (set 'default_backend').`,
      );
      continue;
    }
    // without a default backend, a request no use_backend rule takes gets a 503 (as HAProxy)
    const backend = beModel ? backendOf(beModel) : noBackend(p.name);
    // a tcp frontend whose default backend is in mode http: the stream is upgraded to HTTP at
    // once (as HAProxy does), with the backend's HTTP settings and no frontend rules
    const beHttpOfTcp = p.mode !== 'http' && beModel !== undefined ? httpOf.get(beModel) : undefined;
    const feHttp =
      httpOf.get(p) ??
      (beHttpOfTcp !== undefined && rules?.content === undefined && rules?.switching === undefined
        ? { ...beHttpOfTcp, rules: undefined }
        : undefined);
    let frontend: Frontend;
    const log = logs.forProxy(p, () => {
      actconn = 0;
      for (const f of frontends) actconn += f.frontend.connections;
      return { actconn, feconn: frontend.connections };
    });
    if (feHttp) {
      let switching: { rules: TargetRules; backends: Map<string, Backend> } | undefined;
      // the rule engine runs when a backend this frontend may use has rules, use-server or stick rules
      const engaged = (q: ProxyModel) =>
        httpOf.get(q)?.rules !== undefined ||
        httpOf.get(q)?.intercept !== undefined ||
        rulesOf.get(q)?.useServer !== undefined ||
        backends.get(q.name)?.persist !== undefined ||
        backends.get(q.name)?.cookie?.persistRules !== undefined;
      let backendRules = beModel !== undefined && engaged(beModel);
      if (rules?.switching !== undefined) {
        const named = new Map<string, Backend>();
        // every backend a dynamic name could designate
        for (const q of model.proxies) {
          if (!isBackend(q)) continue;
          named.set(q.name, backendOf(q));
          if (engaged(q)) backendRules = true;
        }
        switching = { rules: rules.switching, backends: named };
      }
      frontend = new HttpFrontend({
        name: p.name,
        backend,
        timeouts: {
          client: p.timeouts['client'] ?? 0,
          httpRequest: p.timeouts['http-request'] ?? 0,
          httpKeepAlive: p.timeouts['http-keep-alive'] ?? 0,
        },
        http: feHttp,
        hooks,
        switching,
        monitor: rules?.monitor,
        world,
        backendRules,
        log,
        errorEvents,
      });
    } else {
      let inspection: TcpInspection | undefined;
      if (rules?.content !== undefined || rules?.switching !== undefined) {
        const named = new Map<string, Backend>();
        if (rules.switching !== undefined)
          for (const q of model.proxies) if (isBackend(q)) named.set(q.name, backendOf(q));
        inspection = {
          rules: rules.content,
          delay: rules.inspectDelay ?? 0,
          switching: rules.switching !== undefined ? { rules: rules.switching, backends: named } : undefined,
          world,
        };
      }
      frontend = new TcpFrontend({
        name: p.name,
        backend,
        clientTimeout: p.timeouts['client'] ?? 0,
        clientFinTimeout: p.timeouts['client-fin'] ?? 0,
        hooks,
        inspection,
        world,
        log,
      });
    }
    frontends.push({
      proxy: p,
      frontend,
      binds: p.binds,
      connectionRules: rules?.connection,
      sessionRules: rules?.session,
      log,
      tls,
    });
  }
  // what the runtime still does not honour, now that every part had its say
  for (const p of model.proxies) {
    if (p.kind === 'defaults') continue;
    for (const d of p.directives) {
      if (REFUSED_WHEN_UNHONOURED.has(d.keyword) && !d.supported) {
        refuse(
          out,
          d,
          d.keyword,
          `'${d.keyword}' is not supported yet by haproxyd's runtime; serving without it would change who is let in or what is sent.`,
        );
      }
    }
  }

  const used = model.proxies.filter((q) => backends.has(q.name) && isBackend(q));
  const checks = features.checks?.planChecks(model, used, out, (_be, s) =>
    features.tls?.checkTlsFor(model, s, out),
  );
  return {
    frontends,
    backends,
    checks,
    tables,
    world,
    adminLog: logs.admin(),
    proxyLog: (name) => logs.proxyLog(name),
    diagnostics: out,
  };
}

/** The stand-in backend of a frontend without `default_backend`: no server, every request gets 503. */
function noBackend(frontend: string): Backend {
  return new Backend({
    name: frontend,
    servers: [],
    retries: 0,
    timeouts: { connect: 0, server: 0, tunnel: 0 },
  });
}

/** The `userlist` sections, for `http_auth()` (a list that cannot be built is an alert). */
function userlists(model: ConfigModel, out: Diagnostic[]): Map<string, Userlist> {
  const lists = new Map<string, Userlist>();
  for (const s of model.sections) {
    if (s.kind !== 'userlist') continue;
    try {
      lists.set(
        s.name,
        createUserlist(
          s.name,
          s.directives.map((d) => d.args),
        ),
      );
      for (const d of s.directives) d.supported = true;
    } catch (err) {
      out.push({
        level: 'alert',
        code: 'HAP_ERR_USERLIST',
        file: s.file,
        line: s.line,
        keyword: 'userlist',
        message: (err as Error).message,
      });
    }
  }
  return lists;
}

function reuseOf(p: ProxyModel): 'never' | 'safe' | 'aggressive' | 'always' {
  const d = p.directives.findLast((x) => x.keyword === 'http-reuse');
  const v = d?.args[1];
  return v === 'never' || v === 'aggressive' || v === 'always' ? v : 'safe';
}
