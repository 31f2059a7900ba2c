/**
 * The runtime API on the configuration's `stats socket` lines: `@hap/runtime-api` serves
 * the CLI, this module fills its command table with HAProxy 2.6's commands over the
 * daemon's live objects (statistics from `@hap/stats` through stats-source.ts, server
 * states through the health checker or the backend's balancer, stick tables through
 * `@hap/stick`), with HAProxy's syntax, levels and answers.
 *
 * What haproxyd cannot do yet is answered as such ("… is not supported yet"), never
 * silently accepted.
 */

import { linkSync, renameSync, statSync } from 'node:fs';
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import { getHeapSpaceStatistics } from 'node:v8';
import { parseWeight } from '@hap/checks';
import { type BindModel, parseTime } from '@hap/config';
import { resolveIdentity, sendListeningFds } from '@hap/daemon';
import { type Listener, pauseAll, resumeAll, unbindAll } from '@hap/listeners';
import { clearDynamicCookies, type Frontend, type Server, setDynamicCookies } from '@hap/proxy';
import {
  type CliListener,
  type CommandContext,
  LEVEL_RANK,
  type Level,
  type ListenOptions,
  PERMISSION_DENIED,
  RuntimeApi,
} from '@hap/runtime-api';
import { SRV_ADMF, serverUsable, showInfo, showServersState, showStat } from '@hap/stats';
import { tableCommand, tableHeader } from '@hap/stick';
import { setRateLimit } from './rate-limits.ts';
import { registerMapCommands } from './runtime-maps.ts';
import {
  type AddrEnv,
  setAgentAddr,
  setAgentSend,
  setCheckAddr,
  setServerAddr,
} from './runtime-server-addr.ts';
import type { Daemon } from './serve.ts';
import {
  countersOfBackend,
  countersOfFrontend,
  DaemonStats,
  effectiveState,
  type LocalServer,
  type ProxyRecord,
  type ServerRecord,
  type StatsHost,
} from './stats-source.ts';
import { HAPROXYD_VERSION } from './version.ts';

/** Where the CLI's log lines go (state changes made from the CLI, `shutdown frontend`). */
export type CliLog = (level: 'alert' | 'warning', text: string) => void;

export interface RuntimeCliOptions {
  /** Default: HAProxy's stderr lines. */
  readonly log?: CliLog;
  /** The statistics source (default: a new one over `host`). */
  readonly stats?: DaemonStats;
  /** Clock, ms (tests). */
  readonly now?: () => number;
}

function stderrLog(quiet: () => boolean): CliLog {
  return (level, text) => {
    if (quiet()) return;
    const tag = level === 'alert' ? '[ALERT]    ' : '[WARNING]  ';
    process.stderr.write(`${tag}(${process.pid}) : ${text}\n`);
  };
}

// --- helpers ----------------------------------------------------------------------------

const NOT_SUPPORTED = (what: string) => `${what} is not supported yet by haproxyd.\n`;

/** C's atoi(). */
function atoi(s: string | undefined): number {
  const m = /^\s*[+-]?\d+/.exec(s ?? '');
  return m ? Number.parseInt(m[0], 10) : 0;
}

/** C's strtol(s, &end, 10): the value and what follows it (undefined value: no digits). */
function strtol(s: string): { value: number | undefined; rest: string } {
  const m = /^\s*([+-]?\d+)/.exec(s);
  if (!m) return { value: undefined, rest: s };
  return { value: Number.parseInt(m[1]!, 10), rest: s.slice(m[0].length) };
}

/** The answers of parseWeight(), with HAProxy's line feeds (two of its texts have none). */
function weightAnswer(msg: string): string {
  return msg.endsWith('.') ? `${msg}\n` : msg;
}

interface Found {
  readonly r: ProxyRecord;
  readonly s: ServerRecord;
}

/** Streams and sessions, as their classes hold them (TcpStream, HttpSession). */
interface LiveStream {
  readonly endReason: string;
  readonly client?: Socket;
  readonly target?: unknown;
  readonly server?: unknown;
  readonly slot?: unknown;
  readonly backend?: { readonly name: string } | null;
  readonly owner?: { readonly backend?: { readonly name: string } };
  close?(reason: string): void;
}

const streamIds = new WeakMap<object, number>();
let lastStreamId = 0;

function streamId(s: object): number {
  let id = streamIds.get(s);
  if (id === undefined) {
    id = ++lastStreamId;
    streamIds.set(s, id);
  }
  return id;
}

function streamServer(s: LiveStream): { readonly name: string } | undefined {
  for (const v of [s.target, s.server]) {
    if (v !== null && typeof v === 'object' && typeof (v as { name?: unknown }).name === 'string')
      return v as { name: string };
  }
  return undefined;
}

function isLevel(v: string | true | undefined): v is Level {
  return v === 'user' || v === 'operator' || v === 'admin';
}

// --- the command table ------------------------------------------------------------------

const sharedStats = new WeakMap<StatsHost, DaemonStats>();

/**
 * The one statistics source of a daemon: the state of servers without checks lives in it,
 * so every CLI (stats sockets, the master CLI's `@1` route) and the reload hand-over must
 * share it.
 */
export function statsOf(host: StatsHost): DaemonStats {
  let s = sharedStats.get(host);
  if (s === undefined) {
    s = new DaemonStats(host);
    sharedStats.set(host, s);
  }
  return s;
}

/**
 * Builds the CLI over `host` (the daemon, or a test's stand-in): every command registered,
 * nothing listening yet (`api.execute()` runs commands; `startRuntimeApi` listens).
 */
