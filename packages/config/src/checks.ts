/**
 * Checks made once every file is read (HAProxy's check_config_validity):
 * each rule looks at the whole model and returns diagnostics.
 */

import type { Diagnostic } from './diagnostics.ts';
import { checkResolvers } from './keywords/resolvers.ts';
import type { ConfigModel, Directive, ProxyModel } from './model.ts';

export type CheckRule = (model: ConfigModel) => Diagnostic[];

const PROXY_TYPE: Record<ProxyModel['kind'], string> = {
  defaults: 'defaults',
  frontend: 'frontend',
  backend: 'backend',
  listen: 'proxy',
};

function isFrontend(p: ProxyModel): boolean {
  return p.kind === 'frontend' || p.kind === 'listen';
}

function isBackend(p: ProxyModel): boolean {
  return p.kind === 'backend' || p.kind === 'listen';
}

function live(model: ConfigModel): ProxyModel[] {
  return model.proxies.filter((p) => p.kind !== 'defaults');
}

/** Backend-capable proxies by name (the first one declared wins, as a linear search would). */
const backendIndex = new WeakMap<ConfigModel, Map<string, ProxyModel>>();

function findBackend(model: ConfigModel, name: string): ProxyModel | undefined {
  let index = backendIndex.get(model);
  if (!index) {
    index = new Map();
    for (const p of model.proxies) if (isBackend(p) && !index.has(p.name)) index.set(p.name, p);
    backendIndex.set(model, index);
  }
  return index.get(name);
}

/** Backends named by `use_backend` and `default_backend` exist and speak the same mode. */
const switchingTargets: CheckRule = (model) => {
  const out: Diagnostic[] = [];
  for (const p of live(model)) {
    const targets: { name: string; file: string; line: number; label: string }[] = [];
    if (p.defaultBackend) targets.push({ ...p.defaultBackend, label: 'default_backend' });
    for (const u of p.useBackends) {
      // dynamic names (%[…]) are resolved per request
      if (!u.backend.includes('%['))
        targets.push({ name: u.backend, file: u.file, line: u.line, label: 'use_backend' });
    }
    for (const t of targets) {
      const be = findBackend(model, t.name);
      if (!be) {
        out.push({
          level: 'alert',
          code: 'HAP_CFG_MISSING_BACKEND',
          message: `Proxy '${p.name}': unable to find required ${t.label}: '${t.name}'.`,
          keyword: t.label,
        });
        continue;
      }
      if (be === p) {
        out.push({
          level: 'alert',
          code: 'HAP_CFG_BACKEND_LOOP',
          message: `Proxy '${p.name}': loop detected for ${t.label}: '${t.name}'.`,
          keyword: t.label,
        });
        continue;
      }
      const fm = p.mode ?? 'tcp';
      const bm = be.mode ?? 'tcp';
      if (fm === 'http' && bm !== 'http') {
        out.push({
          level: 'alert',
          code: 'HAP_CFG_MODE_MISMATCH',
          message: `${fm} ${PROXY_TYPE[p.kind]} '${p.name}' (${p.file}:${p.line}) tries to use incompatible ${bm} ${PROXY_TYPE[be.kind]} '${be.name}' (${be.file}:${be.line}) ${t.label === 'default_backend' ? 'as its default backend' : "in a 'use_backend' rule"} (see 'mode').`,
          keyword: t.label,
        });
      }
    }
  }
  return out;
};

/** Two servers of one backend may not share a name (unless they have explicit ids). */
const duplicateServers: CheckRule = (model) => {
  const out: Diagnostic[] = [];
  for (const p of live(model)) {
    const seen = new Map<string, number>();
    for (const s of p.servers) {
      if (s.options['id'] !== undefined) continue;
      const prev = seen.get(s.name);
      if (prev !== undefined) {
        out.push({
          level: 'alert',
          code: 'HAP_CFG_DUPLICATE_SERVER',
          file: s.file,
          line: s.line,
          keyword: 'server',
          message: `${PROXY_TYPE[p.kind]} '${p.name}', another server named '${s.name}' was already defined at line ${prev}, please use distinct names.`,
        });
      } else seen.set(s.name, s.line);
    }
  }
  return out;
};

/** A frontend without `bind` accepts nothing. */
const frontendWithoutBind: CheckRule = (model) =>
  live(model)
    .filter((p) => isFrontend(p) && p.binds.length === 0 && !p.disabled)
    .map((p) => ({
      level: 'warning' as const,
      code: 'HAP_CFG_NO_BIND',
      keyword: 'bind',
      message: `${PROXY_TYPE[p.kind]} '${p.name}' has no 'bind' directive. Please declare it as a backend if this was intended.`,
    }));

