/**
 * The daemon as `@hap/stats` sees it: a StatsSource over the live frontends, backends,
 * servers, listeners and health checks, with HAProxy's proxy and server ids.
 *
 * Counters: every frontend, backend, server and listener gets its `@hap/stats` counters
 * object here (`countersOf()`), for the proxy to increment. What the live objects already
 * tell (current and total streams, connections) is folded in at render time, so nothing
 * is counted twice once the proxy counts by itself.
 *
 * Server states: servers with a health check are the checker's (`@hap/checks`); the others
 * get their state here (`localServer()`), changed by the runtime API (`set server … state`,
 * `health`, `weight`) and applied to their backend's balancer by the caller.
 */

import { hostname } from 'node:os';
import type { HealthChecker, ServerCheckState } from '@hap/checks';
import type { ConfigModel, Directive, ProxyModel, ServerModel } from '@hap/config';
import { getFdLimit } from '@hap/daemon';
import type { Listener } from '@hap/listeners';
import type { RunLoop } from '@hap/poller';
import type { Backend, Frontend, Server } from '@hap/proxy';
import {
  type BackendState,
  type CheckState,
  type CheckStatusName,
  type FrontendState,
  type InfoValues,
  ListenerCounters,
  type ListenerState,
  ProxyCounters,
  type ProxyMode,
  type ProxyState,
  processInfo,
  ServerCounters,
  type ServerOpState,
  type ServerState,
  SRV_ADMF,
  type StatsSource,
  serverUsable,
} from '@hap/stats';
import type { StickTable } from '@hap/stick';
import { proxyIds, serverIds } from './proxy-ids.ts';
import { clearRatePeaks, type ProcessRates, rateInfo } from './rate-limits.ts';
import type { ServedFrontend } from './runtime.ts';
import type { PlannedChecks } from './runtime-checks.ts';
import { checkColumns } from './runtime-server-addr.ts';
import { buildDate, HAPROXYD_VERSION } from './version.ts';

// --- counters, kept by object ------------------------------------------------------------

const listenerCounters = new WeakMap<Listener, ListenerCounters>();

function counted<K extends object, V>(map: WeakMap<K, V>, key: K, make: () => V): V {
  let v = map.get(key);
  if (v === undefined) {
    v = make();
    map.set(key, v);
  }
  return v;
}

/** The `show stat` counters of a frontend (its FRONTEND line). */
export function countersOfFrontend(f: Frontend): ProxyCounters {
  return f.counters;
}

/** The `show stat` counters of a backend (its BACKEND line). */
export function countersOfBackend(b: Backend): ProxyCounters {
  return b.counters;
}

/** The `show stat` counters of a server. */
export function countersOfServer(s: Server): ServerCounters {
  return s.counters;
}

/** The counters of a listener (printed with `option socket-stats`). */
export function countersOfListener(l: Listener): ListenerCounters {
  return counted(listenerCounters, l, () => new ListenerCounters());
}

/**
 * Listener totals (counted by the listeners themselves) as they were at the last `clear
 * counters all`: `stot` is what was counted since.
 */
const baselines = new WeakMap<object, number>();

// --- servers without health checks ----------------------------------------------------

/** The state of a server without checks: what `set server` changed, HAProxy's fields. */
export interface LocalServer {
  /** SRV_ADMF bits: FMAINT/FDRAIN from the CLI, CMAINT when `disabled` in the configuration. */
  admin: number;
  opState: ServerOpState;
  /** User weight (`set weight`) and the configured one. */
  uweight: number;
  readonly iweight: number;
  /** `srv_check_health` as HAProxy keeps it for a server without check. */
  health: number;
  readonly rise: number;
  readonly fall: number;
  /** Seconds since the epoch. */
  lastChange: number;
  /** `disabled` in the configuration: HAProxy keeps its check paused for good. */
  readonly configDisabled: boolean;
}

/** What the balancer should do with a server in this state. */
export function effectiveState(s: LocalServer): 'up' | 'down' | 'drain' | 'maint' {
  if (s.admin & SRV_ADMF.MAINT) return 'maint';
  if (s.opState === 'stopped') return 'down';
  if (s.admin & SRV_ADMF.DRAIN || s.opState === 'stopping') return 'drain';
  return 'up';
}

// --- the daemon's objects ---------------------------------------------------------------