export function createRuntimeApi(
  host: StatsHost,
  opts: RuntimeCliOptions = {},
): { api: RuntimeApi; stats: DaemonStats } {
  const stats = opts.stats ?? statsOf(host);
  const now = opts.now ?? Date.now;
  const log: CliLog = opts.log ?? stderrLog(() => false);
  // HAProxy 2.6 lists every command in `help` whatever the level
  const api = new RuntimeApi({ helpListsAllLevels: true });

  /** cli_find_server(): `<backend>/<server>` of a proxy that is running. */
  const findServer = (arg: string | undefined, checkDisabled = true): Found | string => {
    const text = arg ?? '';
    const slash = text.indexOf('/');
    const beName = slash < 0 ? text : text.slice(0, slash);
    const srvName = slash < 0 ? '' : text.slice(slash + 1);
    if (srvName === '' || beName === '') return "Require 'backend/server'.\n";
    const r = stats.findBackend(beName);
    if (!r) return 'No such backend.\n';
    const s = stats.findServer(r, srvName);
    if (!s) return 'No such server.\n';
    if (checkDisabled && (r.model.disabled || r.stopped)) return 'Proxy is disabled.\n';
    return { r, s };
  };

  /** cli_find_frontend(). */
  const findFrontend = (arg: string | undefined): ProxyRecord | string => {
    if (!arg) return 'A frontend name is expected.\n';
    return stats.findFrontend(arg) ?? 'No such frontend.\n';
  };

  const name = (f: Found) => `${f.s.model.backup ? 'Backup ' : ''}Server ${f.r.model.name}/${f.s.model.name}`;

  /** HAProxy's figures after a state change: usable servers, sessions, queue. */
  const figures = (f: Found) => {
    const px = stats.proxyState(f.r);
    let active = 0;
    let backup = 0;
    for (const s of px.servers ?? []) {
      if (!serverUsable(s)) continue;
      if (s.backup) backup++;
      else active++;
    }
    const onBackup = active === 0 && backup > 0 ? ' Running on backup.' : '';
    const sessions = f.s.server?.served ?? 0;
    const queued = f.r.backend?.queue.length ?? 0;
    return {
      any: active + backup > 0,
      left: ` ${active} active and ${backup} backup servers left.${onBackup} ${sessions} sessions active, 0 requeued, 0 remaining in queue`,
      online: ` ${active} active and ${backup} backup servers online.${onBackup} 0 sessions requeued, ${queued} total in queue`,
    };
  };

  /** Applies a server's local state to its backend's balancer. */
  const apply = (f: Found): void => {
    const b = f.r.backend?.balancer;
    const srv = f.s.server;
    if (b === undefined || srv === undefined) return;
    b.setWeight(srv, f.s.local.uweight);
    b.setState(srv, effectiveState(f.s.local));
  };

  /**
   * Runs a change of a local server and applies it to the balancer, then logs HAProxy's
   * sentence (made after the change: it prints the figures) and, when the backend just
   * lost its last usable server, that alert.
   */
  const changeLocal = (f: Found, change: (l: LocalServer) => (() => string) | undefined): void => {
    const before = figures(f).any;
    const sentence = change(f.s.local);
    apply(f);
    if (sentence !== undefined) log('warning', sentence());
    if (before && !figures(f).any)
      log(
        'alert',
        `${f.r.model.kind === 'listen' ? 'proxy' : 'backend'} '${f.r.model.name}' has no server available!`,
      );
  };

  const touch = (l: LocalServer) => {
    l.lastChange = Math.floor(now() / 1000);
  };

  /** HAProxy's srv_adm_set_maint / drain / ready for a server without checks. */
  const setLocalAdmin = (f: Found, state: 'ready' | 'drain' | 'maint'): void => {
    const maint = (f.s.local.admin & SRV_ADMF.FMAINT) !== 0;
    const drain = (f.s.local.admin & SRV_ADMF.FDRAIN) !== 0;
    if (state === 'maint') {
      changeLocal(f, (x) => {
        if (maint) {
          // drain is hidden by the maintenance: cleared without a word
          x.admin &= ~SRV_ADMF.FDRAIN;
          return undefined;
        }
        const wasDown = x.opState === 'stopped';
        x.admin = (x.admin | SRV_ADMF.FMAINT) & ~SRV_ADMF.FDRAIN;
        x.opState = 'stopped';
        x.health = 0;
        touch(x);
        return wasDown
          ? () => `${name(f)} was DOWN and now enters maintenance.`
          : () => `${name(f)} is going DOWN for maintenance.${figures(f).left}.`;
      });
      return;
    }
    if (state === 'drain') {
      if (drain && !maint) return;
      changeLocal(f, (x) => {
        x.admin = (x.admin | SRV_ADMF.FDRAIN) & ~SRV_ADMF.FMAINT;
        touch(x);
        if (!maint) return () => `${name(f)} enters drain state.${figures(f).online}.`;
        x.opState = 'running';
        return () => `${name(f)} is UP/DRAIN (leaving forced maintenance).`;
      });
      if (maint) log('warning', `${name(f)} remains in forced drain mode.`);
      return;
    }
    if (!maint && !drain) return;
    changeLocal(f, (x) => {
      x.admin &= ~(SRV_ADMF.FMAINT | SRV_ADMF.FDRAIN);
      touch(x);
      if (!maint) return () => `${name(f)} is UP (leaving forced drain).`;
      x.opState = 'running';
      return () => `${name(f)} is UP/READY (leaving forced maintenance).`;
    });
  };

  const setAdmin = (f: Found, state: 'ready' | 'drain' | 'maint'): string => {
    const checker = host.checker;
    if (stats.checkerState(f.r, f.s) !== undefined && checker !== undefined) {
      checker.setAdminState(f.r.model.name, f.s.model.name, state);
      return '';
    }
    if (f.s.checked)
      return NOT_SUPPORTED('Changing the state of a server whose health checks are not running');
    setLocalAdmin(f, state);
    return '';
  };

  /** server_parse_weight_change_request(). */
  const setWeight = (f: Found, request: string | undefined): string => {
    const st = stats.checkerState(f.r, f.s);
    const iweight = st ? st.initialWeight : f.s.local.iweight;
    const w = parseWeight(request ?? '', iweight);
    if (typeof w === 'string') return weightAnswer(w);
    if (w !== 0 && w !== iweight && f.r.staticWeights)
      return "Backend is using a static LB algorithm and only accepts weights '0%' and '100%'.\n";
    if (st && host.checker) {
      host.checker.setWeight(f.r.model.name, f.s.model.name, w);
      return '';
    }
    if (f.s.checked)
      return NOT_SUPPORTED('Changing the weight of a server whose health checks are not running');
    changeLocal(f, (x) => {
      x.uweight = w;
      return undefined;
    });
    return '';
  };

  const setHealth = (f: Found, what: string | undefined): string => {
    if (what !== 'up' && what !== 'stopping' && what !== 'down')
      return "'set server <srv> health' expects 'up', 'stopping', or 'down'.\n";
    if (f.s.checked) return toggle(f, false, (c, b, s) => c.forceHealth(b, s, what));
    changeLocal(f, (x) => {
      const top = x.rise + x.fall - 1;
      x.health = what === 'down' ? 0 : top;
      const next = what === 'up' ? 'running' : what === 'stopping' ? 'stopping' : 'stopped';
      if (x.opState === next) return undefined;
      x.opState = next;
      touch(x);
      if (what === 'down') return () => `${name(f)} is DOWN, changed from CLI.${figures(f).left}.`;
      if (what === 'stopping') return () => `${name(f)} is stopping, changed from CLI.${figures(f).online}.`;
      return () => `${name(f)} is UP, changed from CLI.${figures(f).online}.`;
    });
    return '';
  };

  const hasAgent = (f: Found) => f.s.model.options['agent-check'] !== undefined;

  /** What `set server … addr|check-addr|agent-addr…` (runtime-server-addr.ts) works with. */
  const addrEnv: AddrEnv = { stats, log };

  /** Runs a change on the health checker of a server whose checks run here. */
  const toggle = (
    f: Found,
    agent: boolean,
    change: (c: NonNullable<typeof host.checker>, backend: string, server: string) => void,
  ): string => {
    const st = stats.checkerState(f.r, f.s);
    const checker = host.checker;
    if (st === undefined || checker === undefined || (agent ? st.agent : st.check) === undefined)
      return NOT_SUPPORTED(
        `Changing the ${agent ? 'agent' : 'health'} check of a server whose checks are not running`,
      );
    change(checker, f.r.model.name, f.s.model.name);
    return '';
  };

  // --- statistics -----------------------------------------------------------------------

  api.register({
    words: ['show', 'info'],
    usage: 'show info [desc|json|typed|float]*',
    help: 'report information about the running process',
    handler: (args) => showInfo(stats.info(), args.slice(2)),
  });
  api.register({
    words: ['show', 'stat'],
    usage: 'show stat [desc|json|no-maint|typed|up]*',
    help: 'report counters for each proxy and server',
    handler: (args, ctx) => showStat(stats, args.slice(2), { level: ctx.socketLevel, now: now() }),
  });
  api.register({
    words: ['clear', 'counters'],
    level: 'operator',
    usage: 'clear counters [all]',
    help: 'clear max statistics counters (or all counters)',
    handler: (args, ctx) => {
      const all = args[2] === 'all';
      if (all && LEVEL_RANK[ctx.level] < LEVEL_RANK.admin) return PERMISSION_DENIED;
      stats.clearCounters(all);
      return '';
    },
  });
  api.register({
    words: ['show', 'servers', 'state'],
    usage: 'show servers state [<backend>]',
    help: 'dump volatile server information (all or for a single backend)',
    handler: (args) => {
      const backend = args[3];
      if (backend !== undefined && stats.findBackend(backend) === undefined) return "Can't find backend.\n";
      return stats.serversStateFixup(
        showServersState(stats, { now: now(), ...(backend !== undefined ? { backend } : {}) }),
      );
    },
  });
  api.register({
    words: ['show', 'errors'],
    level: 'operator',
    usage: 'show errors [<px>] [request|response]',
    help: 'report last request and/or response errors for each proxy',
    // the dump's code is loaded the first time it is asked for
    handler: async (args) => (await import('./runtime-errors.ts')).showErrors(stats, args.slice(2), now()),
  });
  api.register({
    words: ['show', 'backend'],
    usage: 'show backend',
    help: 'list backends in the current running config',
    handler: () =>
      `# name\n${stats.records
        .filter((r) => r.isBackend)
        .map((r) => `${r.model.name}\n`)
        .join('')}`,
  });
  api.register({
    words: ['show', 'version'],
    usage: 'show version',
    help: 'show version of the current process',
    handler: () => `${HAPROXYD_VERSION}\n`,
  });

  // --- servers ----------------------------------------------------------------------------

  api.register({
    words: ['set', 'server'],
    level: 'admin',
    usage: 'set server <bk>/<srv> [opts]',
    help: "change a server's state, weight, address or ssl",
    handler: (args) => {
      const f = findServer(args[2]);
      if (typeof f === 'string') return f;
      switch (args[3]) {
        case 'weight':
          return setWeight(f, args[4]);
        case 'state':
          if (args[4] === 'ready' || args[4] === 'drain' || args[4] === 'maint') return setAdmin(f, args[4]);
          return "'set server <srv> state' expects 'ready', 'drain' and 'maint'.\n";
        case 'health':
          return setHealth(f, args[4]);
        case 'agent': {
          // a disabled agent (`disable agent`) counts as none, as in HAProxy
          if (!hasAgent(f) || stats.checkerState(f.r, f.s)?.agent?.enabled === false)
            return 'agent checks are not enabled on this server.\n';
          const to = args[4];
          if (to !== 'up' && to !== 'down') return "'set server <srv> agent' expects 'up' or 'down'.\n";
          return toggle(f, true, (c, b, s) => c.forceAgent(b, s, to));
        }
        case 'agent-send':
          return setAgentSend(addrEnv, f, args[4] ?? '');
        case 'addr':
          if (!args[4]) return 'set server <b>/<s> addr requires an address and optionally a port.\n';
          return setServerAddr(
            addrEnv,
            f,
            args[4],
            args[5] === 'port' ? (args[6] ?? '') : undefined,
            NOT_SUPPORTED,
          );
        case 'check-addr':
          if (!args[4]) return 'set server <b>/<s> check-addr requires an address and optionally a port.\n';
          return setCheckAddr(addrEnv, f, args[4], args[5] === 'port' ? (args[6] ?? '') : undefined);
        case 'check-port':
          if (!args[4]) return 'set server <b>/<s> check-port requires a port.\n';
          return setCheckAddr(addrEnv, f, undefined, args[4]);
        case 'agent-addr':
          if (!args[4]) return 'set server <b>/<s> agent-addr requires an address and optionally a port.\n';
          return setAgentAddr(addrEnv, f, args[4], args[5] === 'port' ? (args[6] ?? '') : undefined);
        case 'agent-port':
          if (!args[4]) return 'set server <b>/<s> agent-port requires a port.\n';
          return setAgentAddr(addrEnv, f, undefined, args[4]);
        case 'fqdn':
          if (!args[4]) return 'set server <b>/<s> fqdn requires a FQDN.\n';
          // haproxyd has no `resolvers`: no server is ever resolved at run time
          return 'set server <b>/<s> fqdn failed because no resolution is configured.\n';
        case 'ssl':
          if (f.s.model.options['ssl'] === undefined)
            return "'set server <srv> ssl' cannot be set.  default-server should define ssl settings\n";
          if (args[4] !== 'on' && args[4] !== 'off') return "'set server <srv> ssl' expects 'on' or 'off'.\n";
          return NOT_SUPPORTED(`'set server <srv> ssl'`);
        default:
          return 'usage: set server <backend>/<server> addr | agent | agent-addr | agent-port | agent-send | check-addr | check-port | fqdn | health | ssl | state | weight\n';
      }
    },
  });
  api.register({
    words: ['set', 'weight'],
    level: 'admin',
    usage: 'set weight <bk>/<srv>  (DEPRECATED)',
    help: "change a server's weight (use 'set server' instead)",
    handler: (args) => {
      const f = findServer(args[2]);
      return typeof f === 'string' ? f : setWeight(f, args[3]);
    },
  });
  api.register({
    words: ['get', 'weight'],
    usage: 'get weight <bk>/<srv>',
    help: "report a server's current weight",
    handler: (args) => {
      const f = findServer(args[2], false);
      if (typeof f === 'string') return f;
      const st = stats.checkerState(f.r, f.s);
      return st
        ? `${st.weight} (initial ${st.initialWeight})\n`
        : `${f.s.local.uweight} (initial ${f.s.local.iweight})\n`;
    },
  });
  api.register({
    words: ['disable', 'server'],
    level: 'admin',
    usage: 'disable server (DEPRECATED)',
    help: "disable a server for maintenance (use 'set server' instead)",
    handler: (args) => {
      const f = findServer(args[2]);
      return typeof f === 'string' ? f : setAdmin(f, 'maint');
    },
  });
  api.register({
    words: ['enable', 'server'],
    level: 'admin',
    usage: 'enable server  (DEPRECATED)',
    help: "enable a disabled server (use 'set server' instead)",
    handler: (args) => {
      const f = findServer(args[2]);
      return typeof f === 'string' ? f : setAdmin(f, 'ready');
    },
  });
  api.register({
    words: ['disable', 'health'],
    level: 'admin',
    usage: 'disable health',
    help: 'disable health checks',
    handler: (args) => {
      const f = findServer(args[2]);
      if (typeof f === 'string') return f;
      // without a check there is nothing to disable (HAProxy clears a flag nobody reads)
      return f.s.model.check ? toggle(f, false, (c, b, s) => c.setCheckEnabled(b, s, false, false)) : '';
    },
  });
  api.register({
    words: ['enable', 'health'],
    level: 'admin',
    usage: 'enable health',
    help: 'enable health checks',
    handler: (args) => {
      const f = findServer(args[2]);
      if (typeof f === 'string') return f;
      if (!f.s.model.check) return 'Health check was not configured on this server, cannot enable.\n';
      return toggle(f, false, (c, b, s) => c.setCheckEnabled(b, s, false, true));
    },
  });
  api.register({
    words: ['disable', 'agent'],
    level: 'admin',
    usage: 'disable agent',
    help: 'disable agent checks',
    handler: (args) => {
      const f = findServer(args[2]);
      if (typeof f === 'string') return f;
      return hasAgent(f) ? toggle(f, true, (c, b, s) => c.setCheckEnabled(b, s, true, false)) : '';
    },
  });
  api.register({
    words: ['enable', 'agent'],
    level: 'admin',
    usage: 'enable agent',
    help: 'enable agent checks',
    handler: (args) => {
      const f = findServer(args[2]);
      if (typeof f === 'string') return f;
      if (!hasAgent(f)) return 'Agent was not configured on this server, cannot enable.\n';
      return toggle(f, true, (c, b, s) => c.setCheckEnabled(b, s, true, true));
    },
  });

  // `add server` / `del server` (runtime-dynamic-servers.ts, loaded on first use)
  const dynamic = (verb: 'addServer' | 'delServer') => async (args: readonly string[]) =>
    (await import('./runtime-dynamic-servers.ts'))[verb]({ host, stats, log, now }, args);
  api.register({
    words: ['add', 'server'],
    level: 'admin',
    usage: 'add server <bk>/<srv>',
    help: 'create a new server',
    handler: dynamic('addServer'),
  });
  api.register({
    words: ['del', 'server'],
    level: 'admin',
    usage: 'del server <bk>/<srv>',
    help: 'remove a dynamically added server',
    handler: dynamic('delServer'),
  });

  let hardMaxconn: number | undefined;
  // --- rate limits ------------------------------------------------------------------------
  api.register({
    words: ['set', 'rate-limit'],
    level: 'admin',
    usage: 'set rate-limit <setting> <value>',
    help: 'change a rate limiting value',
    // HAProxy's answers and effects are in rate-limits.ts
    handler: (args) =>
      host.rates !== undefined ? setRateLimit(host.rates, args) : NOT_SUPPORTED("'set rate-limit'"),
  });
  // --- maxconn ----------------------------------------------------------------------------

  // --- dynamic cookies (`cookie ... dynamic`) ---------------------------------------------

  /** cli_find_backend(): a backend with cookie persistence, or the answer. */
  const cookieBackend = (arg: string | undefined): ProxyRecord | string => {
    if (!arg) return 'A backend name is expected.\n';
    const r = stats.findBackend(arg);
    if (!r) return 'No such backend.\n';
    // HAProxy keeps the setting on a backend without persistence too; haproxyd has nowhere to
    if (r.backend?.cookie === undefined)
      return NOT_SUPPORTED("Dynamic cookies on a backend without 'cookie' persistence");
    return r;
  };

  /** Whether a server is in maintenance (HAProxy's SRV_ADMF_FMAINT). */
  const inMaint = (r: ProxyRecord, srv: Server): boolean => {
    const rec = r.servers.find((x) => x.server === srv);
    if (rec === undefined) return false;
    const st = stats.checkerState(r, rec);
    return st ? st.admin === 'maint' : (rec.local.admin & SRV_ADMF.FMAINT) !== 0;
  };

  /** Recomputes the dynamic cookies of `r`'s servers, warning of each clash as HAProxy does. */
  const refreshDynamicCookies = (r: ProxyRecord): void => {
    const be = r.backend!;
    const ck = be.cookie!;
    if (!ck.dynamic) return;
    const clashes = setDynamicCookies(ck.dynamicKey, be.servers, (i) => inMaint(r, be.servers[i]!));
    for (let i = 0; i < clashes; i++)
      log(
        'warning',
        `We generated two equal cookies for two different servers.\nPlease change the secret key for '${r.model.name}'.`,
      );
  };

  api.register({
    words: ['enable', 'dynamic-cookie', 'backend'],
    level: 'admin',
    usage: 'enable dynamic-cookie backend <bk>',
    help: 'enable dynamic cookies on a specific backend',
    handler: (args) => {
      const r = cookieBackend(args[3]);
      if (typeof r === 'string') return r;
      r.backend!.cookie!.dynamic = true;
      refreshDynamicCookies(r);
      return '';
    },
  });
  api.register({
    words: ['disable', 'dynamic-cookie', 'backend'],
    level: 'admin',
    usage: 'disable dynamic-cookie backend <bk>',
    help: 'disable dynamic cookies on a specific backend',
    handler: (args) => {
      const r = cookieBackend(args[3]);
      if (typeof r === 'string') return r;
      r.backend!.cookie!.dynamic = false;
      clearDynamicCookies(r.backend!.servers);
      return '';
    },
  });
  api.register({
    words: ['set', 'dynamic-cookie-key', 'backend'],
    level: 'admin',
    usage: 'set dynamic-cookie-key backend <bk> <k>',
    help: 'change a backend secret key for dynamic cookies',
    handler: (args) => {
      const r = cookieBackend(args[3]);
      if (typeof r === 'string') return r;
      if (!args[4]) return 'String value expected.\n';
      r.backend!.cookie!.dynamicKey = new Uint8Array(Buffer.from(args[4], 'utf8'));
      refreshDynamicCookies(r);
      return '';
    },
  });

  api.register({
    words: ['set', 'maxconn', 'global'],
    level: 'admin',
    usage: 'set maxconn global <value>',
    help: 'change the per-process maxconn setting',
    handler: (args) => {
      if (!args[3]) return 'Expects an integer value.\n';
      let v = atoi(args[3]);
      const limit = host.listeners.find((l) => l.sharedLimit !== null)?.sharedLimit ?? null;
      if (limit === null)
        return NOT_SUPPORTED("Changing the global maxconn at runtime without a configured 'maxconn'");
      // HAProxy's hard limit: the maxconn the process started with
      hardMaxconn ??= stats.globalMaxconn;
      if (v > hardMaxconn) return 'Value out of range.\n';
      // zero or less: back to that hard limit (as HAProxy)
      if (v <= 0) v = hardMaxconn;
      stats.globalMaxconn = v;
      limit.setMax(v);
      return '';
    },
  });
  api.register({
    words: ['set', 'maxconn', 'frontend'],
    level: 'admin',
    usage: 'set maxconn frontend <frontend> <value>',
    help: "change a frontend's maxconn setting",
    handler: (args) => {
      const r = findFrontend(args[3]);
      if (typeof r === 'string') return r;
      if (!args[4]) return 'Integer value expected.\n';
      const v = atoi(args[4]);
      if (v < 0) return 'Value out of range.\n';
      const fe = r.served?.frontend;
      if (fe === undefined)
        return NOT_SUPPORTED(
          "Changing the maxconn of a frontend that is not served ('set maxconn frontend')",
        );
      r.feMaxconn = v;
      // the listeners that took the frontend's maxconn (a bind line's own stays): a lower
      // value holds new accepts, a higher one lets the waiting connections in at once
      for (const l of host.listeners)
        if ((l as { frontend?: unknown }).frontend === fe && l.maxconnFromFrontend) l.setMaxconn(v);
      return '';
    },
  });
  api.register({
    words: ['set', 'maxconn', 'server'],
    level: 'admin',
    usage: 'set maxconn server <bk>/<srv>',
    help: "change a server's maxconn setting",
    handler: (args) => {
      const f = findServer(args[3]);
      if (typeof f === 'string') return f;
      const v = args[4] ?? '';
      if (v === '') return 'Require <maxconn>.\n';
      const n = strtol(v);
      if (n.value === undefined) return 'maxconn string empty or preceded by garbage';
      if (n.rest !== '') return 'Trailing garbage in maxconn string';
      const backend = f.r.backend;
      const srv = f.s.server;
      // a server of a backend no frontend uses has no live object: nothing to limit
      if (backend === undefined || srv === undefined)
        return NOT_SUPPORTED("Changing the maxconn of a server that is not served ('set maxconn server')");
      // HAProxy keeps the value as an unsigned int: a negative one wraps around
      backend.setMaxconn(srv, n.value < 0 ? n.value >>> 0 : n.value);
      return '';
    },
  });

  // --- streams and frontends --------------------------------------------------------------

  const liveStreams = function* (): Generator<{ f: Frontend; px: ProxyRecord; st: LiveStream }> {
    for (const r of stats.records) {
      const f = r.served?.frontend;
      if (!f) continue;
      for (const st of f.streams) yield { f, px: r, st: st as LiveStream };
    }
  };

  const sessLine = (px: ProxyRecord, f: Frontend, st: LiveStream): string => {
    const c = st.client;
    const proto =
      c?.remoteFamily === 'IPv6' ? 'tcpv6' : c?.remoteFamily === 'IPv4' ? 'tcpv4' : c ? 'unix_stream' : '?';
    const src = c?.remoteAddress !== undefined ? `${c.remoteAddress}:${c.remotePort ?? 0}` : 'unix:1';
    const be = st.owner?.backend?.name ?? st.backend?.name ?? (px.served ? f.backend.name : undefined);
    const srv = streamServer(st);
    return `0x${streamId(st).toString(16)}: proto=${proto} src=${src} fe=${px.model.name} be=${be ?? '<NONE>'} srv=${srv?.name ?? '<none>'}\n`;
  };

  api.register({
    words: ['show', 'sess'],
    level: 'operator',
    usage: 'show sess [id]',
    help: 'report the list of current sessions or dump this exact session',
    handler: (args) => {
      const want =
        args[2] && args[2] !== 'all' ? Number.parseInt(args[2], args[2].startsWith('0x') ? 16 : 10) : 0;
      let out = '';
      for (const { f, px, st } of liveStreams()) {
        if (want && streamId(st) !== want) continue;
        out += sessLine(px, f, st);
      }
      return out;
    },
  });
  api.register({
    words: ['shutdown', 'session'],
    level: 'admin',
    usage: 'shutdown session [id]',
    help: 'kill a specific session',
    handler: (args) => {
      const w = args[2] ?? '';
      const id = Number.parseInt(w, w.startsWith('0x') ? 16 : 10);
      if (!id) return "Session pointer expected (use 'show sess').\n";
      for (const { st } of liveStreams()) {
        if (streamId(st) !== id) continue;
        if (typeof st.close !== 'function') return NOT_SUPPORTED('Killing this kind of session');
        st.close('killed from the CLI');
        return '';
      }
      return "No such session (use 'show sess').\n";
    },
  });
  api.register({
    words: ['shutdown', 'sessions', 'server'],
    level: 'admin',
    usage: 'shutdown sessions server <bk>/<srv>',
    help: 'kill sessions on a server',
    handler: (args) => {
      const f = findServer(args[3]);
      if (typeof f === 'string') return f;
      const srv: Server | undefined = f.s.server;
      if (srv === undefined) return '';
      for (const r of stats.records) r.served?.frontend.shutdownServerSessions(srv, 'killed from the CLI');
      return '';
    },
  });

  const listenersOf = (r: ProxyRecord): Listener[] => {
    const fe = r.served?.frontend;
    return fe === undefined
      ? []
      : host.listeners.filter((l) => (l as Listener & { frontend?: Frontend }).frontend === fe);
  };

  api.register({
    words: ['shutdown', 'frontend'],
    level: 'admin',
    usage: 'shutdown frontend <frontend>',
    help: 'stop a specific frontend',
    handler: (args) => {
      const r = findFrontend(args[2]);
      if (typeof r === 'string') return r;
      if (r.stopped || r.model.disabled) return 'Frontend was already shut down.\n';
      const mine = listenersOf(r);
      // every bound listener is a job of the run loop (serve.ts closeListeners() does the same)
      for (const l of mine) if (l.state !== 'stopped') host.loop.releaseJob('listener');
      unbindAll(mine);
      r.stopped = true;
      const fe = r.served?.frontend;
      const feConns = fe ? countersOfFrontend(fe).conn_tot : 0;
      const beConns = r.backend ? countersOfBackend(r.backend).stot : 0;
      log('warning', `Proxy ${r.model.name} stopped (cumulated conns: FE: ${feConns}, BE: ${beConns}).`);
      return '';
    },
  });
  api.register({
    words: ['disable', 'frontend'],
    level: 'admin',
    usage: 'disable frontend <frontend>',
    help: 'temporarily disable specific frontend',
    handler: (args) => {
      const r = findFrontend(args[2]);
      if (typeof r === 'string') return r;
      if (r.stopped || r.model.disabled) return 'Frontend was previously shut down, cannot disable.\n';
      const active = listenersOf(r).filter(
        (l) => l.state === 'ready' || l.state === 'full' || l.state === 'limited',
      );
      if (active.length === 0) return 'All sockets are already disabled.\n';
      const res = pauseAll(active);
      return res.failed.length > 0 ? 'Failed to pause frontend, check logs for precise cause.\n' : '';
    },
  });
  api.register({
    words: ['enable', 'frontend'],
    level: 'admin',
    usage: 'enable frontend <frontend>',
    help: 're-enable specific frontend',
    handler: async (args) => {
      const r = findFrontend(args[2]);
      if (typeof r === 'string') return r;
      if (r.stopped || r.model.disabled) return 'Frontend was previously shut down, cannot enable.\n';
      const paused = listenersOf(r).filter((l) => l.state === 'paused');
      if (paused.length === 0) return 'All sockets are already enabled.\n';
      const res = await resumeAll(paused);
      return res.failed.length > 0
        ? 'Failed to resume frontend, check logs for precise cause (port conflict?).\n'
        : '';
    },
  });

  // --- stick tables -------------------------------------------------------------------------

  const tables = () => host.tables.values();
  const tableAnswer = (args: readonly string[], ctx: CommandContext): string => {
    const verb = args[0]!;
    const name = args[2] ?? '';
    const t = name === '' ? undefined : host.tables.get(name);
    const operator = LEVEL_RANK[ctx.socketLevel] >= LEVEL_RANK.operator;
    if (t !== undefined && args[3] === 'key') {
      // per-key actions need the session at operator level, once the key is known
      if ((args[4] ?? '') !== '' && LEVEL_RANK[ctx.level] < LEVEL_RANK.operator) return PERMISSION_DENIED;
    } else if (t !== undefined && !operator && (verb === 'show' || verb === 'clear')) {
      // a socket below operator sees the table's head only, and clears nothing
      const checked = tableCommand(['show', ...args.slice(1)], tables()) ?? '';
      if (!checked.startsWith('# table:')) return checked;
      return verb === 'show' ? `${tableHeader(t)}# contents not dumped due to insufficient privileges\n` : '';
    }
    return tableCommand(args, tables()) ?? '';
  };
  api.register({
    words: ['show', 'table'],
    usage: 'show table <table> [<filter>]*',
    help: "report table usage stats or dump this table's contents (filter: data/key)",
    handler: tableAnswer,
  });
  api.register({
    words: ['clear', 'table'],
    usage: 'clear table <table> [<filter>]*',
    help: 'remove an entry from a table (filter: data/key)',
    handler: tableAnswer,
  });
  api.register({
    words: ['set', 'table'],
    usage: 'set table <table> key <k> [data.* <v>]*',
    help: "update or create a table entry's data",
    handler: tableAnswer,
  });

  // --- process ------------------------------------------------------------------------------

  api.register({
    words: ['show', 'activity'],
    usage: 'show activity',
    help: 'show per-thread activity stats (for support/developers)',
    handler: () => {
      const t = now();
      const l = host.loop.stats();
      let accepted = stats.cli.total;
      for (const x of host.listeners) accepted += x.totalConns;
      const mem = process.memoryUsage();
      const lines = [
        'thread_id: 1 (1..1)',
        `date_now: ${Math.floor(t / 1000)}.${String((t % 1000) * 1000).padStart(6, '0')}`,
        `loops: ${l.turns}`,
        `tasksw: ${l.tasksRun}`,
        `run_queue: ${l.runQueue}`,
        `timers: ${l.timers}`,
        `idle_pct: ${Math.round(l.idlePct)}`,
        `lag_ms: ${Math.round(l.lagMs.mean)} (max ${Math.round(l.lagMs.max)})`,
        `accepted: ${accepted}`,
        `rss_bytes: ${mem.rss}`,
        `heap_used_bytes: ${mem.heapUsed}`,
        `heap_total_bytes: ${mem.heapTotal}`,
        `external_bytes: ${mem.external}`,
      ];
      return `${lines.join('\n')}\n`;
    },
  });
  api.register({
    words: ['show', 'pools'],
    usage: 'show pools',
    help: 'report information about the memory pools usage',
    handler: () => {
      // haproxyd has no memory pools: V8's heap spaces are the closest thing
      const spaces = getHeapSpaceStatistics();
      let out = "Dumping pools usage. Node's V8 heap spaces stand for HAProxy's pools.\n";
      let size = 0;
      let used = 0;
      for (const s of spaces) {
        size += s.space_size;
        used += s.space_used_size;
        out += `  - Pool ${s.space_name} : ${s.space_size} bytes allocated, ${s.space_used_size} used, ${s.space_available_size} available\n`;
      }
      out += `Total: ${spaces.length} pools, ${size} bytes allocated, ${used} used.\n`;
      return out;
    },
  });

  // --- TLS certificates (runtime-ssl-cli.ts, loaded on first use) -------------------------

  const sslCert =
    (verb: import('./runtime-ssl-cli.ts').SslCertVerb) =>
    async (args: readonly string[], ctx: CommandContext) =>
      (await import('./runtime-ssl-cli.ts')).sslCertCommand(host, verb, args, ctx);
  api.register({
    words: ['show', 'ssl', 'cert'],
    usage: 'show ssl cert [<certfile>]',
    help: 'display the SSL certificates used in memory, or the details of a file',
    handler: sslCert('show'),
  });
  api.register({
    words: ['set', 'ssl', 'cert'],
    level: 'admin',
    usage: 'set ssl cert <certfile> <payload>',
    help: 'replace a certificate file',
    handler: sslCert('set'),
  });
  api.register({
    words: ['commit', 'ssl', 'cert'],
    level: 'admin',
    usage: 'commit ssl cert <certfile>',
    help: 'commit a certificate file',
    handler: sslCert('commit'),
  });
  api.register({
    words: ['abort', 'ssl', 'cert'],
    level: 'admin',
    usage: 'abort ssl cert <certfile>',
    help: 'abort a transaction for a certificate file',
    handler: sslCert('abort'),
  });
  api.register({
    words: ['new', 'ssl', 'cert'],
    level: 'admin',
    usage: 'new ssl cert <certfile>',
    help: 'create a new certificate file to be used in a crt-list or a directory',
    handler: sslCert('new'),
  });
  api.register({
    words: ['del', 'ssl', 'cert'],
    level: 'admin',
    usage: 'del ssl cert <certfile>',
    help: 'delete an unused certificate file',
    handler: sslCert('del'),
  });
  // --- TLS ticket keys (runtime-tls-keys.ts, loaded on first use) ---------------------------
  api.register({
    words: ['show', 'tls-keys'],
    // HAProxy 2.6 asks no level for either
    usage: 'show tls-keys [id|*]',
    help: 'show tls keys references or dump tls ticket keys when id specified',
    handler: async (args) => (await import('./runtime-tls-keys.ts')).showTlsKeys(host, args),
  });
  api.register({
    words: ['set', 'ssl', 'tls-key'],
    usage: 'set ssl tls-key [id|file] <key>',
    help: 'set the next TLS key for the <id> or <file> listener to <key>',
    handler: async (args) => (await import('./runtime-tls-keys.ts')).setTlsKey(host, args),
  });
  const sslCrtList =
    (verb: import('./runtime-ssl-cli.ts').SslCrtListVerb) =>
    async (args: readonly string[], ctx: CommandContext) =>
      (await import('./runtime-ssl-cli.ts')).sslCrtListCommand(host, verb, args, ctx);
  api.register({
    words: ['show', 'ssl', 'crt-list'],
    level: 'admin',
    usage: 'show ssl crt-list [-n] [<list>]',
    help: 'show the list of crt-lists or the content of a crt-list file <list>',
    handler: sslCrtList('show'),
  });
  api.register({
    words: ['add', 'ssl', 'crt-list'],
    level: 'admin',
    usage: 'add ssl crt-list <list> <cert> [opts]*',
    help: 'add to crt-list file <list> a line <cert> or a payload',
    handler: sslCrtList('add'),
  });
  api.register({
    words: ['del', 'ssl', 'crt-list'],
    level: 'admin',
    usage: 'del ssl crt-list <list> <cert[:line]>',
    help: 'delete a line <cert> from crt-list file <list>',
    handler: sslCrtList('del'),
  });

  // CA and CRL files: HAProxy 2.6's rows, in its words
  for (const kind of ['ca', 'crl'] as const) {
    const word = `${kind}-file`;
    const arg = kind === 'ca' ? '<cafile>' : '<crlfile>';
    const what = kind === 'ca' ? 'CA' : 'CRL';
    const run =
      (verb: import('./runtime-ssl-cli.ts').SslCaVerb) =>
      async (args: readonly string[], ctx: CommandContext) =>
        (await import('./runtime-ssl-cli.ts')).sslCaCommand(host, kind, verb, args, ctx);
    const rows: [import('./runtime-ssl-cli.ts').SslCaVerb, string, string][] = [
      [
        'new',
        `new ssl ${kind === 'ca' ? 'ca-file' : 'crlfile'} ${arg}`,
        `create a new ${what} file to be used in a crt-list`,
      ],
      ['set', `set ssl ${word} ${arg} <payload>`, `replace a ${what} file`],
      ['commit', `commit ssl ${word} ${arg}`, `commit a ${what} file`],
      ['abort', `abort ssl ${word} ${arg}`, `abort a transaction for a ${what} file`],
      ['del', `del ssl ${word} ${arg}`, `delete an unused ${what} file`],
      [
        'show',
        kind === 'ca' ? 'show ssl ca-file [<cafile>[:<index>]]' : 'show ssl crl-file [<crlfile[:<index>>]]',
        kind === 'ca'
          ? 'display the SSL CA files used in memory, or the details of a <cafile>, or a single certificate of index <index> of a CA file <cafile>'
          : 'display the SSL CRL files used in memory, or the details of a <crlfile>, or a single CRL of index <index> of CRL file <crlfile>',
      ],
    ];
    for (const [verb, usage, help] of rows) {
      api.register({
        words: [verb, 'ssl', word],
        ...(verb === 'show' ? {} : { level: 'admin' as const }),
        usage,
        help,
        handler: run(verb),
      });
    }
  }

  // OCSP responses: those the bind lines staple (runtime-ssl-cli.ts)
  api.register({
    words: ['set', 'ssl', 'ocsp-response'],
    usage: 'set ssl ocsp-response <resp|payload>',
    help: "update a certificate's OCSP Response from a base64-encode DER",
    handler: async (args: readonly string[], ctx: CommandContext) =>
      (await import('./runtime-ssl-cli.ts')).sslOcspCommand(host, 'set', args, ctx),
  });
  api.register({
    words: ['show', 'ssl', 'ocsp-response'],
    usage: 'show ssl ocsp-response [id]',
    help: 'display the IDs of the OCSP responses used in memory, or the details of a single OCSP response',
    handler: async (args: readonly string[], ctx: CommandContext) =>
      (await import('./runtime-ssl-cli.ts')).sslOcspCommand(host, 'show', args, ctx),
  });

  registerMapCommands(api, host);
  return { api, stats };
}

