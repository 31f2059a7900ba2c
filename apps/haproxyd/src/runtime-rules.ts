/**
 * The rules of a proxy section, compiled for the HTTP engine: `http-request`,
 * `http-response`, `http-after-response` (its defaults section's rules first, as HAProxy),
 * the `redirect` keyword, `use_backend`, `use-server`, `monitor-uri` / `monitor fail`.
 * A rule that cannot be compiled is an alert at its line.
 */

import { readFileSync } from 'node:fs';
import {
  type ConfigModel,
  type Diagnostic,
  type Directive,
  type ProxyModel,
  parseTime,
  type ServerModel,
} from '@hap/config';
import { ERROR_PAGE_STATUSES } from '@hap/http';
import type { MonitorSettings, ProxyHttpRules } from '@hap/proxy';
import {
  compileReplyOptions,
  HttpRuleList,
  type HttpRuleSet,
  type HttpService,
  RedirectRules,
  type RuleCompileContext,
  type RuleCompileError,
  type RuleSpec,
  TargetRules,
} from '@hap/rules';
import { compileCondition, compileSampleExpr, type SampleEnv, sampleToString } from '@hap/sample';
import { hasSniExpression } from './features.ts';
import { proxyRefs } from './proxy-ids.ts';
import { captureLayout, chain, type HttpErrorEntry, resolvePath } from './runtime-http.ts';
import { tablesOf } from './runtime-stick.ts';

/** The file of `http-errors <name>` for `status`: undefined when it has none, null when there is no such section. */
function httpErrorsFile(model: ConfigModel, name: string, status: number): string | undefined | null {
  const section = model.sections.find((s) => s.kind === 'http-errors' && s.name === name);
  if (section === undefined) return null;
  const d = section.directives.findLast((x) => x.keyword === 'errorfile' && Number(x.args[1]) === status);
  return d === undefined ? undefined : resolvePath(d.args[2] ?? '');
}

/** What compiling the rules of `p` (and its `http-error` replies) needs. */
export function contextFor(model: ConfigModel, p: ProxyModel): RuleCompileContext {
  const acls = new Map<string, string[][]>();
  for (const a of p.acls) {
    const list = acls.get(a.name);
    if (list) list.push(a.words);
    else acls.set(a.name, [a.words]);
  }
  return {
    resolvePath,
    named: (name) => acls.get(name),
    loadErrorFile: (path) => readFileSync(resolvePath(path)),
    httpErrors: (name, status) => {
      const file = httpErrorsFile(model, name, status);
      return typeof file === 'string' ? readFileSync(file) : file;
    },
    userlistExists: (name) => model.sections.some((s) => s.kind === 'userlist' && s.name === name),
    // stick tables: the proxy's own is the default of track-sc, sc_* and src_* without a table
    stickTable: (name) => tablesOf(model).tables.get(name ?? p.name),
    defaultTable: p.name,
    tableExists: (name) => tablesOf(model).tables.has(name),
    // proxy and server arguments (be_conn(<backend>), srv_conn([<backend>/]<server>), …)
    ...proxyRefs(model, p),
    captureSlots: (file, line) => {
      const layout = captureLayout(p);
      if (layout.request.length === 0 && layout.response.length === 0) return undefined;
      const own = layout.request.findIndex((c) => c.name === '' && c.file === file && c.line === line);
      return {
        request: layout.request.map((c) => c.len),
        response: layout.response.map((c) => c.len),
        line: own >= 0 ? own : undefined,
      };
    },
  };
}

/** Each `http-error` line is compiled once, however many sections inherit it (and its alert is reported once). */
const compiledHttpErrors = new WeakMap<Directive, HttpErrorEntry>();

/** Compiles an `http-error` line for runtime-http.ts's error pages. */
export function httpError(
  model: ConfigModel,
  p: ProxyModel,
  d: Directive,
  out: Diagnostic[],
): HttpErrorEntry {
  if (compiledHttpErrors.has(d)) return compiledHttpErrors.get(d);
  const entry = compileHttpError(model, p, d, out);
  compiledHttpErrors.set(d, entry);
  return entry;
}

