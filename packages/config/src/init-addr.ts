/**
 * Server addresses, set up once the whole configuration has been checked (HAProxy resolves
 * them in a phase of its own, after its configuration checks and only when those passed).
 * A server named by a host name takes the first of its `init-addr` methods that works
 * (manual §5.2, `init-addr`; `last,libc` when not set):
 *
 *   last  the address a server-state file saved (none at a first start or under -c)
 *   libc  the system resolver
 *   none  no address: the server starts in maintenance until one is set
 *   <ip>  that address
 *
 * When none works, the configuration is refused ("Failed to initialize server(s) addr.");
 * `-dr` turns that into a warning and the server starts in maintenance.
 */

import type { Diagnostic } from './diagnostics.ts';
import { isKnownHost } from './hosts.ts';
import type { ConfigModel, ProxyModel, ServerModel } from './model.ts';

/** A server's `init-addr` methods in the order they are tried. */
export function initAddrMethods(server: Pick<ServerModel, 'options'>): string[] {
  const v = server.options['init-addr'];
  if (typeof v === 'string') return v.split(',').filter((m) => m !== '');
  // a server DNS may resolve later starts without an address rather than refuse the start
  return server.options['resolvers'] !== undefined ? ['last', 'libc', 'none'] : ['last', 'libc'];
}

export interface InitAddrOutcome {
  /** The address to use: the resolver's answer or an `init-addr <ip>`; undefined in maintenance. */
  address: string | undefined;
  /** No method gave an address and the server may start without one (in maintenance). */
  maintenance: boolean;
  /** No method gave an address and the configuration must be refused. */
  failed: boolean;
  /** What HAProxy says about it, without the `'server B/S' : ` prefix; '' when it says nothing. */
  message: string;
  level: 'alert' | 'warning' | undefined;
}

/**
 * Tries the methods in order. `libc` is asked for the resolver's answer (undefined when the
 * name does not resolve); `last` never gives one here (state files are applied later, at start).
 */
export function chooseInitAddr(
  host: string,
  methods: readonly string[],
  libc: () => string | undefined,
  ignoreFailures: boolean,
): InitAddrOutcome {
  let libcFailed = false;
  for (const m of methods) {
    if (m === 'last') continue;
    if (m === 'libc') {
      const ip = libc();
      if (ip !== undefined)
        return { address: ip, maintenance: false, failed: false, message: '', level: undefined };
      libcFailed = true;
      continue;
    }
    if (m === 'none') return disabled(host, libcFailed);
    // an IP address
    return {
      address: m,
      maintenance: false,
      failed: false,
      message: libcFailed ? `could not resolve address '${host}', falling back to configured address.` : '',
      level: libcFailed ? 'warning' : undefined,
    };
  }
  if (ignoreFailures) return disabled(host, libcFailed);
  return {
    address: undefined,
    maintenance: false,
    failed: true,
    message: `could not resolve address '${host}'.`,
    level: 'alert',
  };
}

/** Servers of the configuration named by a host name, with their proxy. */
export function* hostNamedServers(model: ConfigModel): Generator<{ proxy: ProxyModel; server: ServerModel }> {
  for (const proxy of model.proxies) {
    if (proxy.kind === 'defaults') continue;
    for (const server of proxy.servers) if (server.address.family === 'hostname') yield { proxy, server };
  }
}

/** No address: the server starts in maintenance, with HAProxy's warning when libc failed. */
function disabled(host: string, libcFailed: boolean): InitAddrOutcome {
  return {
    address: undefined,
    maintenance: true,
    failed: false,
    message: libcFailed ? `could not resolve address '${host}', disabling server.` : '',
    level: libcFailed ? 'warning' : undefined,
  };
}

/**
 * The check's address phase: a host name resolves when the machine knows it without the
 * network (/etc/hosts, `localhost`), which is what the resolver answers on a host without DNS.
 */
export function checkServerAddresses(model: ConfigModel, ignoreFailures: boolean): Diagnostic[] {
  const out: Diagnostic[] = [];
  let failed = false;
  for (const { proxy, server } of hostNamedServers(model)) {
    const host = server.address.host;
    const r = chooseInitAddr(
      host,
      initAddrMethods(server),
      () => (isKnownHost(host) ? host : undefined),
      ignoreFailures,
    );
    if (r.level === undefined) continue;
    if (r.failed) failed = true;
    out.push({
      level: r.level,
      code: r.failed ? 'HAP_CFG_RESOLVE' : 'HAP_CFG_RESOLVE_FALLBACK',
      message: `'server ${proxy.name}/${server.name}' : ${r.message}`,
      file: server.file,
      line: server.line,
      keyword: 'server',
      phase: 'init',
      bare: true,
    });
  }
  if (failed) {
    out.push({
      level: 'alert',
      code: 'HAP_CFG_RESOLVE',
      message: 'Failed to initialize server(s) addr.',
      keyword: 'server',
      phase: 'init',
    });
  }
  return out;
}
