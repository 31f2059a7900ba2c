/**
 * The services haproxyd's HTTP engine runs itself: the statistics page of a proxy with
 * `stats enable` / `stats uri` (HTML, `;csv`, `;json`, admin actions by POST), and the
 * Prometheus exporter of `http-request use-service prometheus-exporter`.
 *
 * Both are made while the configuration is planned (the engine's settings hold them) and
 * read the live daemon once it exists (`attachServices`). Admin actions from the page go
 * through the runtime API's own commands (`set server … state`, …), as the stats socket
 * would run them, so there is one server-control code path.
 */

import { hostname } from 'node:os';
import type { ConfigModel, Diagnostic, ProxyModel } from '@hap/config';
import { parseTime } from '@hap/config';
import type { InterceptService } from '@hap/proxy';
import type { HttpService, ServiceReply, ServiceRequest } from '@hap/rules';
import { type Condition, compileCondition } from '@hap/sample';
import { renderPrometheus, renderStatsPage, type StatsPageStatus, showStat } from '@hap/stats';
import { daemonRuntime } from './runtime-cli.ts';
import { chain } from './runtime-http.ts';
import { contextFor } from './runtime-rules.ts';
import type { Daemon } from './serve.ts';
import { HAPROXY_COMPAT_VERSION } from './version.ts';

/** What the services of one configuration read: the daemon, once it is built. */
interface ServiceHost {
  daemon: Daemon | undefined;
  exporter: PrometheusExporter | undefined;
}

const hosts = new WeakMap<ConfigModel, ServiceHost>();

function hostOf(model: ConfigModel): ServiceHost {
  let h = hosts.get(model);
  if (h === undefined) {
    h = { daemon: undefined, exporter: undefined };
    hosts.set(model, h);
  }
  return h;
}

/** The services are ready to answer: they read `d` from now on. */
export function attachServices(d: Daemon): void {
  hostOf(d.model).daemon = d;
}

/** The service `use-service <name>` names, for the rule compiler. */
export function serviceByName(model: ConfigModel, name: string): HttpService | undefined {
  if (name !== 'prometheus-exporter') return undefined;
  const h = hostOf(model);
  h.exporter ??= new PrometheusExporter(h);
  return h.exporter;
}

const NOT_READY: ServiceReply = { status: 503 };

const head = (status: string, type: string, extra = '') =>
  `HTTP/1.1 ${status}\r\ncache-control: no-cache\r\ncontent-type: ${type}\r\n${extra}`;

function answer(status: string, type: string, text: string, extra = ''): ServiceReply {
  const body = Buffer.from(text, 'utf8');
  return {
    status: Number(status.slice(0, 3)),
    head: `${head(status, type, extra)}content-length: ${body.length}\r\n`,
    body,
  };
}

// --- the Prometheus exporter ------------------------------------------------------------

/** `http-request use-service prometheus-exporter`: HAProxy's metric families in text format. */
class PrometheusExporter implements HttpService {
  readonly name = 'prometheus-exporter';
  private readonly host: ServiceHost;

  constructor(host: ServiceHost) {
    this.host = host;
  }

  serve(req: ServiceRequest): ServiceReply {
    const d = this.host.daemon;
    if (d === undefined) return NOT_READY;
    const { stats } = daemonRuntime(d);
    // the exporter's `scope` query parameters (repeatable; `scope=` alone: none)
    const q = req.target.indexOf('?');
    let scopes: ('global' | 'frontend' | 'listener' | 'backend' | 'server')[] | undefined;
    if (q >= 0) {
      for (const part of req.target.slice(q + 1).split('&')) {
        const [k, v = ''] = part.split('=');
        if (k !== 'scope') continue;
        scopes ??= [];
        if (v === '*') scopes.push('global', 'frontend', 'listener', 'backend', 'server');
        else if (v === 'global' || v === 'frontend' || v === 'backend' || v === 'server' || v === 'listener')
          scopes.push(v);
        else if (v !== '') return answer('400 Bad Request', 'text/plain', 'Invalid scope.\n');
      }
    }
    const text = renderPrometheus(stats, {
      now: Date.now(),
      version: HAPROXY_COMPAT_VERSION,
      ...(scopes !== undefined ? { scopes } : {}),
    });
    return answer('200 OK', 'text/plain; version=0.0.4', text);
  }
}

// --- the statistics page -----------------------------------------------------------------