function compileHttpError(
  model: ConfigModel,
  p: ProxyModel,
  d: Directive,
  out: Diagnostic[],
): HttpErrorEntry {
  const label = 'http-error';
  try {
    const ctx = { ...contextFor(model, p), file: d.file, line: d.line };
    const spec = compileReplyOptions(d.args.slice(1), 0, ctx, label, 'http-error');
    if (spec.status === 0) throw new Error(`'${label}' expects at least a <status> as arguments.`);
    if (!ERROR_PAGE_STATUSES.includes(spec.status))
      throw new Error(`'${label}' : status code '${spec.status}' not handled.`);
    // an http-errors section without a page for the status changes nothing
    if (spec.errorPage && d.args.includes('errorfiles')) return undefined;
    return { status: spec.status, reply: spec.errorPage ? undefined : spec };
  } catch (err) {
    out.push({
      level: 'alert',
      code: 'HAP_ERR_NOT_SERVED',
      file: d.file,
      line: d.line,
      keyword: d.keyword,
      message: (err as Error).message,
    });
    return undefined;
  }
}

/** The services `use-service` may name (the stats page module's, when the configuration has one). */
let services: ((model: ConfigModel, name: string) => HttpService | undefined) | undefined;

/** Registers the services haproxyd runs itself (stats-page.ts's serviceByName), before compiling. */
export function useServices(lookup: (model: ConfigModel, name: string) => HttpService | undefined): void {
  services = lookup;
}

/** Keywords whose every line this module turns into runtime rules in `mode tcp`. */
const HONOURED_TCP = new Set([
  'acl',
  'tcp-request connection',
  'tcp-request session',
  'tcp-request content',
  'tcp-request inspect-delay',
  'use_backend',
]);
/** … and in `mode http`. */
const HONOURED_HTTP = new Set([
  ...HONOURED_TCP,
  'tcp-request content',
  'http-request',
  'http-response',
  'http-after-response',
  'use_backend',
  'use-server',
  'redirect',
  'monitor-uri',
  'monitor',
]);

export interface CompiledRules {
  /** `tcp-request connection` rules: run on the accepted socket, before any PROXY header. */
  connection: HttpRuleList | undefined;
  /** `tcp-request session` rules: run once the PROXY header (if any) is read. */
  session: HttpRuleList | undefined;
  http: ProxyHttpRules | undefined;
  /** `use_backend` rules (frontend, listen). */
  switching: TargetRules | undefined;
  /** `use-server` rules (backend, listen). */
  useServer: TargetRules | undefined;
  monitor: MonitorSettings | undefined;
  /** Mode tcp: `tcp-request content` rules on the client's first bytes. */
  content?: HttpRuleList | undefined;
  /** Mode tcp: `tcp-request inspect-delay`, ms. */
  inspectDelay?: number;
}

/** `tcp-request inspect-delay <time>` (the last one), in ms; 0 when unset. */
function inspectDelayOf(p: ProxyModel): number {
  const d = p.directives.findLast((x) => x.keyword === 'tcp-request inspect-delay');
  const t = d !== undefined ? parseTime(d.args[2] ?? '') : undefined;
  return t?.ok ? t.ms : 0;
}

function tcpSwitching(
  p: ProxyModel,
  ctx: RuleCompileContext,
  backendExists: (name: string) => boolean,
  fail: (e: RuleCompileError) => void,
): TargetRules | undefined {
  if (p.useBackends.length === 0) return undefined;
  return TargetRules.compile(
    'use_backend',
    p.useBackends.map((u) => ({ file: u.file, line: u.line, name: u.backend, condition: u.condition })),
    ctx,
    backendExists,
    fail,
  );
}

function alert(out: Diagnostic[], e: RuleCompileError, proxy: ProxyModel): void {
  out.push({
    level: 'alert',
    code: 'HAP_ERR_RULE',
    file: e.file,
    line: e.line,
    keyword: e.keyword,
    message: ruleMessage(e, proxy),
    // HAProxy resolves fetch arguments after reading: all of them are reported
    ...(e.reference ? { phase: 'check' as const } : {}),
  });
}

