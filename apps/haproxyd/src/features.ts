/**
 * The optional parts of the runtime, loaded only when the configuration uses them: the rule
 * engine (ACLs, rules, samples), stick tables, logs, health checks and the runtime API. A
 * configuration that forwards plainly never loads their code, which keeps the resident memory
 * of a daemon holding thousands of idle connections low (issue 4's idle target).
 */

import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { BindModel, ConfigModel, Directive, ProxyModel, ServerModel } from '@hap/config';

export type RulesFeature = typeof import('./runtime-rules.ts');
export type StickFeature = typeof import('./runtime-stick.ts');
export type LogsFeature = typeof import('./runtime-log.ts');
export type ChecksFeature = typeof import('./runtime-checks.ts');
export type CliFeature = typeof import('./runtime-cli.ts');
export type StatsPageFeature = typeof import('./stats-page.ts');
export type CookieFeature = typeof import('./runtime-cookie.ts');
export type TlsFeature = typeof import('./runtime-ssl.ts');
export type H2Feature = typeof import('./runtime-h2.ts');
export type ResolversFeature = typeof import('./runtime-resolvers.ts');

/** The modules a configuration needs; an absent one is not used by any section. */
export interface Features {
  rules?: RulesFeature;
  stick?: StickFeature;
  logs?: LogsFeature;
  checks?: ChecksFeature;
  cli?: CliFeature;
  /** The stats page and the services `use-service` names (the Prometheus exporter). */
  statsPage?: StatsPageFeature;
  /** Cookie persistence (`cookie`, with `force-persist`/`ignore-persist`). */
  cookie?: CookieFeature;
  /** TLS on bind lines and to servers (@hap/ssl and node:tls, several MiB: only when used). */
  tls?: TlsFeature;
  /**
   * HTTP/2 on bind lines and to servers (node:http2: only when a bind or crt-list line offers
   * h2 or takes `proto h2`, or a server line says `proto h2` or offers h2 by ALPN).
   */
  h2?: H2Feature;
  /** Server addresses from DNS at run time (`resolvers` sections named by server lines). */
  resolvers?: ResolversFeature;
}

/** Bind options that only mean something on a TLS line. */
const TLS_BIND_WORDS = new Set(['ssl', 'crt', 'crt-list', 'ca-file', 'crl-file']);

/** Whether a bind line is a TLS one (runtime-ssl.ts compiles those). */
export const isTlsBind = (b: BindModel): boolean => b.optionList.some(([n]) => TLS_BIND_WORDS.has(n));

/** Whether a bind line may carry HTTP/2: `proto h2`, or `h2` among its ALPN protocols. */
export const isH2Bind = (b: BindModel): boolean => {
  if (b.options['proto'] === 'h2') return true;
  const alpn = b.options['alpn'];
  return typeof alpn === 'string' && alpn.split(',').some((p) => p === 'h2');
};

/** Whether a server speaks HTTP/2 (`proto h2`, or `alpn` offering h2 on a TLS server line). */
export const isH2Server = (s: ServerModel): boolean => {
  if (s.options['proto'] === 'h2') return true;
  const alpn = s.options['alpn'];
  return s.options['ssl'] !== undefined && typeof alpn === 'string' && alpn.split(',').includes('h2');
};

/**
 * Whether a TLS bind line names a crt-list whose lines offer h2 (`alpn h2` on a line): the file
 * is read here only to know whether node:http2 is needed; @hap/ssl reads it for good later.
 */
const crtListOffersH2 = (b: BindModel, crtBase: string | undefined): boolean => {
  const list = b.options['crt-list'];
  if (typeof list !== 'string') return false;
  try {
    const file = crtBase !== undefined && !isAbsolute(list) ? join(crtBase, list) : list;
    return /\balpn\s+\S*\bh2\b/.test(readFileSync(file, 'latin1'));
  } catch {
    return false;
  }
};

/** Keywords the rule engine compiles besides the rule sets, ACLs and use_backend lines. */
const RULE_ENGINE_KEYWORDS = new Set(['monitor-uri', 'monitor', 'http-error', 'tcp-request inspect-delay']);

const sectionsOf = (model: ConfigModel): readonly ProxyModel[] => model.proxies;

const isLogDirective = (d: Directive): boolean =>
  d.keyword === 'log' || d.keyword.startsWith('log-') || /^option (http|tcp)log$/.test(d.keyword);