// --- the sockets --------------------------------------------------------------------------

interface Running {
  readonly api: RuntimeApi;
  readonly stats: DaemonStats;
  /** Unix socket files this process created, with their inode. */
  readonly files: { readonly listener: CliListener; readonly path: string; readonly ino: number }[];
}

const running = new WeakMap<object, Running>();
const runtimes = new WeakMap<Daemon, { api: RuntimeApi; stats: DaemonStats }>();

/**
 * The daemon's command table and statistics source, made once: the stats sockets serve it,
 * and the stats page runs its admin actions through it (one server-control code path).
 */
export function daemonRuntime(d: Daemon): { api: RuntimeApi; stats: DaemonStats } {
  let r = runtimes.get(d);
  if (r === undefined) {
    r = createRuntimeApi(d, { log: stderrLog(() => d.quiet) });
    runtimes.set(d, r);
  }
  return r;
}

/** Bind options a `stats socket` line may carry here; others refuse the start. */
const SOCKET_OPTIONS = new Set([
  'level',
  'mode',
  'uid',
  'gid',
  'user',
  'group',
  'maxconn',
  'name',
  'id',
  'expose-fd',
  'process',
  'thread',
]);

interface SocketSpec {
  readonly address: string;
  /** `expose-fd listeners`: `_getsocks` hands the listening sockets to a new process (`-x`). */
  readonly exposeFd: boolean;
  readonly listen: ListenOptions;
  readonly where: BindModel;
}