/** HAProxy's "missing timeouts" warning for tcp/http proxies. */
const missingTimeouts: CheckRule = (model) => {
  const out: Diagnostic[] = [];
  for (const p of live(model)) {
    if (p.disabled) continue;
    const fe = isFrontend(p) && !p.timeouts['client'];
    const be = isBackend(p) && (!p.timeouts['connect'] || !p.timeouts['server']);
    if (fe || be) {
      out.push({
        level: 'warning',
        code: 'HAP_CFG_MISSING_TIMEOUTS',
        keyword: 'timeout',
        message: `missing timeouts for ${PROXY_TYPE[p.kind]} '${p.name}'.\n   | While not properly invalid, you will certainly encounter various problems\n   | with such a configuration. To fix this, please ensure that all following\n   | timeouts are set to a non-zero value: 'client', 'connect', 'server'.`,
      });
    }
  }
  return out;
};

/** Servers, options and rules that need HTTP in a TCP proxy. */
const httpOnlyInTcp: CheckRule = (model) => {
  const out: Diagnostic[] = [];
  for (const p of live(model)) {
    if (p.mode === 'http') continue;
    for (const r of p.rules) {
      if (r.ruleSet.startsWith('http-')) {
        out.push({
          level: 'warning',
          code: 'HAP_CFG_HTTP_IN_TCP',
          keyword: r.ruleSet,
          message: `${PROXY_TYPE[p.kind]} '${p.name}' : '${r.ruleSet}' rules ignored for ${PROXY_TYPE[p.kind]} '${p.name}' as they require HTTP mode.`,
        });
        break;
      }
    }
  }
  return out;
};

/** A proxy's defaults sections, farthest first, then the proxy (the order its settings apply in). */
function settingsChain(model: ConfigModel, p: ProxyModel): ProxyModel[] {
  const out: ProxyModel[] = [p];
  let cur = p;
  const seen = new Set<ProxyModel>([p]);
  while (cur.defaultsFrom !== undefined) {
    const at = model.proxies.indexOf(cur);
    const name = cur.defaultsFrom;
    // the last defaults section of that name declared before this one
    let d: ProxyModel | undefined;
    for (let i = at - 1; i >= 0; i--) {
      const x = model.proxies[i]!;
      if (x.kind === 'defaults' && x.name === name) {
        d = x;
        break;
      }
    }
    if (d === undefined || seen.has(d)) break;
    seen.add(d);
    out.unshift(d);
    cur = d;
  }
  return out;
}

const LOG_FORMAT_KEYWORDS = new Set(['option httplog', 'option tcplog', 'option httpslog', 'log-format']);

/**
 * HTTP-only options in a TCP proxy and a log format without a log address: HAProxy's
 * warnings from its whole-configuration checks.
 */
const logAndHttpOptions: CheckRule = (model) => {
  const out: Diagnostic[] = [];
  const globalLogs = model.global.directives.some((d) => d.keyword === 'log' && d.modifier === 'none');
  for (const p of live(model)) {
    if (p.disabled) continue;
    const word = PROXY_TYPE[p.kind];
    let targets = 0;
    let usesGlobal = false;
    let format: Directive | undefined;
    let forwardfor: Directive | undefined;
    let stats = false;
    for (const s of settingsChain(model, p)) {
      for (const d of s.directives) {
        if (d.keyword === 'log') {
          if (d.modifier === 'no') {
            targets = 0;
            usesGlobal = false;
          } else if (d.args[1] === 'global') usesGlobal = true;
          else targets++;
        } else if (LOG_FORMAT_KEYWORDS.has(d.keyword)) format = d.modifier === 'no' ? undefined : d;
        else if (d.keyword === 'option forwardfor') forwardfor = d.modifier === 'no' ? undefined : d;
        else if (d.keyword === 'stats' || d.keyword.startsWith('stats ')) stats = true;
      }
    }
    const http = p.mode === 'http';
    if (isFrontend(p) && format !== undefined) {
      if (!http && format.keyword === 'option httplog') {
        out.push({
          level: 'warning',
          code: 'HAP_CFG_HTTP_IN_TCP',
          keyword: 'option httplog',
          file: format.file,
          line: format.line,
          message: `'option httplog' not usable with ${word} '${p.name}' (needs 'mode http'). Falling back to 'option tcplog'.`,
        });
      }
      if (targets === 0 && !(usesGlobal && globalLogs)) {
        out.push({
          level: 'warning',
          code: 'HAP_CFG_LOG_FORMAT_NO_LOG',
          keyword: format.keyword,
          message: `log format ignored for ${word} '${p.name}' since it has no log address.`,
        });
      }
    }
    if (!http && stats) {
      out.push({
        level: 'warning',
        code: 'HAP_CFG_HTTP_IN_TCP',
        keyword: 'stats',
        message: `'stats' statement ignored for ${word} '${p.name}' as it requires HTTP mode.`,
      });
    }
    if (!http && forwardfor !== undefined) {
      out.push({
        level: 'warning',
        code: 'HAP_CFG_HTTP_IN_TCP',
        keyword: 'option forwardfor',
        message: `'option forwardfor' ignored for ${word} '${p.name}' as it requires HTTP mode.`,
      });
    }
  }
  return out;
};