/** What the statistics read of the daemon (serve.ts's Daemon has all of it). */
export interface StatsHost {
  readonly model: ConfigModel;
  readonly frontends: readonly ServedFrontend[];
  readonly backends: ReadonlyMap<string, Backend>;
  readonly tables: ReadonlyMap<string, StickTable>;
  readonly checks: PlannedChecks | undefined;
  readonly checker: HealthChecker | undefined;
  readonly listeners: readonly Listener[];
  readonly loop: RunLoop;
  readonly options?: { readonly maxconn?: number | undefined };
  /** The accept rates and their limits (`show info` ConnRate…, `set rate-limit`). */
  readonly rates?: ProcessRates;
}

/** One server line: the live server when its backend is served, its configuration always. */
export interface ServerRecord {
  readonly model: ServerModel;
  readonly server: Server | undefined;
  readonly id: number;
  readonly forcedId: boolean;
  /** Counters of a server that is not served (its backend is not used). */
  readonly ownCounters: ServerCounters;
  /** Checked by the health checker (`check` or `agent-check`). */
  readonly checked: boolean;
  readonly local: LocalServer;
  /** Downtime bookkeeping (seconds). */
  down: boolean;
  downSince: number;
  downTotal: number;
  /** Most connections used at once (need_conn_est). */
  peakUsed: number;
  /**
   * Added by `add server` and not out of its first maintenance yet: HAProxy has not
   * computed its weight (`show stat` says 1) nor paused its checks.
   */
  fresh?: boolean;
  /** In maintenance because its name stopped resolving (HAProxy's SRV_ADMF_RMAINT; runtime-resolvers.ts). */
  rmaint: boolean;
}

/** One proxy section (frontend, backend or listen) with its HAProxy id. */
export interface ProxyRecord {
  readonly model: ProxyModel;
  readonly id: number;
  readonly forcedId: boolean;
  readonly mode: ProxyMode;
  /** The frontend side, when served. */
  readonly served: ServedFrontend | undefined;
  /** The backend side (backend, listen). */
  readonly isBackend: boolean;
  readonly backend: Backend | undefined;
  readonly servers: readonly ServerRecord[];
  /** Counters of a backend side that is not served. */
  readonly ownCounters: ProxyCounters;
  readonly algo: string;
  /** Static algorithms (static-rr, map-based hashing) only take weights 0 and the initial one. */
  readonly staticWeights: boolean;
  readonly cookie: string | undefined;
  readonly allBackups: boolean;
  readonly fullconn: number;
  /** `set maxconn frontend` changes it. */
  feMaxconn: number;
  /** `shutdown frontend`: stopped for good (STOP; a listen's servers refuse changes). */
  stopped: boolean;
  /** Backend UP/DOWN bookkeeping. */
  beUp: boolean;
  beLastChange: number;
  beDownTotal: number;
  beChkdown: number;
}

const nowSec = (ms: number) => Math.floor(ms / 1000);

/** The process start, in ms since the epoch. */
const PROCESS_START = Math.round(Date.now() - process.uptime() * 1000);

function lastDirective(p: ProxyModel, keyword: string): Directive | undefined {
  return p.directives.findLast((d) => d.keyword === keyword);
}

/** `hash-type` of a backend or of the defaults it uses. */
function hashTypeOf(model: ConfigModel, p: ProxyModel): string | undefined {
  const own = lastDirective(p, 'hash-type');
  if (own) return own.args[1];
  const defaults = model.proxies.filter(
    (q) => q.kind === 'defaults' && (p.defaultsFrom === undefined || q.name === p.defaultsFrom),
  );
  for (const d of defaults.reverse()) {
    const h = lastDirective(d, 'hash-type');
    if (h) return h.args[1];
  }
  return undefined;
}

const HASHED = new Set(['source', 'uri', 'url_param', 'hdr', 'rdp-cookie', 'hash']);