/** A proxy's `stats` settings (HAProxy's uri_auth). */
export interface StatsPageConfig {
  uri: string;
  realm: string;
  /** `stats auth` accounts, as `user:password`. */
  auth: string[];
  refresh: number;
  hideVersion: boolean;
  legends: boolean;
  node: string | undefined;
  desc: string | undefined;
  scopes: string[];
  /** `stats admin if|unless <cond>`, compiled. */
  admin: Condition[];
}

const DEFAULT_URI = '/haproxy?stats';
const DEFAULT_REALM = 'HAProxy Statistics';

/**
 * The `stats` settings of `p`: its own lines when it has any, else those of its defaults
 * section (HAProxy gives a proxy that writes a `stats` line its own settings, starting from
 * the built-in ones). Undefined when statistics are not enabled there.
 */
function statsConfig(model: ConfigModel, p: ProxyModel, out: Diagnostic[]): StatsPageConfig | undefined {
  const from = chain(model, p).find((q) => q.directives.some((d) => d.keyword.startsWith('stats ')));
  if (from === undefined) return undefined;
  const cfg: StatsPageConfig = {
    uri: DEFAULT_URI,
    realm: DEFAULT_REALM,
    auth: [],
    refresh: 0,
    hideVersion: false,
    legends: false,
    node: undefined,
    desc: undefined,
    scopes: [],
    admin: [],
  };
  let enabled = false;
  for (const d of from.directives) {
    if (!d.keyword.startsWith('stats ')) continue;
    const sub = d.args[1];
    const arg = d.args[2];
    switch (sub) {
      case 'enable':
        break;
      case 'uri':
        cfg.uri = arg ?? DEFAULT_URI;
        break;
      case 'realm':
        cfg.realm = (arg ?? DEFAULT_REALM).replace(/\\(.)/g, '$1');
        break;
      case 'auth':
        cfg.auth.push(arg ?? '');
        break;
      case 'refresh': {
        const t = parseTime(arg ?? '', 's');
        cfg.refresh = t.ok ? Math.floor(t.ms / 1000) : 0;
        break;
      }
      case 'hide-version':
        cfg.hideVersion = true;
        break;
      case 'show-legends':
        cfg.legends = true;
        break;
      case 'show-node':
        cfg.node = d.args.slice(2).join(' ') || '';
        break;
      case 'show-desc':
        cfg.desc = d.args.slice(2).join(' ') || '';
        break;
      case 'scope':
        cfg.scopes.push(arg === '.' ? p.name : (arg ?? ''));
        break;
      case 'admin':
        break;
      default:
        // `stats http-request`, `stats show-modules`: not honoured (left unsupported)
        continue;
    }
    enabled = true;
    d.supported = true;
  }
  if (!enabled) return undefined;
  // `stats admin` lines live among the proxy's rules (they take a condition)
  const ctx = contextFor(model, p);
  for (const r of p.rules) {
    if (r.ruleSet !== 'stats admin' || r.condition === undefined) continue;
    try {
      cfg.admin.push(
        compileCondition(r.condition, (n) => ctx.named(n), { ...ctx, file: r.file, line: r.line }),
      );
    } catch (err) {
      out.push({
        level: 'alert',
        code: 'HAP_ERR_RULE',
        file: r.file,
        line: r.line,
        keyword: 'stats admin',
        message: `error detected while parsing a 'stats admin' condition : ${(err as Error).message}`,
      });
    }
  }
  for (const d of p.directives) if (d.keyword === 'stats admin') d.supported = true;
  return cfg;
}

/** Settings read once per section: at the configuration check, then reused by the runtime. */
const configs = new WeakMap<ProxyModel, StatsPageConfig | null>();

function configOf(model: ConfigModel, p: ProxyModel, out: Diagnostic[]): StatsPageConfig | undefined {
  let cfg = configs.get(p);
  if (cfg === undefined) {
    cfg = (p.mode === 'http' && !p.disabled ? statsConfig(model, p, out) : undefined) ?? null;
    configs.set(p, cfg);
  }
  return cfg ?? undefined;
}

/** The `stats` lines of every HTTP proxy, checked (`-c` reports a bad `stats admin` condition). */
export function checkStats(model: ConfigModel): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const p of model.proxies) if (p.kind !== 'defaults') configOf(model, p, out);
  return out;
}

/** The stats page of `p` (HTTP mode), or undefined when `p` has no statistics enabled. */
export function statsPageFor(model: ConfigModel, p: ProxyModel, out: Diagnostic[]): StatsPage | undefined {
  const cfg = configOf(model, p, out);
  return cfg === undefined ? undefined : new StatsPage(hostOf(model), p.name, cfg);
}

