/**
 * From the configuration model to the runtime objects haproxyd can serve
 * today: `mode tcp` frontends and listens, forwarding to their default
 * backend's servers in turn. What the runtime cannot honour safely is refused
 * here, before anything is bound, with the line that asks for it.
 */

import type { BindModel, ConfigModel, Diagnostic, ProxyModel } from '@hap/config';
import { Backend, type FrontendHooks, type ServerTarget, TcpFrontend } from '@hap/proxy';

/** HAProxy's default `retries`. */
const DEFAULT_RETRIES = 3;

export interface ServedFrontend {
  proxy: ProxyModel;
  frontend: TcpFrontend;
  binds: BindModel[];
}

export interface RuntimePlan {
  frontends: ServedFrontend[];
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
]);

/** Bind options the listeners honour; any other bind option refuses the start. */
const HONOURED_BIND_OPTIONS = new Set([
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
]);
/** Server options the TCP engine honours or that only tune what it does not do yet (checks, weights). */
const REFUSED_SERVER_OPTIONS = new Set([
  'ssl',
  'send-proxy',
  'send-proxy-v2',
  'send-proxy-v2-ssl',
  'send-proxy-v2-ssl-cn',
  'socks4',
  'proto',
  'usesrc',
  'source',
]);

function refuse(
  out: Diagnostic[],
  p: { file: string; line: number },
  keyword: string,
  message: string,
): void {
  out.push({ level: 'alert', code: 'HAP_ERR_NOT_SERVED', file: p.file, line: p.line, keyword, message });
}

function serverTargets(be: ProxyModel, out: Diagnostic[]): ServerTarget[] {
  const targets: ServerTarget[] = [];
  for (const s of be.servers) {
    for (const opt of Object.keys(s.options)) {
      if (REFUSED_SERVER_OPTIONS.has(opt)) {
        refuse(
          out,
          s,
          'server',
          `server '${be.name}/${s.name}': option '${opt}' is not supported yet by haproxyd's runtime.`,
        );
      }
    }
    // without health checks every active server counts as up, so backup servers never take traffic;
    // a weight of 0 means "no new traffic"
    if (s.disabled || s.backup || s.weight === 0) continue;
    const a = s.address;
    if (a.family === 'unix' || a.family === 'abns' || a.family === 'fd' || a.family === 'sockpair') {
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
    targets.push({ name: s.name, host: a.host === '' ? '127.0.0.1' : a.host, port: a.port });
  }
  return targets;
}

/** Builds the frontends to serve, or the alerts saying why the configuration cannot be served. */
export function planRuntime(model: ConfigModel, hooks: FrontendHooks): RuntimePlan {
  const out: Diagnostic[] = [];
  const frontends: ServedFrontend[] = [];
  const backends = new Map<string, Backend>();
  const findBackend = (name: string) =>
    model.proxies.find((p) => (p.kind === 'backend' || p.kind === 'listen') && p.name === name);

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
    if ((p.mode ?? 'tcp') !== 'tcp' && !p.disabled) {
      refuse(
        out,
        p,
        'mode',
        `${p.kind} '${p.name}': 'mode ${p.mode}' is not served yet (haproxyd forwards 'mode tcp' only for now).`,
      );
    }
  }
  for (const p of model.proxies) {
    if ((p.kind !== 'frontend' && p.kind !== 'listen') || p.disabled || p.binds.length === 0) continue;
    for (const b of p.binds) {
      for (const opt of Object.keys(b.options)) {
        if (!HONOURED_BIND_OPTIONS.has(opt)) {
          refuse(out, b, 'bind', `bind option '${opt}' is not supported yet by haproxyd's runtime.`);
        }
      }
    }
    const beModel =
      p.kind === 'listen' ? p : p.defaultBackend ? findBackend(p.defaultBackend.name) : undefined;
    if (!beModel) {
      refuse(
        out,
        p,
        'default_backend',
        `${p.kind} '${p.name}' has no backend to forward to (set 'default_backend').`,
      );
      continue;
    }
    let backend = backends.get(beModel.name);
    if (!backend) {
      backend = new Backend({
        name: beModel.name,
        servers: serverTargets(beModel, out),
        retries: beModel.retries ?? DEFAULT_RETRIES,
        timeouts: {
          connect: beModel.timeouts['connect'] ?? 0,
          server: beModel.timeouts['server'] ?? 0,
          tunnel: beModel.timeouts['tunnel'] ?? 0,
        },
      });
      backends.set(beModel.name, backend);
    }
    const frontend = new TcpFrontend({
      name: p.name,
      backend,
      clientTimeout: p.timeouts['client'] ?? 0,
      hooks,
    });
    frontends.push({ proxy: p, frontend, binds: p.binds });
  }
  return { frontends, diagnostics: out };
}