/** What the `stats socket`, `stats timeout` and `stats maxconn` lines ask for. */
export function socketSpecs(host: Pick<StatsHost, 'model'>): SocketSpec[] {
  const g = host.model.global;
  const lastArg = (k: string) => g.directives.findLast((d) => d.keyword === k)?.args[2];
  const timeoutText = lastArg('stats timeout');
  const timeout = timeoutText !== undefined ? parseTime(timeoutText) : undefined;
  const maxconnText = lastArg('stats maxconn');
  const specs: SocketSpec[] = [];
  for (const b of g.statsSockets) {
    for (const opt of Object.keys(b.options)) {
      if (!SOCKET_OPTIONS.has(opt))
        throw new Error(
          `config : parsing [${b.file}:${b.line}] : 'stats socket' option '${opt}' is not supported yet by haproxyd's runtime.`,
        );
    }
    const o = b.options;
    const level = isLevel(o['level']) ? o['level'] : 'operator';
    const user = typeof o['user'] === 'string' ? o['user'] : undefined;
    const group = typeof o['group'] === 'string' ? o['group'] : undefined;
    let uid = typeof o['uid'] === 'string' ? Number(o['uid']) : undefined;
    let gid = typeof o['gid'] === 'string' ? Number(o['gid']) : undefined;
    if (user !== undefined || group !== undefined) {
      const ids = resolveIdentity({
        program: 'haproxyd',
        ...(user !== undefined ? { user } : {}),
        ...(group !== undefined ? { group } : {}),
      });
      if (ids.uid !== null) uid = ids.uid;
      if (ids.gid !== null) gid = ids.gid;
    }
    const maxconnOpt = typeof o['maxconn'] === 'string' ? o['maxconn'] : maxconnText;
    const listen: ListenOptions = {
      level,
      ...(timeout?.ok ? { timeout: timeout.ms } : {}),
      ...(maxconnOpt !== undefined ? { maxconn: Number(maxconnOpt) } : {}),
      ...(typeof o['mode'] === 'string' ? { mode: Number.parseInt(o['mode'], 8) } : {}),
      ...(uid !== undefined ? { uid } : {}),
      ...(gid !== undefined ? { gid } : {}),
    };
    const expose = o['expose-fd'];
    if (expose !== undefined && expose !== 'listeners')
      throw new Error(
        `config : parsing [${b.file}:${b.line}] : 'stats socket' : 'expose-fd' only supports 'listeners', got '${expose === true ? '' : expose}'.`,
      );
    for (const a of b.addresses) {
      const at = { listen, where: b, exposeFd: expose === 'listeners' };
      switch (a.family) {
        case 'unix':
          specs.push({ address: `unix@${a.host}`, ...at });
          break;
        case 'abns':
          specs.push({ address: `abns@${a.host}`, ...at });
          break;
        case 'ipv4':
        case 'ipv6':
          for (let port = a.portLow; port <= a.portHigh; port++) {
            const h = a.host === '' ? (a.family === 'ipv6' ? '::' : '0.0.0.0') : a.host;
            specs.push({ address: a.family === 'ipv6' ? `ipv6@[${h}]:${port}` : `ipv4@${h}:${port}`, ...at });
          }
          break;
        default:
          throw new Error(
            `config : parsing [${b.file}:${b.line}] : 'stats socket ${a.raw}': this address family is not supported yet by haproxyd's runtime.`,
          );
      }
    }
  }
  return specs;
}

