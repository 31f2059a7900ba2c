/**
 * Checks made once every file is read (HAProxy's check_config_validity):
 * each rule looks at the whole model and returns diagnostics.
 */

import type { Diagnostic } from './diagnostics.ts';
import type { ConfigModel, ProxyModel } from './model.ts';

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

function findBackend(model: ConfigModel, name: string): ProxyModel | undefined {
  return model.proxies.find((p) => isBackend(p) && p.name === name);
}

/** Backends named by `use_backend` and `default_backend` exist and speak the same mode. */
const switchingTargets: CheckRule = (model) => {
  const out: Diagnostic[] = [];
  for (const p of live(model)) {
    const targets: { name: string; file: string; line: number; label: string }[] = [];
    if (p.defaultBackend) targets.push({ ...p.defaultBackend, label: 'default_backend' });
    for (const u of p.useBackends) {
      // dynamic names (%[…]) are resolved per request
      if (!u.backend.includes('%[')) targets.push({ name: u.backend, file: u.file, line: u.line, label: 'use_backend' });
    }
    for (const t of targets) {
      const be = findBackend(model, t.name);
      if (!be) {
        out.push({
          level: 'alert',
          code: 'HAP_CFG_MISSING_BACKEND',
          message: `Proxy '${p.name}': unable to find required ${t.label}: '${t.name}' (${t.file}:${t.line}).`,
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
          message: `${PROXY_TYPE[p.kind]} ${fm} '${p.name}' (${p.file}:${p.line}) tries to use incompatible ${PROXY_TYPE[be.kind]} ${bm} '${be.name}' (${be.file}:${be.line}) ${t.label === 'default_backend' ? 'as its default backend' : "in a 'use_backend' rule"} (see 'mode').`,
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

export const CHECK_RULES: readonly CheckRule[] = [
  frontendWithoutBind,
  switchingTargets,
  duplicateServers,
  missingTimeouts,
  httpOnlyInTcp,
];

export function runChecks(model: ConfigModel): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const rule of CHECK_RULES) out.push(...rule(model));
  return out;
}