/** `sni <expr>` on a server, other than a constant or the client's own name: the sample engine reads it. */
export const hasSniExpression = (s: ServerModel): boolean => {
  const sni = s.options['sni'];
  return typeof sni === 'string' && sni !== 'ssl_fc_sni' && !/^str\(.*\)$/.test(sni);
};

/** What each optional module is needed for (defaults sections count: their lines are inherited). */
export const uses = {
  rules: (model: ConfigModel): boolean =>
    sectionsOf(model).some(
      (p) =>
        p.rules.length > 0 ||
        p.acls.length > 0 ||
        p.useBackends.length > 0 ||
        p.directives.some((d) => RULE_ENGINE_KEYWORDS.has(d.keyword)) ||
        p.servers.some(hasSniExpression),
    ),
  stick: (model: ConfigModel): boolean =>
    sectionsOf(model).some((p) => p.directives.some((d) => d.keyword === 'stick-table')),
  logs: (model: ConfigModel): boolean =>
    model.global.directives.some(isLogDirective) ||
    sectionsOf(model).some((p) => p.directives.some(isLogDirective)),
  checks: (model: ConfigModel): boolean =>
    // `check` may come from a default-server line: the options hold it either way
    sectionsOf(model).some((p) =>
      p.servers.some(
        (s) => s.check || s.options['check'] !== undefined || s.options['agent-check'] !== undefined,
      ),
    ),
  cli: (model: ConfigModel): boolean => model.global.directives.some((d) => d.keyword === 'stats socket'),
  tls: (model: ConfigModel): boolean =>
    sectionsOf(model).some(
      (p) =>
        p.binds.some(isTlsBind) ||
        p.servers.some((s) => s.options['ssl'] !== undefined || s.options['check-ssl'] !== undefined),
    ),
  h2: (model: ConfigModel): boolean =>
    model.global.directives.some((d) => d.keyword.startsWith('tune.h2.')) ||
    sectionsOf(model).some(
      (p) =>
        p.binds.some(isH2Bind) ||
        (p.mode === 'http' &&
          p.binds.some((b) =>
            crtListOffersH2(b, model.global.directives.find((d) => d.keyword === 'crt-base')?.args[1]),
          )) ||
        p.servers.some(isH2Server),
    ),
  resolvers: (model: ConfigModel): boolean =>
    sectionsOf(model).some((p) => p.servers.some((s) => s.options['resolvers'] !== undefined)),
  cookie: (model: ConfigModel): boolean =>
    sectionsOf(model).some((p) => p.directives.some((d) => d.keyword === 'cookie')),
  statsPage: (model: ConfigModel): boolean =>
    sectionsOf(model).some((p) =>
      p.directives.some((d) => d.keyword.startsWith('stats ') || d.args.includes('use-service')),
    ),
};

/** Loads the modules the configuration needs (each one once per process). */
export async function loadFeatures(model: ConfigModel): Promise<Features> {
  const f: Features = {};
  // the rule engine compiles track-sc and sc_* against the stick tables, and `stick` lines
  // without a table are refused by the stick module: it comes with either
  const rules = uses.rules(model);
  const stick =
    rules ||
    uses.stick(model) ||
    sectionsOf(model).some((p) => p.directives.some((d) => d.keyword === 'stick'));
  const [r, s, l, c, a, page, ck, tls, h2] = await Promise.all([
    rules ? import('./runtime-rules.ts') : undefined,
    stick ? import('./runtime-stick.ts') : undefined,
    uses.logs(model) ? import('./runtime-log.ts') : undefined,
    uses.checks(model) ? import('./runtime-checks.ts') : undefined,
    uses.cli(model) ? import('./runtime-cli.ts') : undefined,
    uses.statsPage(model) ? import('./stats-page.ts') : undefined,
    uses.cookie(model) ? import('./runtime-cookie.ts') : undefined,
    uses.tls(model) ? import('./runtime-ssl.ts') : undefined,
    uses.h2(model) ? import('./runtime-h2.ts') : undefined,
  ]);
  if (uses.resolvers(model)) f.resolvers = await import('./runtime-resolvers.ts');
  // `use-service` names a service of the stats page module: the rule compiler must know them
  if (r && page) r.useServices(page.serviceByName);
  if (page) f.statsPage = page;
  if (ck) f.cookie = ck;
  if (tls) f.tls = tls;
  if (h2) f.h2 = h2;
  if (r) f.rules = r;
  if (s) f.stick = s;
  if (l) f.logs = l;
  if (c) f.checks = c;
  if (a) f.cli = a;
  return f;
}
