/**
 * Health checks: the servers with `check` or `agent-check` get a `@hap/checks` check, and
 * what the checks conclude (DOWN, UP, drain, maintenance, weight) is applied to their
 * backend's balancer. HAProxy's sentences go to the log output.
 */

import {
  type BackendCheckConfig,
  type CheckSpec,
  type CheckTls,
  checkerOptionsFrom,
  compileCheckSpecs,
  HealthChecker,
  type LogLine,
} from '@hap/checks';
import type { ConfigModel, Diagnostic, ProxyModel, ServerModel } from '@hap/config';
import type { Backend, Frontend, Server } from '@hap/proxy';
import { chain } from './runtime-http.ts';

/** The checks of every served backend, ready to start; undefined when no server has one. */
export interface PlannedChecks {
  readonly specs: CheckSpec[];
  readonly options: ReturnType<typeof checkerOptionsFrom>;
}

function wantsCheck(options: Record<string, string | true>): boolean {
  return (
    (options['check'] !== undefined || options['agent-check'] !== undefined) &&
    options['no-check'] === undefined
  );
}

/** A backend section's check lines (its defaults' first) and its servers, as @hap/checks reads them. */
function checkConfig(model: ConfigModel, be: ProxyModel): BackendCheckConfig {
  const sections = chain(model, be).reverse();
  return {
    name: be.name,
    label: be.kind === 'listen' ? 'proxy' : 'backend',
    lines: sections.flatMap((s) =>
      s.directives.map((d) => (d.modifier === 'no' ? ['no', ...d.args] : d.args)),
    ),
    servers: be.servers.map((s) => ({
      name: s.name,
      addr: s.address.host === '' ? '127.0.0.1' : s.address.host,
      port: s.address.port,
      options: s.options,
    })),
  };
}

/** Compiles the checks of the backends in use; a check that cannot be built is an alert at its backend. */
export function planChecks(
  model: ConfigModel,
  used: readonly ProxyModel[],
  out: Diagnostic[],
  /** The TLS of a server's checks (runtime-ssl.ts), for `check-ssl`. */
  tlsFor?: (be: ProxyModel, s: ServerModel) => CheckTls | undefined,
): PlannedChecks | undefined {
  const specs: CheckSpec[] = [];
  for (const be of used) {
    if (!be.servers.some((s) => wantsCheck(s.options))) continue;
    try {
      for (const spec of compileCheckSpecs(checkConfig(model, be))) {
        // the configuration check (no tlsFor): the server's TLS lines are checked by runtime-ssl.ts
        if (!spec.ssl || tlsFor === undefined) {
          specs.push(spec);
          continue;
        }
        const srv = be.servers.find((x) => x.name === spec.server);
        const tls = srv !== undefined ? tlsFor(be, srv) : undefined;
        if (tls === undefined) {
          out.push({
            level: 'alert',
            code: 'HAP_ERR_CHECK',
            file: srv?.file ?? be.file,
            line: srv?.line ?? be.line,
            keyword: 'check-ssl',
            message: `server '${be.name}/${spec.server}': health checks over TLS cannot be set up (see the server's TLS alerts).`,
          });
          continue;
        }
        specs.push({ ...spec, tls });
      }
    } catch (err) {
      const e = err as Error & { code?: string; where?: string };
      if (e.code === 'HAP_ERR_CHECK_NO_PORT') {
        // HAProxy finds it in its whole-configuration checks and names no line
        const server = /server '([^']*)'/.exec(e.where ?? '')?.[1] ?? '';
        out.push({
          level: 'alert',
          code: 'HAP_ERR_CHECK',
          keyword: 'check',
          phase: 'check',
          message: `config: ${be.kind === 'listen' ? 'proxy' : 'backend'} '${be.name}': server '${server}' has neither service port nor check port.`,
        });
        continue;
      }
      out.push({
        level: 'alert',
        code: 'HAP_ERR_CHECK',
        file: be.file,
        line: be.line,
        keyword: 'check',
        message: e.message,
      });
    }
  }
  if (specs.length === 0) return undefined;
  for (const be of used) {
    for (const d of be.directives) {
      if (
        /^(option (httpchk|tcp-check|redis-check|mysql-check|pgsql-check|smtpchk|ldap-check|ssl-hello-chk|log-health-checks)|http-check|tcp-check|timeout check)/.test(
          d.keyword,
        )
      )
        d.supported = true;
    }
  }
  return { specs, options: checkerOptionsFrom(model.global.directives.map((d) => d.args)) };
}