/** Users and groups of a userlist refer to each other by name. */
const userlistReferences: CheckRule = (model) => {
  const out: Diagnostic[] = [];
  for (const s of model.sections) {
    if (s.kind !== 'userlist') continue;
    const users = new Set<string>();
    const groups = new Set<string>();
    for (const d of s.directives) (d.keyword === 'user' ? users : groups).add(d.args[1] ?? '');
    for (const d of s.directives) {
      const at = d.args.indexOf(d.keyword === 'group' ? 'users' : 'groups');
      if (at < 0) continue;
      for (const name of (d.args[at + 1] ?? '').split(',').filter(Boolean)) {
        const known = d.keyword === 'group' ? users.has(name) : groups.has(name);
        if (known) continue;
        out.push({
          level: 'alert',
          code: 'HAP_CFG_USERLIST_REF',
          keyword: d.keyword,
          message:
            d.keyword === 'group'
              ? `userlist '${s.name}': no such user '${name}' specified in group '${d.args[1]}'`
              : `userlist '${s.name}': no such group '${name}' specified in user '${d.args[1]}'`,
        });
      }
    }
  }
  return out;
};

/** Named sections a proxy points at: `errorfiles`, `http_auth(<userlist>)`. */
const sectionReferences: CheckRule = (model) => {
  const out: Diagnostic[] = [];
  const names = (kind: string) => new Set(model.sections.filter((s) => s.kind === kind).map((s) => s.name));
  const httpErrors = names('http-errors');
  const userlists = names('userlist');
  for (const p of model.proxies) {
    for (const d of p.directives) {
      if (d.keyword === 'errorfiles' && !httpErrors.has(d.args[1] ?? '')) {
        out.push({
          level: 'alert',
          code: 'HAP_CFG_HTTP_ERRORS_REF',
          keyword: 'errorfiles',
          message: `proxy '${p.name}': unknown http-errors section '${d.args[1]}' (at ${d.file}:${d.line}).`,
        });
      }
      for (const w of d.args) {
        const m = /^(http_auth|http_auth_group)\(([^)]*)\)/.exec(w);
        if (m && !userlists.has(m[2]!)) {
          out.push({
            level: 'alert',
            code: 'HAP_CFG_USERLIST_REF',
            file: d.file,
            line: d.line,
            keyword: m[1]!,
            message: `unable to find userlist '${m[2]}' referenced in arg 1 of ACL keyword '${m[1]}' in proxy '${p.name}'.`,
          });
        }
      }
    }
  }
  return out;
};

/** `track [<backend>/]<server>` names an existing server. */
const trackedServers: CheckRule = (model) => {
  const out: Diagnostic[] = [];
  for (const p of live(model)) {
    for (const s of p.servers) {
      const t = s.options['track'];
      if (typeof t !== 'string') continue;
      const slash = t.indexOf('/');
      const be = slash >= 0 ? findBackend(model, t.slice(0, slash)) : p;
      const name = slash >= 0 ? t.slice(slash + 1) : t;
      if (!be?.servers.some((x) => x.name === name)) {
        out.push({
          level: 'alert',
          code: 'HAP_CFG_TRACK',
          file: s.file,
          line: s.line,
          keyword: 'track',
          bare: true,
          message:
            be === undefined
              ? `'server ${p.name}/${s.name}' : unable to find required proxy '${t.slice(0, slash)}' for tracking.`
              : `'server ${p.name}/${s.name}' : unable to find required server '${name}' for tracking.`,
        });
      }
    }
  }
  return out;
};

/** `stick …` and `track-sc*` need a stick-table, here or in the proxy named by `table`. */
const stickTables: CheckRule = (model) => {
  const out: Diagnostic[] = [];
  const hasTable = (name: string) =>
    model.proxies.some(
      (x) =>
        x.kind !== 'defaults' && x.name === name && x.directives.some((d) => d.keyword === 'stick-table'),
    );
  for (const p of live(model)) {
    const words: { args: string[]; what: string; at: string }[] = [];
    for (const d of p.directives)
      if (d.keyword === 'stick') words.push({ args: d.args, what: 'stick', at: `${d.file}:${d.line}` });
    for (const r of p.rules)
      if (/^track-sc\d$/.test(r.action))
        words.push({ args: r.args, what: r.action, at: `${r.file}:${r.line}` });
    for (const w of words) {
      const at = w.args.indexOf('table');
      const name = at >= 0 ? (w.args[at + 1] ?? '') : p.name;
      if (hasTable(name)) continue;
      out.push({
        level: 'alert',
        code: 'HAP_CFG_STICK_TABLE',
        keyword: w.what,
        message:
          w.what === 'stick'
            ? `Proxy '${p.name}': unable to find stick-table '${name}' (${w.at}).`
            : `Proxy '${p.name}': unable to find table '${name}' referenced by ${w.what} (${w.at}).`,
      });
    }
  }
  return out;
};

export const CHECK_RULES: readonly CheckRule[] = [
  userlistReferences,
  sectionReferences,
  trackedServers,
  stickTables,
  frontendWithoutBind,
  switchingTargets,
  duplicateServers,
  missingTimeouts,
  logAndHttpOptions,
  httpOnlyInTcp,
  checkResolvers,
];

export function runChecks(model: ConfigModel): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const rule of CHECK_RULES) out.push(...rule(model));
  for (const d of out) d.phase = 'check';
  return out;
}