function addrOf(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function numberOption(v: string | true | undefined): number | undefined {
  if (typeof v !== 'string' || !/^\d+$/.test(v)) return undefined;
  return Number(v);
}

function toCheckState(
  c: ServerCheckState['check'],
  extra: { port?: number | undefined; addr?: string | undefined },
): CheckState {
  return {
    status: c.status as CheckStatusName,
    enabled: c.enabled,
    paused: c.paused,
    inProgress: c.running,
    code: c.code,
    duration: Math.max(0, c.duration),
    desc: c.info,
    rise: c.rise,
    fall: c.fall,
    health: c.health,
    ...(extra.port !== undefined ? { port: extra.port } : {}),
    ...(extra.addr !== undefined ? { addr: extra.addr } : {}),
  };
}

/**
 * The daemon as a StatsSource. Built once per process (the proxies do not change without
 * a reload); every call reads the live objects.
 */
export class DaemonStats implements StatsSource {
  readonly host: StatsHost;
  readonly records: readonly ProxyRecord[];
  /** Process start (ms). */
  readonly startedAt: number;
  /** Figures of the CLI itself (sockets, sessions), for `show info`. */
  cli = { listeners: 0, sessions: 0, total: 0 };
  private readonly now: () => number;
  private readonly byServer = new Map<Server, ServerRecord>();
  /** `set maxconn global` changes it. */
  globalMaxconn: number;
  private fdLimit: number | undefined;

  constructor(host: StatsHost, opts: { now?: () => number; startedAt?: number } = {}) {
    this.host = host;
    this.now = opts.now ?? Date.now;
    this.startedAt = opts.startedAt ?? PROCESS_START;
    const cliMax = host.options?.maxconn;
    this.globalMaxconn = cliMax !== undefined && cliMax > 0 ? cliMax : (host.model.global.maxconn ?? 0);
    this.records = this.build();
  }

  private build(): ProxyRecord[] {
    const { model } = this.host;
    const ids = proxyIds(model);
    const checked = new Set((this.host.checks?.specs ?? []).map((s) => `${s.backend}/${s.server}`));
    const start = nowSec(this.startedAt);
    const feMaxconnOf = (p: ProxyModel) => p.maxconn ?? this.globalMaxconn;
    const records: ProxyRecord[] = [];
    for (const p of model.proxies) {
      if (p.kind === 'defaults') continue;
      const isBackend = p.kind === 'backend' || p.kind === 'listen';
      const served = this.host.frontends.find((f) => f.proxy === p);
      const backend = isBackend && !p.disabled ? this.host.backends.get(p.name) : undefined;
      const sids = serverIds(p);
      const servers: ServerRecord[] = p.servers.map((m, i) => {
        const server = backend?.servers.find((s) => s.name === m.name);
        const local: LocalServer = {
          admin: m.disabled ? SRV_ADMF.FMAINT | SRV_ADMF.CMAINT : 0,
          opState: m.disabled ? 'stopped' : 'running',
          uweight: m.weight,
          iweight: m.weight,
          health: m.disabled ? 0 : m.rise,
          rise: m.rise,
          fall: m.fall,
          lastChange: start,
          configDisabled: m.disabled,
        };
        const rec: ServerRecord = {
          model: m,
          server,
          id: sids[i]!.id,
          forcedId: sids[i]!.forced,
          ownCounters: new ServerCounters(),
          checked: checked.has(`${p.name}/${m.name}`),
          local,
          rmaint: false,
          down: false,
          downSince: start,
          downTotal: 0,
          peakUsed: 0,
        };
        if (server) this.byServer.set(server, rec);
        return rec;
      });
      // fullconn: as written, else a tenth of the maxconn of the frontends that lead here
      let fullconn = numberOption(lastDirective(p, 'fullconn')?.args[1]);
      if (fullconn === undefined && isBackend) {
        let total = 0;
        for (const q of model.proxies) {
          if ((q.kind !== 'frontend' && q.kind !== 'listen') || q.disabled) continue;
          const leads =
            q === p || q.defaultBackend?.name === p.name || q.useBackends.some((u) => u.backend === p.name);
          if (leads) total += feMaxconnOf(q);
        }
        fullconn = Math.floor((total + 9) / 10);
      }
      const algoWord = (p.balance?.args[0] ?? p.balance?.algorithm ?? 'roundrobin').replace(/\(.*$/, '');
      const hashType = hashTypeOf(model, p);
      const id = ids.get(p) ?? { id: 0, forced: false };
      records.push({
        model: p,
        id: id.id,
        forcedId: id.forced,
        mode: p.mode === 'http' ? 'http' : 'tcp',
        served,
        isBackend,
        backend,
        servers,
        ownCounters: new ProxyCounters(),
        algo: algoWord,
        staticWeights: algoWord === 'static-rr' || (HASHED.has(algoWord) && hashType !== 'consistent'),
        cookie: lastDirective(p, 'cookie')?.args[1],
        allBackups: p.options['allbackups'] === true,
        fullconn: fullconn ?? 0,
        feMaxconn: feMaxconnOf(p),
        stopped: false,
        beUp: true,
        beLastChange: start,
        beDownTotal: 0,
        beChkdown: 0,
      });
    }
    return records;
  }

  // --- lookups for the CLI ---------------------------------------------------------------

  /** A backend section by name or `#<id>` (HAProxy's proxy_be_by_name / get_backend_server). */
  findBackend(name: string): ProxyRecord | undefined {
    const byId = /^#(\d+)$/.exec(name);
    return this.records.find((r) => r.isBackend && (byId ? r.id === Number(byId[1]) : r.model.name === name));
  }

  /** A frontend section by name (frontend or listen). */
  findFrontend(name: string): ProxyRecord | undefined {
    return this.records.find(
      (r) => (r.model.kind === 'frontend' || r.model.kind === 'listen') && r.model.name === name,
    );
  }

  findServer(be: ProxyRecord, name: string): ServerRecord | undefined {
    const byId = /^#(\d+)$/.exec(name);
    return be.servers.find((s) => (byId ? s.id === Number(byId[1]) : s.model.name === name));
  }

  /** `add server`: a server joins the end of its backend's list (and every dump). */
  attachServer(r: ProxyRecord, rec: ServerRecord): void {
    (r.servers as ServerRecord[]).push(rec);
    if (rec.server) this.byServer.set(rec.server, rec);
  }

  /** `del server`: the server leaves its backend's list. */
  detachServer(r: ProxyRecord, rec: ServerRecord): void {
    const list = r.servers as ServerRecord[];
    const i = list.indexOf(rec);
    if (i >= 0) list.splice(i, 1);
    if (rec.server) this.byServer.delete(rec.server);
  }

  recordOf(server: Server): ServerRecord | undefined {
    return this.byServer.get(server);
  }

  /** The checker's view of a server, when it has checks and they are running. */
  checkerState(be: ProxyRecord, s: ServerRecord): ServerCheckState | undefined {
    const checker = this.host.checker;
    if (!s.checked || checker === undefined) return undefined;
    try {
      return checker.state(be.model.name, s.model.name);
    } catch {
      return undefined;
    }
  }

  countersOfServer(s: ServerRecord): ServerCounters {
    return s.server ? countersOfServer(s.server) : s.ownCounters;
  }

  countersOfBackend(r: ProxyRecord): ProxyCounters {
    return r.backend ? countersOfBackend(r.backend) : r.ownCounters;
  }

  // --- counters ---------------------------------------------------------------------------

  /** Folds the live peaks into the counters (render time); totals are counted by the frontend itself. */
  private refreshFrontend(f: Frontend, c: ProxyCounters): void {
    if (f.connections > c.smax) c.smax = f.connections;
  }

  private refreshServer(s: ServerRecord, c: ServerCounters): void {
    const srv = s.server;
    if (!srv) return;
    // stot is counted by the streams themselves (one per request or TCP stream)
    if (srv.served > c.smax) c.smax = srv.served;
    const used = srv.currentConns - srv.idle.length;
    if (used > s.peakUsed) s.peakUsed = used;
  }

  clearCounters(all: boolean): void {
    for (const r of this.records) {
      const f = r.served?.frontend;
      const cs: (ProxyCounters | ServerCounters | ListenerCounters)[] = [];
      if (f) cs.push(countersOfFrontend(f));
      if (r.isBackend) cs.push(this.countersOfBackend(r));
      for (const s of r.servers) cs.push(this.countersOfServer(s));
      for (const c of cs) {
        if (all) {
          const fresh =
            c instanceof ServerCounters
              ? new ServerCounters()
              : c instanceof ProxyCounters
                ? new ProxyCounters()
                : new ListenerCounters();
          Object.assign(c, fresh);
        } else {
          const m = c as unknown as Record<string, number>;
          for (const k of [
            'smax',
            'qmax',
            'rate_max',
            'conn_rate_max',
            'req_rate_max',
            'qtime_max',
            'ctime_max',
            'rtime_max',
            'ttime_max',
          ]) {
            if (typeof m[k] === 'number') m[k] = 0;
          }
        }
      }
    }
    for (const l of this.host.listeners) {
      const c = countersOfListener(l);
      if (all) {
        Object.assign(c, new ListenerCounters());
        baselines.set(c, l.totalConns);
      } else c.smax = 0;
    }
    // MaxConnRate, MaxSessRate, MaxSslRate start again, `all` or not
    if (this.host.rates !== undefined) clearRatePeaks(this.host.rates);
  }

  // --- StatsSource ------------------------------------------------------------------------

  info(): InfoValues {
    const now = this.now();
    const host = this.host;
    let currConns = 0;
    let cumConns = this.cli.total;
    let listeners = this.cli.listeners;
    for (const l of host.listeners) {
      currConns += l.currentConns;
      cumConns += l.totalConns;
      if (l.state !== 'stopped') listeners++;
    }
    let cumReq = 0;
    let bytesOut = 0;
    for (const r of this.records) {
      const f = r.served?.frontend;
      if (!f) continue;
      const c = countersOfFrontend(f);
      cumReq += c.req_tot;
      bytesOut += c.bout;
    }
    const loop = host.loop.stats();
    if (this.fdLimit === undefined) {
      try {
        this.fdLimit = getFdLimit().soft;
      } catch {
        this.fdLimit = 0;
      }
    }
    const g = host.model.global.directives;
    const nodeName = g.findLast((d) => d.keyword === 'node')?.args[1] ?? hostname();
    const description = g
      .findLast((d) => d.keyword === 'description')
      ?.args.slice(1)
      .join(' ');
    return processInfo({
      name: 'haproxyd',
      version: HAPROXYD_VERSION,
      releaseDate: buildDate(),
      startedAt: this.startedAt,
      now,
      node: nodeName,
      ...(description !== undefined ? { description } : {}),
      maxconn: this.globalMaxconn,
      values: {
        'Ulimit-n': this.fdLimit,
        Maxsock: this.fdLimit,
        CurrConns: currConns,
        CumConns: cumConns,
        CumReq: cumReq,
        Tasks: loop.timers + loop.runQueue,
        Run_queue: loop.runQueue,
        Idle_pct: Math.round(loop.idlePct),
        Stopping: loop.stopping ? 1 : 0,
        Jobs: loop.jobs + this.cli.listeners + this.cli.sessions,
        'Unstoppable Jobs': loop.unstoppableJobs,
        Listeners: listeners,
        TotalBytesOut: bytesOut,
        ...(host.rates !== undefined ? rateInfo(host.rates) : {}),
      },
    });
  }

  *proxies(): Iterable<ProxyState> {
    const now = this.now();
    for (const r of this.records) {
      if (r.model.disabled) continue; // HAProxy leaves disabled proxies out of the stats
      yield this.proxyState(r, now);
    }
  }

  proxyState(r: ProxyRecord, now = this.now()): ProxyState {
    const f = r.served?.frontend;
    let frontend: FrontendState | undefined;
    let listeners: ListenerState[] | undefined;
    if (f) {
      const c = countersOfFrontend(f);
      this.refreshFrontend(f, c);
      frontend = {
        counters: c,
        scur: f.connections,
        maxconn: r.feMaxconn,
        stopped: r.stopped,
        rateLimit: r.model.rateLimitSessions,
      };
      if (r.model.options['socket-stats'] === true) listeners = this.listenerStates(f);
    }
    const servers = r.servers.map((s) => this.serverState(r, s, now));
    let backend: BackendState | undefined;
    if (r.isBackend) backend = this.backendState(r, servers, now);
    return {
      name: r.model.name,
      id: r.id,
      mode: r.mode,
      ...(r.forcedId ? { forcedId: true } : {}),
      ...(frontend ? { frontend } : {}),
      ...(listeners ? { listeners } : {}),
      ...(backend ? { backend, servers } : {}),
    };
  }

  private listenerStates(f: Frontend): ListenerState[] {
    const mine = this.host.listeners.filter((l) => (l as Listener & { frontend?: Frontend }).frontend === f);
    return mine.map((l, i) => {
      const c = countersOfListener(l);
      const total = l.totalConns - (baselines.get(c) ?? 0);
      if (total > c.stot) c.stot = total;
      if (l.currentConns > c.smax) c.smax = l.currentConns;
      const id = l.id > 0 ? l.id : i + 1;
      const ip = l.family === 'ipv4' || l.family === 'ipv6';
      return {
        // HAProxy names the listeners of a bind line without `name` after their id
        name: l.name !== '' ? l.name : `sock-${id}`,
        id,
        counters: c,
        scur: l.currentConns,
        maxconn: l.maxconn,
        status: l.state === 'ready' ? 'OPEN' : l.state === 'full' ? 'FULL' : 'WAITING',
        addr: ip ? addrOf(l.host === '' ? (l.family === 'ipv6' ? '::' : '0.0.0.0') : l.host, l.port) : 'unix',
      };
    });
  }

  /** A server as `show stat` and `show servers state` describe it. */
  serverState(r: ProxyRecord, s: ServerRecord, now = this.now()): ServerState {
    const m = s.model;
    const c = this.countersOfServer(s);
    this.refreshServer(s, c);
    const srv = s.server;
    const st = this.checkerState(r, s);
    let opState: ServerOpState;
    let admin: number;
    let uweight: number;
    let iweight: number;
    let lastChange: number;
    let check: CheckState | undefined;
    let agent: CheckState | undefined;
    let uncheckedHealth: ServerState['uncheckedHealth'];
    if (st) {
      opState = st.oper === 'up' ? 'running' : st.oper === 'down' ? 'stopped' : 'stopping';
      admin =
        (st.admin === 'maint' ? SRV_ADMF.FMAINT : 0) |
        (st.admin === 'drain' ? SRV_ADMF.FDRAIN : 0) |
        (m.disabled ? SRV_ADMF.CMAINT : 0);
      uweight = st.weight;
      iweight = st.initialWeight;
      lastChange = nowSec(st.lastChange);
      // a configured check has a rise (the checker's stand-in for none has 0); a disabled
      // one (`disable health`) still shows, with its enabled bit off
      // their own address and port: the configuration's, or what the runtime API set
      if (st.check.rise > 0)
        check = toCheckState(st.check, {
          port: st.check.port > 0 ? st.check.port : undefined,
          addr: st.check.addr,
        });
      if (st.check.rise === 0) uncheckedHealth = { health: st.check.health, rise: m.rise, fall: m.fall };
      if (st.agent !== undefined && st.agent.rise > 0)
        agent = toCheckState(st.agent, {
          port: st.agent.port > 0 ? st.agent.port : undefined,
          addr: st.agent.addr,
        });
    } else {
      const l = s.local;
      opState = l.opState;
      admin = l.admin;
      uweight = l.uweight;
      iweight = l.iweight;
      lastChange = l.lastChange;
    }
    if (s.fresh === true && (admin & SRV_ADMF.MAINT) === 0) s.fresh = false;
    // no address (`init-addr none`, -dr, a name DNS stopped answering): in maintenance until
    // one is set, as HAProxy shows it
    if (srv?.unresolved === true || s.rmaint) {
      admin |= SRV_ADMF.RMAINT;
      opState = 'stopped';
    }
    // downtime: time spent DOWN, counted from the state changes seen
    const down = opState === 'stopped';
    if (down !== s.down) {
      if (s.down) s.downTotal += Math.max(0, lastChange - s.downSince);
      else s.downSince = lastChange;
      s.down = down;
    }
    const downtime = s.downTotal + (down ? Math.max(0, nowSec(now) - s.downSince) : 0);
    // a server in maintenance for its resolution has no address (HAProxy's AF_UNSPEC)
    const host = s.rmaint ? '' : srv ? srv.host : m.address.host || '127.0.0.1';
    const port = srv ? srv.port : m.address.port;
    const isUnix = srv ? srv.path !== undefined : m.address.family === 'unix' || m.address.family === 'abns';
    const maxqueue = numberOption(m.options['maxqueue']);
    const poolMax = numberOption(m.options['pool-max-conn']);
    const idle = srv?.idle.length ?? 0;
    // the live value: a dynamic cookie (`cookie ... dynamic`) shows too, as in HAProxy
    const cookie = srv ? srv.cookie : m.options['cookie'];
    return {
      name: m.name,
      id: s.id,
      counters: c,
      ...(m.backup ? { backup: true } : {}),
      opState,
      admin,
      weight: s.fresh === true ? 1 : uweight,
      uweight,
      iweight,
      scur: srv?.served ?? 0,
      qcur: 0,
      // the live limit (`set maxconn server` changes it), the configured one when not served
      maxconn: srv?.maxconn ?? m.maxconn,
      ...(maxqueue !== undefined ? { maxqueue } : {}),
      lastChange,
      downtime,
      ...(check ? { check } : {}),
      ...(agent ? { agent } : {}),
      ...(uncheckedHealth ? { uncheckedHealth } : {}),
      ...(m.options['observe'] !== undefined ? { observe: true } : {}),
      addr: isUnix ? 'unix' : addrOf(host, port),
      // a server named by a host name in the configuration (HAProxy's srv->hostname)
      ...(m.address.family === 'hostname' ? { fqdn: m.address.host } : {}),
      ...(typeof cookie === 'string' ? { cookie } : {}),
      idle: {
        cur: idle,
        ...(poolMax !== undefined ? { limit: poolMax } : {}),
        unsafe: 0,
        safe: idle,
        used: Math.max(0, (srv?.currentConns ?? 0) - idle),
        // HAProxy counts a health check's connection as a used one
        needEst:
          check !== undefined && st !== undefined && st.check.lastRun > 0
            ? Math.max(1, s.peakUsed)
            : s.peakUsed,
      },
      ...(s.forcedId ? { forcedId: true } : {}),
    };
  }

  private backendState(r: ProxyRecord, servers: readonly ServerState[], now: number): BackendState {
    const c = this.countersOfBackend(r);
    const be = r.backend;
    // stot: the streams assigned to the backend, counted by the streams themselves
    const qcur = be?.queue.length ?? 0;
    const scur = (be?.currentConns() ?? 0) + qcur;
    if (scur > c.smax) c.smax = scur;
    if (qcur > c.qmax) c.qmax = qcur;
    let act = 0;
    let bck = 0;
    let actWeight = 0;
    let bckWeight = 0;
    let firstBackup = 0;
    for (const s of servers) {
      if (!serverUsable(s)) continue;
      if (s.backup) {
        bck++;
        bckWeight += s.weight;
        if (firstBackup === 0) firstBackup = s.weight;
      } else {
        act++;
        actWeight += s.weight;
      }
    }
    const weight = act > 0 ? actWeight : r.allBackups ? bckWeight : firstBackup;
    const up = weight > 0 || servers.length === 0;
    const t = nowSec(now);
    if (up !== r.beUp) {
      if (!r.beUp) r.beDownTotal += Math.max(0, t - r.beLastChange);
      else r.beChkdown++;
      r.beUp = up;
      r.beLastChange = t;
    }
    return {
      counters: c,
      scur,
      qcur,
      fullconn: r.fullconn,
      algo: r.algo,
      ...(r.cookie !== undefined ? { cookie: r.cookie } : {}),
      weight,
      act,
      bck,
      lastChange: r.beLastChange,
      downtime: r.beDownTotal + (up ? 0 : Math.max(0, t - r.beLastChange)),
      chkdown: r.beChkdown,
      ...(r.allBackups ? { allBackups: true } : {}),
    };
  }

  /**
   * `show servers state` prints, for a server without check, the health HAProxy keeps for
   * it (0 once it went DOWN or into maintenance, rise+fall-1 after `set server … health
   * up`), and a check paused for good when it was `disabled` in the configuration: the
   * renderer's defaults are replaced with these values.
   */
  serversStateFixup(text: string): string {
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if (line === '' || line.startsWith('#') || !line.includes(' ')) continue;
      const f = line.split(' ');
      const r = this.records.find((x) => x.isBackend && String(x.id) === f[0] && x.model.name === f[1]);
      const s = r?.servers.find((x) => String(x.id) === f[2]);
      if (!r || !s) continue;
      // the check's and the agent's own addresses and ports (`addr` and `port` give the agent
      // theirs too, as in HAProxy, even without an agent)
      // a UNIX socket has no address to print
      if (
        s.server?.path !== undefined ||
        s.model.address.family === 'unix' ||
        s.model.address.family === 'abns' ||
        s.server?.unresolved === true
      )
        f[4] = '-';
      const c = checkColumns(this, r, s);
      f[21] = String(c.checkPort);
      f[22] = c.checkAddr;
      f[23] = c.agentAddr;
      f[24] = String(c.agentPort);
      // an added server's first maintenance does not pause its checks (`disabled` does)
      if (s.fresh === true && !s.local.configDisabled) {
        this.serverState(r, s);
        if (s.fresh === true) for (const k of [13, 14]) f[k] = String(Number(f[k]) & ~8);
      }
      if (this.checkerState(r, s) === undefined && !s.checked) {
        // a server without an address (`init-addr none`) went into maintenance at start: health 0
        f[12] = String(s.server?.unresolved === true ? 0 : s.local.health);
        f[13] = s.local.configDisabled ? '8' : '0';
      }
      lines[i] = f.join(' ');
    }
    return lines.join('\n');
  }
}