/**
 * Builds the checker (not started: `start()` it once the servers' carried-over states are
 * restored); state changes go to the balancers of `backends`, sentences to `log`.
 */
export function createChecks(
  plan: PlannedChecks,
  backends: ReadonlyMap<string, Backend>,
  log: (line: LogLine) => void,
  frontends: readonly Frontend[] = [],
): HealthChecker {
  const shutdown = (server: Server, reason: string) => {
    for (const f of frontends) f.shutdownServerSessions(server, reason);
  };
  const serverOf = (backend: string, server: string): [Backend, Server] | undefined => {
    const be = backends.get(backend);
    const s = be?.servers.find((x) => x.name === server);
    return be !== undefined && s !== undefined ? [be, s] : undefined;
  };
  const checker = new HealthChecker(
    plan.specs,
    {
      onStateChange(c) {
        const found = serverOf(c.backend, c.server);
        const b = found?.[0].balancer;
        if (found === undefined || b === undefined) return;
        b.setState(found[1], c.current.effective);
        if (c.current.weight !== c.previous.weight) b.setWeight(found[1], c.current.weight);
        // on-marked-down shutdown-sessions / on-marked-up shutdown-backup-sessions
        if (c.shutdownSessions) shutdown(found[1], 'server marked down');
        if (c.shutdownBackupSessions)
          for (const s of found[0].servers) if (b.isBackup(s)) shutdown(s, 'an active server came back');
      },
      figures(backend, server) {
        const found = serverOf(backend, server);
        if (found === undefined) return { active: 0, backup: 0, sessions: 0, requeued: 0, queued: 0 };
        const [be, srv] = found;
        let active = 0;
        let backup = 0;
        for (const s of be.servers) {
          if (!be.isUsable(s)) continue;
          if (be.balancer?.isBackup(s)) backup++;
          else active++;
        }
        return { active, backup, sessions: srv.served, requeued: 0, queued: be.queue.length };
      },
      onLog: log,
    },
    plan.options,
  );
  // observe layer4|layer7: traffic reports to the checker of the servers that observe
  const observing = new Set(
    plan.specs.filter((x) => x.observe !== undefined).map((x) => `${x.backend}/${x.server}`),
  );
  for (const name of new Set(plan.specs.filter((x) => x.observe !== undefined).map((x) => x.backend))) {
    const be = backends.get(name);
    if (be === undefined) continue;
    be.observe = (server, event) => {
      if (observing.has(`${name}/${server.name}`)) checker.observe(name, server.name, event);
    };
  }
  return checker;
}

/** createChecks(), started. */
export function startChecks(
  plan: PlannedChecks,
  backends: ReadonlyMap<string, Backend>,
  log: (line: LogLine) => void,
  frontends: readonly Frontend[] = [],
): HealthChecker {
  const checker = createChecks(plan, backends, log, frontends);
  checker.start();
  return checker;
}

/**
 * The checks of a server added at run time (`add server … check`), read with its backend's
 * check lines as those of the configuration's servers are; throws CheckConfigError.
 */
export function addedServerChecks(model: ConfigModel, be: ProxyModel, s: ServerModel): CheckSpec[] {
  const config = checkConfig(model, be);
  return compileCheckSpecs({
    ...config,
    servers: [
      {
        name: s.name,
        addr: s.address.host === '' ? '127.0.0.1' : s.address.host,
        port: s.address.port,
        options: s.options,
      },
    ],
  });
}

/** The configuration check of health checks (`-c` too): what cannot be built is an alert. */
export function checkHealthChecks(model: ConfigModel): Diagnostic[] {
  const out: Diagnostic[] = [];
  const backends = model.proxies.filter((p) => (p.kind === 'backend' || p.kind === 'listen') && !p.disabled);
  planChecks(model, backends, out);
  return out;
}