/** HAProxy's sentence for a rule that does not compile: an HTTP rule is named with its action. */
function ruleMessage(e: RuleCompileError, proxy: ProxyModel): string {
  const where = `${proxy.kind === 'listen' ? 'proxy' : proxy.kind} '${proxy.name}'`;
  if (!e.keyword.startsWith('http-') || e.action === '')
    return `error detected in ${proxy.kind} '${proxy.name}' while parsing '${e.keyword}' rule : ${e.message}`;
  const text = e.message.endsWith('.') ? e.message : `${e.message}.`;
  return `error detected in ${where} while parsing '${e.keyword} ${e.action}' rule : ${text}`;
}

/** Rules compiled once per section: at the configuration check, then reused by the runtime. */
const compiled = new WeakMap<ProxyModel, CompiledRules>();

/** Whether a section has anything for the rule engine. */
function hasRules(p: ProxyModel): boolean {
  return p.rules.length > 0 || p.acls.length > 0 || p.useBackends.length > 0;
}

/**
 * Compiles the rules of every section that has some (a regex that does not compile, a
 * missing map file, a `use_backend` to no backend are alerts here, so `-c` reports them).
 */
export function checkRules(model: ConfigModel): Diagnostic[] {
  const out: Diagnostic[] = [];
  const isBackend = (q: ProxyModel) => (q.kind === 'backend' || q.kind === 'listen') && !q.disabled;
  const names = new Set(model.proxies.filter(isBackend).map((q) => q.name));
  for (const p of model.proxies) {
    if (p.kind === 'defaults' || p.disabled) continue;
    // `sni <expr>` on TLS servers: parsed here so that `-c` reports it as HAProxy does
    for (const s of p.servers) {
      const sni = s.options['sni'];
      if (s.options['ssl'] !== undefined && hasSniExpression(s)) serverSniOf(p.name, s, sni as string, out);
    }
    if (!hasRules(p)) continue;
    compileRules(model, p, (name) => names.has(name), out);
  }
  return out;
}

/**
 * Compiles the rules of `p`; `backendExists` tells which names `use_backend` may use.
 * Marks the directives it honours, so that the runtime does not refuse them.
 */
export function compileRules(
  model: ConfigModel,
  p: ProxyModel,
  backendExists: (name: string) => boolean,
  out: Diagnostic[],
): CompiledRules {
  const known = compiled.get(p);
  if (known !== undefined) return known;
  const result = compileSection(model, p, backendExists, out);
  compiled.set(p, result);
  return result;
}