/** Which optional words follow the `stats uri` prefix (HAProxy looks for them anywhere after it). */
interface PageRequest {
  csv: boolean;
  json: boolean;
  typed: boolean;
  up: boolean;
  noMaint: boolean;
  noRefresh: boolean;
  status: StatsPageStatus | undefined;
  scope: string | undefined;
}

const ST_CODES: readonly StatsPageStatus[] = ['DONE', 'NONE', 'PART', 'ERRP', 'EXCD', 'DENY', 'IVAL'];

function pageRequest(rest: string, refresh: boolean): PageRequest {
  const r: PageRequest = {
    csv: rest.includes(';csv'),
    json: rest.includes(';json'),
    typed: rest.includes(';typed'),
    up: rest.includes(';up'),
    noMaint: rest.includes(';no-maint'),
    noRefresh: refresh && rest.includes(';norefresh'),
    status: undefined,
    scope: undefined,
  };
  const st = rest.indexOf(';st=');
  if (st >= 0) {
    const code = rest.slice(st + 4, st + 8);
    r.status = (ST_CODES as readonly string[]).includes(code) ? (code as StatsPageStatus) : 'UNKN';
  }
  const sc = rest.indexOf('scope=');
  if (sc >= 0) {
    let end = sc + 6;
    while (end < rest.length && rest[end] !== ';' && rest[end] !== '&' && rest[end] !== ' ') end++;
    const text = rest.slice(sc + 6, Math.min(end, sc + 6 + 20));
    // a scope with characters HAProxy refuses is ignored
    r.scope = /^[A-Za-z0-9_.:-]*$/.test(text) ? text : undefined;
  }
  return r;
}

function headerValue(headers: readonly string[], name: string): string | undefined {
  for (let i = 0; i < headers.length; i += 2) if (headers[i]!.toLowerCase() === name) return headers[i + 1];
  return undefined;
}

/** A page action's CLI command for one server (undefined: not an action). */
function actionCommand(action: string, target: string): string | undefined {
  switch (action) {
    case 'ready':
    case 'drain':
    case 'maint':
      return `set server ${target} state ${action}`;
    case 'dhlth':
      return `disable health ${target}`;
    case 'ehlth':
      return `enable health ${target}`;
    case 'hrunn':
      return `set server ${target} health up`;
    case 'hnolb':
      return `set server ${target} health stopping`;
    case 'hdown':
      return `set server ${target} health down`;
    case 'dagent':
      return `disable agent ${target}`;
    case 'eagent':
      return `enable agent ${target}`;
    case 'arunn':
      return `set server ${target} agent up`;
    case 'adown':
      return `set server ${target} agent down`;
    case 'shutdown':
      return `shutdown sessions server ${target}`;
    default:
      return undefined;
  }
}

/** `stats enable|uri|…` of one proxy: HAProxy's stats applet. */
export class StatsPage implements InterceptService {
  readonly name = 'stats';
  readonly proxy: string;
  readonly config: StatsPageConfig;
  private readonly host: ServiceHost;
  private readonly pathOnly: boolean;
  private readonly basic: Set<string>;

  constructor(host: ServiceHost, proxy: string, config: StatsPageConfig) {
    this.host = host;
    this.proxy = proxy;
    this.config = config;
    this.pathOnly = config.uri.startsWith('/');
    this.basic = new Set(config.auth.map((a) => (a.includes(':') ? a : `${a}:`)));
  }

  /** GET, HEAD and POST whose target (its path when the prefix starts with '/') starts with the uri. */
  claims(method: string, target: string): boolean {
    if (method !== 'GET' && method !== 'HEAD' && method !== 'POST') return false;
    let t = target;
    if (this.pathOnly && t.charCodeAt(0) !== 0x2f) {
      // an absolute URI: its path
      const s = t.indexOf('://');
      if (s >= 0) {
        const p = t.indexOf('/', s + 3);
        t = p < 0 ? '/' : t.slice(p);
      }
    }
    return t.startsWith(this.config.uri);
  }