/**
 * Serves the runtime API on every `stats socket` of the configuration. Throws, with the
 * sockets already opened closed again, when one cannot be bound (the message is HAProxy's
 * alert text: the caller prints it and stops the start).
 */
export async function startRuntimeApi(d: Daemon): Promise<void> {
  if (running.has(d) || d.model.global.statsSockets.length === 0) return;
  const specs = socketSpecs(d);
  const { api, stats } = daemonRuntime(d);
  const files: Running['files'][number][] = [];
  running.set(d, { api, stats, files });
  stats.cli.listeners = specs.length;
  const serverFor =
    (reusePort: boolean, unix: boolean, exposeFd: boolean, idleMs: number) =>
    (onConnection: (socket: Socket) => void): NetServer => {
      const server = createServer({ allowHalfOpen: true }, (socket) => {
        stats.cli.total++;
        stats.cli.sessions++;
        socket.once('close', () => {
          stats.cli.sessions--;
        });
        // a unix socket may be asked for the listening sockets (`_getsocks`, HAProxy's -x)
        if (unix) watchGetsocks(d, socket, exposeFd, idleMs, onConnection);
        else onConnection(socket);
      });
      if (reusePort) {
        // a reload (-sf/-st, master-worker) binds the new process while the old one still
        // listens: TCP stats sockets share their port as the listeners do (SO_REUSEPORT)
        const listen = server.listen.bind(server) as (o: object, cb: () => void) => NetServer;
        server.listen = ((o: object, cb: () => void) =>
          listen({ ...o, reusePort: true }, cb)) as unknown as typeof server.listen;
      }
      return server;
    };
  try {
    for (const s of specs) {
      const tcp = s.address.startsWith('ipv4@') || s.address.startsWith('ipv6@');
      try {
        const listener = await api.listen(s.address, {
          ...s.listen,
          createServer: serverFor(tcp, s.address.startsWith('unix@'), s.exposeFd, s.listen.timeout ?? 10_000),
        });
        if (s.address.startsWith('unix@')) {
          const path = s.address.slice(5);
          files.push({ listener, path, ino: statSync(path).ino });
        }
      } catch (err) {
        const why =
          (err as NodeJS.ErrnoException).code === 'EADDRINUSE'
            ? 'Address already in use'
            : (err as Error).message;
        const shown = s.address.replace(/^(unix|ipv4|ipv6)@/, '');
        throw new Error(
          `Binding [${s.where.file}:${s.where.line}] for frontend GLOBAL: cannot bind socket (${why}) for [${shown}]`,
        );
      }
    }
  } catch (err) {
    running.delete(d);
    await api.close();
    throw err;
  }
}