function compileSection(
  model: ConfigModel,
  p: ProxyModel,
  backendExists: (name: string) => boolean,
  out: Diagnostic[],
): CompiledRules {
  // `use-service` names the services haproxyd runs itself
  const ctx: RuleCompileContext = { ...contextFor(model, p), service: (name) => services?.(model, name) };
  // a track-sc naming no table is reported once, by the whole-configuration check (as HAProxy)
  const fail = (e: RuleCompileError) => {
    if (!(/^track-sc/.test(e.action) && /unable to find table '/.test(e.message))) alert(out, e, p);
  };
  // a use_backend naming no backend is reported once, by the whole-configuration check (as HAProxy)
  const switchFail = (e: RuleCompileError) => {
    if (!e.message.startsWith('unable to find required use_backend')) fail(e);
  };
  // a defaults section's rules run first (HAProxy 2.6's rules-holding defaults)
  const base = chain(model, p)[1];
  const specs: RuleSpec[] = [...(base?.rules ?? []), ...p.rules];
  const list = (set: HttpRuleSet) => {
    const l = HttpRuleList.compile(set, specs, ctx, p.name, fail);
    return l.length > 0 ? l : undefined;
  };
  const connection = p.kind === 'backend' ? undefined : list('tcp-request connection');
  const session = p.kind === 'backend' ? undefined : list('tcp-request session');
  const honoured = p.mode === 'http' ? HONOURED_HTTP : HONOURED_TCP;
  if (p.mode !== 'http') {
    // mode tcp: content rules on the first bytes, and use_backend
    // a backend's own content rules (run after switching) are not served yet: refused
    const content = p.kind === 'backend' ? undefined : list('tcp-request content');
    const switching = tcpSwitching(p, ctx, backendExists, switchFail);
    for (const d of p.directives)
      if (honoured.has(d.keyword) && !(p.kind === 'backend' && d.keyword.startsWith('tcp-request ')))
        d.supported = true;
    return {
      connection,
      session,
      http: undefined,
      switching,
      useServer: undefined,
      monitor: undefined,
      content,
      inspectDelay: inspectDelayOf(p),
    };
  }
  const tcpContent = list('tcp-request content');
  const request = list('http-request');
  const response = list('http-response');
  const afterResponse = list('http-after-response');
  const redirectSpecs = p.rules.filter((r) => r.ruleSet === 'redirect');
  const redirects = redirectSpecs.length > 0 ? RedirectRules.compile(redirectSpecs, ctx, fail) : undefined;
  const http: ProxyHttpRules | undefined =
    tcpContent || request || response || afterResponse || redirects
      ? {
          tcpContent,
          request,
          redirects,
          response,
          afterResponse,
          // an unset tarpit timeout is the connect one; none at all answers at once
          tarpit: Math.max(1, p.timeouts['tarpit'] ?? p.timeouts['connect'] ?? 0),
        }
      : undefined;

  const switching =
    p.useBackends.length > 0
      ? TargetRules.compile(
          'use_backend',
          p.useBackends.map((u) => ({ file: u.file, line: u.line, name: u.backend, condition: u.condition })),
          ctx,
          backendExists,
          switchFail,
        )
      : undefined;
  const serverNames = new Set(p.servers.map((s) => s.name));
  const serverSpecs = p.rules.filter((r) => r.ruleSet === 'use-server');
  const useServer =
    serverSpecs.length > 0
      ? TargetRules.compile(
          'use-server',
          serverSpecs.map((r) => ({ file: r.file, line: r.line, name: r.action, condition: r.condition })),
          ctx,
          (name) => serverNames.has(name),
          fail,
        )
      : undefined;

  let monitor: MonitorSettings | undefined;
  const uri = p.directives.findLast((d) => d.keyword === 'monitor-uri');
  if (uri !== undefined && uri.args[1] !== undefined && p.kind !== 'backend') {
    const fails = [];
    for (const r of p.rules) {
      if (r.ruleSet !== 'monitor fail' || r.condition === undefined) continue;
      try {
        fails.push(
          compileCondition(r.condition, (n) => ctx.named(n), { ...ctx, file: r.file, line: r.line }),
        );
      } catch (err) {
        out.push({
          level: 'alert',
          code: 'HAP_ERR_RULE',
          file: r.file,
          line: r.line,
          keyword: 'monitor',
          message: `error detected while parsing a 'monitor fail' condition : ${(err as Error).message}`,
        });
      }
    }
    monitor = { uri: uri.args[1], fail: fails };
  }

  for (const d of p.directives) if (honoured.has(d.keyword)) d.supported = true;
  return { connection, session, http, switching, useServer, monitor };
}

/**
 * `server … ssl sni <expr>`: the server name read from each stream when its connection opens
 * (an empty or missing sample sends none). An expression that does not compile is HAProxy's alert.
 */
export function serverSniOf(
  backend: string,
  s: ServerModel,
  text: string,
  out: Diagnostic[],
): ((env: SampleEnv) => string | undefined) | undefined {
  try {
    const expr = compileSampleExpr(text, { file: s.file, line: s.line, resolvePath });
    return (env) => {
      const v = expr.eval(env);
      const name = v === undefined ? '' : sampleToString(v);
      return name === '' ? undefined : name;
    };
  } catch (err) {
    out.push({
      level: 'alert',
      code: 'HAP_ERR_RULE',
      keyword: 'server',
      message: `[${s.file}:${s.line}] : 'server ${backend}/${s.name}' : error detected while parsing sni expression : ${(err as Error).message}`,
    });
    return undefined;
  }
}