  serve(req: ServiceRequest): ServiceReply | Promise<ServiceReply> {
    const d = this.host.daemon;
    if (d === undefined) return NOT_READY;
    const cfg = this.config;
    if (this.basic.size > 0 && !this.authorized(req)) {
      return { status: 401, extraHeader: `www-authenticate: Basic realm="${cfg.realm}"\r\n` };
    }
    const at = req.target.indexOf(cfg.uri);
    const rest = at >= 0 ? req.target.slice(at + cfg.uri.length) : '';
    const pr = pageRequest(rest, cfg.refresh > 0);
    let admin = false;
    for (const c of cfg.admin) {
      if (c.test(req.env)) {
        admin = true;
        break;
      }
    }
    if (req.method === 'POST') {
      if (!admin) return this.redirect(pr, 'DENY');
      return this.post(d, req, pr);
    }
    const { stats } = daemonRuntime(d);
    const refresh = cfg.refresh > 0 && !pr.noRefresh ? `refresh: ${cfg.refresh}\r\n` : '';
    if (pr.csv || pr.json || pr.typed) {
      const words = [pr.json ? 'json' : pr.typed ? 'typed' : ''];
      if (pr.up) words.push('up');
      if (pr.noMaint) words.push('no-maint');
      const text = showStat(
        stats,
        words.filter((w) => w !== ''),
        {
          level: cfg.legends ? 'admin' : 'user',
          now: Date.now(),
        },
      );
      return answer('200 OK', pr.json ? 'application/json' : 'text/plain', text, refresh);
    }
    const info = stats.info();
    const html = renderStatsPage(stats, {
      uri: cfg.uri,
      version: cfg.hideVersion ? undefined : String(info['Version'] ?? HAPROXY_COMPAT_VERSION),
      releaseDate: cfg.hideVersion ? undefined : String(info['Release_date'] ?? ''),
      node: cfg.node || String(info['node'] ?? hostname()),
      description: cfg.desc !== undefined ? cfg.desc || String(info['description'] ?? '') : undefined,
      legends: cfg.legends,
      admin,
      hideDown: pr.up,
      hideMaint: pr.noMaint,
      refresh: cfg.refresh,
      noRefresh: pr.noRefresh,
      scopeText: pr.scope,
      scopes: cfg.scopes,
      status: pr.status,
      now: Date.now(),
    });
    return answer('200 OK', 'text/html', html, refresh);
  }

  private authorized(req: ServiceRequest): boolean {
    const h = headerValue(req.headers, 'authorization');
    if (h === undefined) return false;
    const m = /^\s*basic\s+(\S+)\s*$/i.exec(h);
    if (m === null) return false;
    return this.basic.has(Buffer.from(m[1]!, 'base64').toString('latin1'));
  }

  /** 303 back to the page with the result's code (HAProxy's answer to a POST). */
  private redirect(pr: PageRequest, code: StatsPageStatus): ServiceReply {
    const loc = `${this.config.uri}${pr.up ? ';up' : ''}${pr.noRefresh ? ';norefresh' : ''};st=${code}`;
    return {
      status: 303,
      head: `${head('303 See Other', 'text/plain')}content-length: 0\r\nlocation: ${loc}\r\n`,
      body: Buffer.alloc(0),
    };
  }

  /** The admin form: `s=<server>` (repeated), `action=<what>`, `b=#<backend id>` or `b=<name>`. */
  private async post(d: Daemon, req: ServiceRequest, pr: PageRequest): Promise<ServiceReply> {
    // a form longer than a buffer is not processed (HAProxy: "retry with less servers")
    if (req.truncated) return this.redirect(pr, 'EXCD');
    const form = new URLSearchParams(req.body.toString('latin1'));
    const action = form.get('action') ?? '';
    const b = form.get('b') ?? '';
    const servers = form.getAll('s').filter((s) => s !== '');
    const { api, stats } = daemonRuntime(d);
    const be = b.startsWith('#')
      ? stats.records.find((r) => r.isBackend && String(stats.proxyState(r).id) === b.slice(1))
      : stats.findBackend(b);
    if (be === undefined || actionCommand(action, 'x/y') === undefined) return this.redirect(pr, 'ERRP');
    if (servers.length === 0) return this.redirect(pr, 'NONE');
    let done = 0;
    let missing = 0;
    for (const s of servers) {
      if (stats.findServer(be, s) === undefined || /[\s;]/.test(s)) {
        missing++;
        continue;
      }
      const out = await api.execute(`${actionCommand(action, `${be.model.name}/${s}`)!}\n`, 'admin');
      // an empty answer (the command's newline aside) means the change was made
      if (out.trim() === '') done++;
    }
    const code: StatsPageStatus = missing > 0 ? (done > 0 ? 'PART' : 'ERRP') : done > 0 ? 'DONE' : 'NONE';
    return this.redirect(pr, code);
  }
}