/**
 * The first bytes of a unix stats socket session: `_getsocks` (a new process started with
 * `-x`) is answered here, with the listening sockets as file descriptors when the socket has
 * `expose-fd listeners`, with nothing otherwise (HAProxy closes the session without a word);
 * anything else goes to the CLI as it came.
 */
function watchGetsocks(
  d: Daemon,
  socket: Socket,
  exposeFd: boolean,
  idleMs: number,
  onConnection: (socket: Socket) => void,
): void {
  // a client that says nothing is dropped after the CLI's idle timeout, as a session would be
  socket.setTimeout(idleMs, () => socket.destroy());
  socket.once('readable', () => {
    socket.setTimeout(0);
    const chunk = socket.read() as Buffer | null;
    if (chunk === null) {
      socket.destroy();
      return;
    }
    if (!chunk.toString('latin1').startsWith('_getsocks')) {
      socket.unshift(chunk);
      onConnection(socket);
      return;
    }
    const fds = exposeFd ? d.listeners.map((l) => l.fd).filter((fd) => fd >= 0) : [];
    const own = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd ?? -1;
    if (fds.length > 0 && own >= 0) {
      try {
        sendListeningFds(own, fds);
      } catch (err) {
        process.stderr.write(`[WARNING]  (${process.pid}) : ${(err as Error).message}\n`);
      }
    }
    socket.end();
  });
}

/** Closes the stats sockets and their sessions (soft or hard stop, deinit). Idempotent. */
export async function stopRuntimeApi(d: Daemon): Promise<void> {
  const r = running.get(d);
  if (r === undefined) return;
  running.delete(d);
  // A newer process (reload) may have put its own socket at the same path: closing ours must
  // not remove its file, as HAProxy leaves it too. Closing a unix server removes its path
  // (libuv), so the newer file is kept under a second name meanwhile and put back at once.
  for (const f of r.files) {
    let ino = -1;
    try {
      ino = statSync(f.path).ino;
    } catch {
      // gone already
    }
    if (ino === f.ino || ino === -1) continue;
    const keep = `${f.path}.${process.pid}.keep`;
    const server = f.listener.server;
    (f.listener as { close: () => Promise<void> }).close = () =>
      new Promise<void>((resolve) => {
        let kept = false;
        try {
          linkSync(f.path, keep);
          kept = true;
        } catch {
          // the newer process keeps its socket anyway if this fails: best effort
        }
        server.close(() => resolve());
        if (kept) {
          try {
            renameSync(keep, f.path);
          } catch {
            // nothing more to do
          }
        }
      });
  }
  await r.api.close();
}
