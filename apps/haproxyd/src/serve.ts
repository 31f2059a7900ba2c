/**
 * The phases after init, HAProxy's main() from signal registration to
 * deinit (DESIGN.md steps 2–16). Each phase is one function over the shared
 * `Daemon` context; main.ts calls them in order.
 *
 * Node cannot fork, so daemon mode starts a new process (the worker) that
 * inherits the bound sockets; the worker is the one that chroots and drops
 * privileges, like HAProxy's forked child.
 */

import { lookup } from 'node:dns/promises';
import { closeSync as closeFd } from 'node:fs';
import { isIP, type Socket } from 'node:net';
import type { TLSSocket, Server as TlsServer } from 'node:tls';
import type { HealthChecker } from '@hap/checks';
import {
  type ConfigModel,
  chooseInitAddr,
  type Diagnostic,
  hostNamedServers,
  initAddrMethods,
} from '@hap/config';
import {
  acceptPending,
  chrootTo,
  closePidFile,
  closeReceived,
  DaemonError,
  dropPrivileges as dropIds,
  fetchListeningFds,
  type Identity,
  type IdentityOptions,
  isWorker,
  listenWhenFree,
  openPidFile,
  type PidFile,
  type ReceivedSocket,
  raiseFdLimit as raiseLimit,
  reportToParent,
  resolveIdentity,
  spawnDetachedWorker,
  syscallsAvailable,
  tellOldPids as tellPids,
  workerFdsFromEnv,
  workerPendingFdsFromEnv,
  writePids,
} from '@hap/daemon';
import {
  adoptFds,
  adoptHeldConnections,
  bindWithRetries,
  ConnectionLimit,
  createListeners,
  enableAll,
  formatBindAlert,
  heldConnectionFds,
  type Listener,
  ListenerError,
  listeningFds,
  pauseAll,
  resumeAll,
  unbindAll,
} from '@hap/listeners';
import type { MasterLink } from '@hap/master';
import { RunLoop } from '@hap/poller';
import {
  type Backend,
  carryAddresses,
  type Frontend,
  HttpFrontend,
  markListener,
  PROXY_ERROR_CONN_CODE,
  PROXY_ERROR_LOG_TEXT,
  type ProxyHeaderFailure,
  readProxyHeader,
  StreamEnv,
  setDynamicCookies,
  useStickTables,
} from '@hap/proxy';
import type { HttpRuleList } from '@hap/rules';
import { V_REJECT } from '@hap/rules/engine';
import { fetchesUsed, type ListenerView, type ProxyWorld, rateFetchesUsed } from '@hap/sample';
import { registerStandardSignals, SignalQueue } from '@hap/signals';
import { rateCounting } from '@hap/stats/engine';
import type { StickTable } from '@hap/stick';
import type { CliOptions } from './cli.ts';
import { poolsDump, serverStateDump } from './dumps.ts';
import { type Features, isH2Bind, loadFeatures } from './features.ts';
import { frontendRate, listenerRates, type ProcessRates, processRates } from './rate-limits.ts';
import { planRuntime, type RuntimePlan, type ServedFrontend } from './runtime.ts';
import type { PlannedChecks } from './runtime-checks.ts';
import type { H2Gateway } from './runtime-h2.ts';

/** Everything the phases share. */
export interface Daemon {
  readonly options: CliOptions;
  readonly model: ConfigModel;
  /** The optional runtime modules this configuration uses (features.ts). */
  readonly features: Features;
  frontends: ServedFrontend[];
  /** What sample fetches read of the proxies. */
  world: ProxyWorld;
  backends: ReadonlyMap<string, Backend>;
  /** Stick tables by the name of the section that declares them. */
  tables: ReadonlyMap<string, StickTable>;
  checks: PlannedChecks | undefined;
  /** Where server state changes are logged besides stderr (the global `log` targets). */
  adminLog: ((level: 'emerg' | 'alert' | 'notice', text: string) => void) | undefined;
  /** A proxy's own log targets (HAProxy's send_log(proxy)), for the SIGHUP dump. */
  proxyLog: RuntimePlan['proxyLog'];
  /** The running health checks (started with the listeners, stopped with them). */
  checker: HealthChecker | undefined;
  /** The `server-state-file` lines read at start (before chroot), applied before accepting. */
  stateFiles: import('./runtime-state.ts').StateFiles | undefined;
  listeners: Listener[];
  signals: SignalQueue | undefined;
  loop: RunLoop;
  pidfile: PidFile | undefined;
  /** -q / `quiet` once start-up is past the binding phase */
  quiet: boolean;
  exitCode: number;
  /** `user`/`group` as ids, looked up before the chroot hides /etc/passwd and /etc/group */
  identity: Identity | undefined;
  /** SIGINT/SIGTERM that hard-stopped the process: it dies by it once cleaned up */
  stopSignal: NodeJS.Signals | undefined;
  /** The process's accept rates and their limits (rate-limits.ts). */
  readonly rates: ProcessRates;
  /** Servers re-resolved by DNS at run time (`resolvers`), when any. */
  resolvers: import('./runtime-resolvers.ts').ResolversRuntime | undefined;
}

const PROG = 'haproxyd';

function stamp(level: 'ALERT' | 'WARNING' | 'NOTICE'): string {
  return `[${level}]${' '.repeat(Math.max(1, 11 - level.length - 2))}(${process.pid}) : `;
}

export function alert(d: Daemon | undefined, text: string): void {
  if (d?.quiet) return;
  const line = `${stamp('ALERT')}${text}`;
  process.stderr.write(`${line}\n`);
  // a daemon's worker has no terminal: its start-up alerts go to the waiting parent
  reportToParent(line);
}

export function warning(d: Daemon | undefined, text: string): void {
  if (d?.quiet) return;
  process.stderr.write(`${stamp('WARNING')}${text}\n`);
}

export function notice(d: Daemon | undefined, text: string): void {
  if (d?.quiet || d?.options.quiet) return;
  process.stderr.write(`${stamp('NOTICE')}${text}\n`);
}

function alertDiagnostic(d: Diagnostic): string {
  const where =
    d.file !== undefined ? `parsing [${d.file}${d.line !== undefined ? `:${d.line}` : ''}] : ` : '';
  return `config : ${where}${d.message}`;
}

/** Module-level stream hooks: the run loop counts every stream as a job. */
let currentLoop: RunLoop | undefined;
const streamHooks = {
  streamOpened(_f: Frontend, _s: unknown): void {
    currentLoop?.addJob('connection');
  },
  streamClosed(_f: Frontend, _s: unknown): void {
    currentLoop?.releaseJob('connection');
  },
};

/**
 * The global `setenv`, `presetenv`, `unsetenv` and `resetenv` lines change the process's
 * environment, as in HAProxy (the `env()` fetch and the servers' view of it read it at run time).
 */
function applyEnvironment(model: ConfigModel): void {
  for (const d of model.global.directives) {
    const [kw, name, value] = d.args;
    if (kw === 'setenv' && name !== undefined && value !== undefined) process.env[name] = value;
    else if (kw === 'presetenv' && name !== undefined && value !== undefined) process.env[name] ??= value;
    else if (kw === 'unsetenv') for (const n of d.args.slice(1)) delete process.env[n];
    else if (kw === 'resetenv') {
      const keep = new Set(d.args.slice(1));
      for (const n of Object.keys(process.env)) if (!keep.has(n)) delete process.env[n];
    }
  }
}

/** Builds the runtime objects; refuses what cannot be served. Returns undefined after printing alerts. */
export async function prepare(options: CliOptions, model: ConfigModel): Promise<Daemon | undefined> {
  applyEnvironment(model);
  const features = await loadFeatures(model);
  // the `acl` lines' pattern references (runtime-maps-ops.ts): named after their lines, and
  // made for the lines no rule uses too
  const maps = model.proxies.some((p) => p.acls.length > 0)
    ? await import('./runtime-maps-ops.ts')
    : undefined;
  maps?.declarePatternSources(model);
  const plan = planRuntime(model, streamHooks, features);
  maps?.finalizePatternRefs(model);
  useStickTables(plan.tables);
  for (const d of plan.diagnostics) {
    if (d.level === 'warning') warning(undefined, alertDiagnostic(d));
  }
  const alerts = plan.diagnostics.filter((d) => d.level === 'alert');
  if (alerts.length > 0) {
    for (const d of alerts) alert(undefined, alertDiagnostic(d));
    alert(undefined, 'config : Fatal errors found in configuration.');
    return undefined;
  }
  const hardStopAfter = model.global.hardStopAfter;
  const loop = new RunLoop(hardStopAfter !== undefined ? { hardStopAfter } : {});
  currentLoop = loop;
  const d: Daemon = {
    options,
    model,
    features,
    frontends: plan.frontends,
    world: plan.world,
    backends: plan.backends,
    tables: plan.tables,
    checks: plan.checks,
    adminLog: plan.adminLog,
    proxyLog: plan.proxyLog,
    checker: undefined,
    stateFiles: undefined,
    listeners: [],
    signals: undefined,
    loop,
    pidfile: undefined,
    quiet: false,
    exitCode: 0,
    identity: undefined,
    stopSignal: undefined,
    resolvers: undefined,
    rates: processRates(
      model,
      model.global.statsSockets.length > 0 || options.masterWorker || model.global.masterWorker,
    ),
  };
  // per-second rates are counted when read: by the runtime API, or by a rule's fetch
  rateCounting.on = d.rates.counted || rateFetchesUsed();
  // the stats pages and the Prometheus exporter read this daemon from now on
  features.statsPage?.attachServices(d);
  return d;
}

// --- server addresses ------------------------------------------------------------

/**
 * Server host names are resolved once at start with the system resolver, each server trying
 * its `init-addr` methods in order (HAProxy's default `last,libc`): `none` (or -dr) starts it
 * in maintenance without an address, an `<ip>` uses that address, and a server none of whose
 * methods works stops the start. The check phase (loadConfig) already said what it would do
 * from the names this machine knows; this is the real thing, quiet unless it fails.
 */
export async function resolveServers(d: Daemon): Promise<boolean> {
  // servers with `resolvers` first: their `init-addr` and DNS (runtime-resolvers.ts) leave them
  // with an address or in maintenance, so the loop below skips them
  if (d.features.resolvers !== undefined)
    d.resolvers = await d.features.resolvers.initResolvers(d, (level, text) =>
      level === 'alert' ? alert(d, text) : warning(d, text),
    );
  let ok = true;
  for (const { proxy, server: m } of hostNamedServers(d.model)) {
    const backend = d.backends.get(proxy.name);
    const s = backend?.servers.find((x) => x.name === m.name);
    if (backend === undefined || s === undefined || s.path !== undefined || isIP(s.host) !== 0) continue;
    const methods = initAddrMethods(m);
    let answer: string | undefined;
    if (methods.includes('libc')) {
      try {
        answer = (await lookup(s.host)).address;
      } catch {
        answer = undefined;
      }
    }
    const r = chooseInitAddr(s.host, methods, () => answer, d.options.ignoreResolveFailures);
    if (r.failed) {
      alert(d, `config : [${m.file}:${m.line}] : 'server ${proxy.name}/${m.name}' : ${r.message}`);
      ok = false;
      continue;
    }
    if (r.address === undefined) {
      // no address: in maintenance (MAINT (resolution)) until the runtime API sets one
      backend.disable(s);
      continue;
    }
    s.host = r.address;
    // `cookie ... dynamic`: the value hashes the address, known only now
    const ck = backend.cookie;
    if (ck?.dynamic === true) setDynamicCookies(ck.dynamicKey, backend.servers, () => false);
  }
  if (!ok) alert(d, 'config : Failed to initialize server(s) addr.');
  return ok;
}

// --- 2. signal_register ----------------------------------------------------------

export function registerSignals(d: Daemon): void {
  const queue = new SignalQueue();
  d.signals = queue;
  queue.onPending(() => d.loop.wakeup());
  d.loop.onBeforeTurn(() => queue.process());
  registerStandardSignals(queue, {
    'soft-stop': () => softStop(d),
    'hard-stop': (sig) => hardStop(d, sig),
    pause: () => {
      const r = pauseAll(d.listeners);
      for (const f of r.failed)
        warning(d, `Some proxies refused to pause, performing soft stop now: ${f.error.message}`);
      if (r.failed.length > 0) softStop(d);
    },
    resume: () => {
      void resumeAll(d.listeners).then((r) => {
        for (const f of r.failed) alert(d, formatBindAlert(f));
      });
    },
    'dump-servers': () => dumpServers(d),
    'dump-state': () => dumpState(d),
  });
}

/** `stats socket` lines: bound before chroot/setuid, like HAProxy's listeners. */
export async function startStatsSockets(d: Daemon): Promise<boolean> {
  try {
    await d.features.cli?.startRuntimeApi(d);
    return true;
  } catch (err) {
    alert(d, (err as Error).message);
    alert(d, `[${PROG}.main()] Some protocols failed to start their listeners! Exiting.`);
    return false;
  }
}

/** Phase 14b: health checks start once the process is in charge (after a daemon's fork). */
export function startHealthChecks(d: Daemon): void {
  if (d.checker === undefined) createHealthChecks(d);
  d.checker?.start();
  d.resolvers?.start(); // DNS resolutions are tasks started with the checks
}

/**
 * The checker, built but not started: a state carried over from the previous process is
 * restored into it first (restoreServerStates), so its first check continues from there.
 */
export function createHealthChecks(d: Daemon): void {
  const checks = d.features.checks;
  if (d.checks === undefined || d.checker !== undefined || checks === undefined) return;
  // as HAProxy on stderr: "no server available" is an alert, state changes are warnings
  d.checker = checks.createChecks(
    d.checks,
    d.backends,
    (line) => {
      d.adminLog?.(line.level, line.text);
      if (line.level !== 'emerg') {
        warning(d, line.text);
        return;
      }
      // the console form quotes the section's name, the log form does not
      alert(d, line.text.replace(/^(backend|proxy) (\S+) has no/, "$1 '$2' has no"));
    },
    d.frontends.map((f) => f.frontend),
  );
}

function stopHealthChecks(d: Daemon): void {
  d.resolvers?.stop();
  const c = d.checker;
  d.checker = undefined;
  if (c !== undefined) void c.stop();
}

function softStop(d: Daemon): void {
  if (d.loop.stopping) return;
  notice(d, 'haproxyd: soft stop: listeners closed, waiting for the last connection to end.');
  stopHealthChecks(d);
  void d.features.cli?.stopRuntimeApi(d);
  closeListeners(d);
  // idle keep-alive connections close now, busy ones after their response
  for (const f of d.frontends) f.frontend.softStop();
  d.features.h2?.softStopH2();
  d.loop.softStop();
}

function hardStop(d: Daemon, sig: NodeJS.Signals): void {
  d.stopSignal ??= sig;
  stopHealthChecks(d);
  void d.features.cli?.stopRuntimeApi(d);
  closeListeners(d);
  for (const f of d.frontends) f.frontend.destroyAll();
  d.features.h2?.destroyH2();
  d.loop.hardStop();
}

function closeListeners(d: Daemon): void {
  for (const l of d.listeners) {
    if (l.state !== 'stopped') d.loop.releaseJob('listener');
  }
  unbindAll(d.listeners);
}

/** SIGHUP: the servers' states on stderr and to each proxy's log, as HAProxy prints them. */
function dumpServers(d: Daemon): void {
  warning(d, 'SIGHUP received, dumping servers states.');
  // the stats view lives with the runtime API, loaded only now when no stats socket is configured
  void import('./runtime-cli.ts').then(({ statsOf }) => {
    for (const line of serverStateDump(statsOf(d))) {
      if (line.warn) warning(d, line.text);
      d.proxyLog(line.proxy)?.('notice', line.text);
    }
  });
}

/** SIGQUIT: HAProxy's pools dump on stderr (V8's heap spaces stand for the pools). */
function dumpState(d: Daemon): void {
  if (d.quiet) return;
  process.stderr.write(poolsDump());
}

// --- 3–5. start_proxies: bind every listener, with the old-pid retry dance ---------------

type ServingListener = Listener & {
  frontend: Frontend;
  acceptProxy: boolean;
  /** With accept-proxy on a logging frontend: logs a connection whose PROXY header failed. */
  proxyFailure: ProxyHeaderFailure | undefined;
  proxyTimeout: number;
  connectionRules: HttpRuleList | undefined;
  sessionRules: HttpRuleList | undefined;
  world: ProxyWorld;
  /** What `so_id`, `so_name` and `dst_conn` read; undefined when no rule reads them. */
  view: ListenerView | undefined;
  /** `bind … ssl`: where the accepted sockets go for their handshake (runtime-ssl.ts). */
  tls: { accept(socket: Socket): void } | undefined;
  /** HTTP/2 on this line (runtime-h2.ts): ALPN `h2`, or every connection with `proto h2`. */
  h2: H2Gateway | undefined;
  h2Only: boolean;
};

/** What a socket waiting for its TLS handshake carries to the end of it. */
const HANDSHAKE = Symbol('hap.tls-handshake');
interface HandshakingSocket extends Socket {
  [HANDSHAKE]?: { l: ServingListener; env: StreamEnv | undefined } | undefined;
}
/** The plain socket under a server-side TLSSocket (Node keeps it as `_parent`). */
function rawOf(t: TLSSocket): HandshakingSocket | undefined {
  return (t as TLSSocket & { _parent?: HandshakingSocket })._parent;
}

/** The handshake is done: the session starts on the TLS socket. */
function onSecureConnection(this: TlsServer, t: TLSSocket): void {
  const raw = rawOf(t);
  const h = raw?.[HANDSHAKE];
  if (raw === undefined || h === undefined) {
    t.destroy();
    return;
  }
  raw[HANDSHAKE] = undefined;
  // verify optional: no certificate is fine, a certificate that does not verify is not (the
  // bind's or its crt-list line's setting: each has its TLS server)
  const verifyOptional = (this as TlsServer & { hapVerifyOptional?: boolean }).hapVerifyOptional === true;
  if (verifyOptional && !t.authorized && t.getPeerX509Certificate() !== undefined) {
    h.env?.releaseAll();
    t.destroy();
    return;
  }
  carryAddresses(raw, t);
  const h2 = h.l.h2;
  if (h2 !== undefined && (h.l.h2Only || t.alpnProtocol === 'h2')) {
    h.env?.sessionStarted();
    h2.serve(t, h.env);
    return;
  }
  runSession(h.l, t, h.env);
}

/** A handshake failed (bad hello, no shared version, no certificate for the name, timeout). */
function onTlsClientError(this: TlsServer, _err: Error, t: TLSSocket): void {
  const raw = rawOf(t);
  const h = raw?.[HANDSHAKE];
  if (raw !== undefined) raw[HANDSHAKE] = undefined;
  h?.env?.releaseAll();
  t.destroy();
}

/** A socket closed during its handshake without an error event (a rejected certificate). */
function onHandshakeClose(this: HandshakingSocket): void {
  const h = this[HANDSHAKE];
  if (h === undefined) return;
  this[HANDSHAKE] = undefined;
  h.env?.releaseAll();
}

/** Returns false when tcp-request rules refused the connection at once (not a session for the rates). */
function onAccept(this: void, socket: import('node:net').Socket, listener: Listener): boolean {
  const l = listener as ServingListener;
  if (l.view !== undefined) markListener(socket, l.view);
  // tcp-request connection: on the peer's own address, before anything is read
  let env: StreamEnv | undefined;
  if (l.connectionRules !== undefined) {
    env = admitted(l.connectionRules, l, socket, undefined);
    if (env === undefined) return false;
  }
  // accept-proxy: the PROXY header first (HAProxy waits for it up to timeout client); the
  // addresses it gives make a new environment
  if (l.acceptProxy) {
    readProxyHeader(socket, l.proxyTimeout, (s) => void startSession(l, s, undefined), l.proxyFailure);
    return true;
  }
  // HAProxy runs the session rules of a TLS connection after its handshake: it is a session already
  return startSession(l, socket, env) || l.tls !== undefined;
}

/** False when tcp-request session rules refused it. */
function startSession(
  l: ServingListener,
  socket: import('node:net').Socket,
  env: StreamEnv | undefined,
): boolean {
  if (l.sessionRules !== undefined) {
    env = admitted(l.sessionRules, l, socket, env);
    if (env === undefined) return false;
  }
  if (l.tls !== undefined) {
    // TLS first: the session starts once the handshake is done (onSecureConnection)
    const hs = socket as HandshakingSocket;
    hs[HANDSHAKE] = { l, env };
    if (env !== undefined) hs.once('close', onHandshakeClose);
    l.tls.accept(socket);
    return true;
  }
  if (l.h2Only) {
    env?.sessionStarted();
    l.h2!.serve(socket, env);
    return true;
  }
  runSession(l, socket, env);
  return true;
}

function runSession(l: ServingListener, socket: Socket, env: StreamEnv | undefined): void {
  // the session is accepted: its tracked counters count it
  env?.sessionStarted();
  l.frontend.handleConnection(socket, env);
}

/** Runs tcp-request connection/session rules; a rejected connection is closed at once (undefined). */
function admitted(
  rules: HttpRuleList,
  l: ServingListener,
  socket: import('node:net').Socket,
  known: StreamEnv | undefined,
): StreamEnv | undefined {
  const env = known ?? new StreamEnv(l.frontend.name, socket, l.world);
  if (rules.run(env, env.reqMsg, env.outcome) !== V_REJECT) return env;
  env.releaseAll();
  socket.destroy();
  return undefined;
}

export async function startProxies(d: Daemon): Promise<boolean> {
  const noReusePort =
    d.options.noReusePort || d.model.global.directives.some((x) => x.keyword === 'noreuseport');
  // global maxconn (or -n): every listener stops taking connections while the process holds that many
  const maxconn =
    d.options.maxconn !== undefined && d.options.maxconn > 0 ? d.options.maxconn : d.model.global.maxconn;
  const limit = maxconn !== undefined && maxconn > 0 ? new ConnectionLimit(maxconn) : undefined;
  // sockets carry their listener only when a rule reads it
  const used = fetchesUsed();
  const readsListener = used.has('so_id') || used.has('so_name') || used.has('dst_conn');
  for (const f of d.frontends) {
    let ranks = 0;
    // `rate-limit sessions`: one limit for every listener of the frontend
    const feRate = frontendRate(f.proxy);
    for (const b of f.binds) {
      const bindTls = f.tls.get(b);
      let created: Listener[];
      try {
        created = createListeners(b, {
          onAccept,
          proxy: `${f.proxy.kind === 'listen' ? 'proxy' : f.proxy.kind} ${f.proxy.name}`,
          noReusePort,
          drainPending: acceptPending,
          ...(limit !== undefined ? { limit } : {}),
          rates: listenerRates(d.rates, feRate, bindTls !== undefined),
          ...(f.proxy.maxconn !== undefined ? { defaultMaxconn: f.proxy.maxconn } : {}),
        });
      } catch (err) {
        alert(d, err instanceof ListenerError ? err.message : String(err));
        return false;
      }
      // the TLS module is loaded whenever a bind line is a TLS one (features.ts)
      const tlsDoor =
        bindTls !== undefined
          ? new d.features.tls!.TlsDoor(bindTls, f.proxy.timeouts['client'] ?? 0, {
              secure: onSecureConnection,
              error: onTlsClientError,
            })
          : undefined;
      // HTTP/2 (runtime-h2.ts is loaded whenever a bind line offers it)
      let h2: H2Gateway | undefined;
      const h2f = d.features.h2;
      // (a crt-list line may offer h2 where the bind line does not)
      const crtListH2 = bindTls?.entries.some((e) => e.own?.alpn?.includes('h2') === true) === true;
      if (h2f !== undefined && f.frontend instanceof HttpFrontend && (isH2Bind(b) || crtListH2)) {
        h2 = new h2f.H2Gateway(f.frontend, h2f.h2Tuning(d.model), f.proxy.timeouts['client'] ?? 0);
      }
      for (const l of created) {
        const sl = l as ServingListener;
        sl.tls = tlsDoor;
        sl.h2 = h2;
        sl.h2Only = h2 !== undefined && h2f!.isH2Only(b);
        sl.frontend = f.frontend;
        sl.acceptProxy = b.options['accept-proxy'] !== undefined;
        // the bind's name in log lines, else its id (HAProxy's luid: its rank in the frontend)
        const rank = ++ranks;
        sl.proxyFailure = undefined;
        const failed = f.log?.connectionError;
        if (sl.acceptProxy && failed !== undefined) {
          const name = l.name !== '' ? l.name : String(l.id > 0 ? l.id : rank);
          sl.proxyFailure = (socket, _reason, code, acceptedAt) =>
            failed(socket, acceptedAt, name, PROXY_ERROR_CONN_CODE[code], PROXY_ERROR_LOG_TEXT[code]);
        }
        sl.proxyTimeout = f.proxy.timeouts['client'] ?? 0;
        sl.connectionRules = f.connectionRules;
        sl.sessionRules = f.sessionRules;
        sl.world = d.world;
        sl.view = readsListener ? listenerView(l, l.id > 0 ? l.id : rank) : undefined;
      }
      d.listeners.push(...created);
    }
  }
  if (isWorker()) {
    // a daemon's worker: the parent bound the sockets and passed them down
    adoptFds(d.listeners, workerFdsFromEnv());
  } else if (!takeOldSockets(d)) return false;
  const oldPids = d.options.oldPids;
  const r = await bindWithRetries(d.listeners, {
    oldPids,
    sendSignal: (pid, sig) => tellPids([pid], sig).length > 0,
    // while the old process has released a port and we have not bound it yet, clients are
    // refused: the first 250 ms the ports are taken the moment they are free, then HAProxy's
    // budget (200 tries, 10 ms apart) is spent in 1 ms steps
    spinMs: 250,
    listenWhenFree: (l, deadline) =>
      listenWhenFree(
        {
          family: l.family === 'ipv6' ? 'ipv6' : 'ipv4',
          host: l.host,
          port: l.port,
          backlog: l.backlog,
          reusePort: l.reusePort,
          ipv6Only: l.ipv6Only,
        },
        deadline,
      ),
    delayMs: 1,
    maxRetries: 2000,
  });
  if (r.failed.length > 0) {
    for (const f of r.failed) alert(d, formatBindAlert(f));
    alert(d, `[${PROG}.main()] Some protocols failed to start their listeners! Exiting.`);
    unbindAll(d.listeners);
    return false;
  }
  // a daemon's worker also serves what its parent had accepted before handing over
  if (isWorker()) for (const fd of adoptHeldConnections(d.listeners, workerPendingFdsFromEnv())) closeFd(fd);
  return true;
}

/**
 * `-x <socket>`: the listening sockets of the process behind that stats socket (`expose-fd
 * listeners`), received as file descriptors (HAProxy's `_getsocks`). Each listener whose
 * address is among them adopts it instead of binding: no socket is closed across the reload,
 * so the old process's soft stop loses nothing of the accept queue. `-x /dev/null`: none.
 * Failing to get them stops the start, as with HAProxy.
 */
function takeOldSockets(d: Daemon): boolean {
  const path = d.options.socketForFds;
  if (path === undefined || path === '/dev/null') return true;
  let got: ReceivedSocket[];
  try {
    got = fetchListeningFds(path);
  } catch (err) {
    warning(d, (err as Error).message);
    alert(d, 'Failed to get the sockets from the old process!');
    return false;
  }
  // TCP listeners only: a unix socket file is removed when the old process closes its copy
  const byKey = new Map<string, number>();
  for (const s of got) {
    if ((s.family === 'ipv4' || s.family === 'ipv6') && !byKey.has(s.key)) byKey.set(s.key, s.fd);
    else closeReceived(s.fd);
  }
  const { unused } = adoptFds(d.listeners, byKey);
  for (const fd of unused.values()) closeReceived(fd);
  return true;
}

/** Step 4: HAProxy refuses to run without any listener. */
export function checkListeners(d: Daemon): boolean {
  if (d.listeners.length > 0) return true;
  alert(d, `[${PROG}.main()] No enabled listener found (check for 'bind' directives) ! Exiting.`);
  return false;
}

// --- 7. quiet mode ------------------------------------------------------------------------

export function enterQuietMode(d: Daemon): void {
  d.quiet = d.options.quiet || (d.model.global.quiet && !d.options.verbose);
}

// --- 8. pidfile (before chroot) ---------------------------------------------------------

function pidfilePath(d: Daemon): string | undefined {
  return d.options.pidFile ?? d.model.global.pidfile;
}

/** HAProxy 2.6 writes a pidfile in daemon (and master-worker) mode only: in the foreground `-p` and `pidfile` are ignored. */
export function openPidfile(d: Daemon): boolean {
  const path = pidfilePath(d);
  if (path === undefined || !wantsDaemon(d)) return true;
  try {
    d.pidfile = openPidFile(path, { program: PROG });
    return true;
  } catch (err) {
    alert(d, (err as Error).message);
    return false;
  }
}

// --- 13. daemon mode: the parent starts the worker and leaves ------------------------------

export function wantsDaemon(d: Daemon): boolean {
  const o = d.options;
  if (o.debug || o.foreground || isWorker()) return false;
  return o.daemon || d.model.global.daemon;
}

/** Parent side of daemon mode: hand the sockets to a detached worker, write its pid, tell old pids. */
export async function daemonize(d: Daemon): Promise<number> {
  try {
    // Node accepts as soon as a socket listens: the connections this process took since it
    // bound are passed down too. The child has every descriptor once spawn() returns, so
    // this process closes its copies before it turns the event loop again (without taking
    // their queue): later connections wait in the kernel for the worker.
    const spawning = spawnDetachedWorker({
      args: [...process.execArgv, process.argv[1]!, ...process.argv.slice(2)],
      listenFds: listeningFds(d.listeners),
      pendingFds: heldConnectionFds(d.listeners),
      startupPipe: true,
      program: PROG,
    });
    unbindAll(d.listeners, true);
    const worker = await spawning;
    // like HAProxy's forked child, the worker must be serving before old processes are told
    // to leave and before this command returns; its start-up alerts are printed here
    const startup = await worker.startup!;
    for (const line of startup.lines) process.stderr.write(`${line}\n`);
    if (!startup.ready) {
      alert(d, `[${PROG}.main()] the worker (pid ${worker.pid}) failed to start.`);
      resumeOldPids(d);
      return 1;
    }
    if (d.pidfile) {
      writePids(d.pidfile, [worker.pid]);
      closePidFile(d.pidfile);
    }
  } catch (err) {
    alert(d, (err as Error).message);
    unbindAll(d.listeners);
    resumeOldPids(d);
    return 1;
  }
  tellOldPids(d);
  return 0;
}

/** Old processes paused with SIGTTOU while binding take their ports back (SIGTTIN). */
function resumeOldPids(d: Daemon): void {
  if (d.options.oldPids.length > 0) tellPids(d.options.oldPids, 'SIGTTIN');
}

// --- server state from the previous process --------------------------------------------------

/** `load-server-state-from-file`: the files are read now, before chroot (HAProxy reads them at init). */
export async function readServerStateFiles(d: Daemon): Promise<void> {
  // nothing loaded, nothing paid, unless the configuration asks for it
  const wanted = d.model.proxies.some((p) =>
    p.directives.some((x) => x.keyword === 'load-server-state-from-file'),
  );
  if (!wanted) return;
  const st = await import('./runtime-state.ts');
  if (!st.wantsStateFiles(d)) return;
  d.stateFiles = st.readStateFiles(d, (text) => warning(d, `config : ${text}`));
}

/**
 * Before the listeners accept: the state files, then (master-worker) what the previous worker
 * handed over — its servers' states and counters, newer than any file. A server in
 * maintenance before the reload is in maintenance before this process takes a connection.
 */
export async function restoreServerStates(d: Daemon, link: MasterLink | undefined): Promise<void> {
  const files = d.stateFiles;
  d.stateFiles = undefined;
  const handed = link === undefined ? null : await link.inheritedState(15_000);
  if (files === undefined && handed === null) return;
  const st = await import('./runtime-state.ts');
  createHealthChecks(d);
  // as HAProxy, which applies the files while it still reads its configuration
  const config = (text: string) => warning(d, `config : ${text}`);
  if (files !== undefined) st.applyStateFiles(d, files, { warn: config, say: config });
  const warn = (text: string) => warning(d, text);
  if (handed !== null && !st.applyHandOver(d, handed, warn))
    warning(d, 'the state handed over by the previous worker could not be read; starting without it.');
}

// --- 9. chroot ------------------------------------------------------------------------------

export function chroot(d: Daemon): boolean {
  const dir = d.model.global.chroot;
  if (dir === undefined) return true;
  try {
    // the FFI library must be loaded while its file is still reachable
    syscallsAvailable();
    // so must /etc/passwd and /etc/group, to turn 'user'/'group' names into ids
    const ids = identityOptions(d);
    if (ids) d.identity = resolveIdentity(ids);
    chrootTo(dir, { program: PROG });
    return true;
  } catch (err) {
    alert(d, (err as Error).message);
    return false;
  }
}

// --- 10. tell_old_pids ---------------------------------------------------------------------

export function tellOldPids(d: Daemon): void {
  const sig = d.options.oldPidsSignal;
  if (sig && d.options.oldPids.length > 0 && !isWorker()) tellPids(d.options.oldPids, sig);
}

// --- 11. setgid / setuid -------------------------------------------------------------------

/** `user`/`uid`, `group`/`gid` of the global section, or undefined when none is set. */
function identityOptions(d: Daemon): IdentityOptions | undefined {
  const g = d.model.global;
  if (g.user === undefined && g.uid === undefined && g.group === undefined && g.gid === undefined)
    return undefined;
  const ids: IdentityOptions = { program: PROG };
  if (g.user !== undefined) ids.user = g.user;
  if (g.uid !== undefined) ids.uid = g.uid;
  if (g.group !== undefined) ids.group = g.group;
  if (g.gid !== undefined) ids.gid = g.gid;
  return ids;
}

export function dropPrivileges(d: Daemon): boolean {
  let ids = identityOptions(d);
  if (ids === undefined) return true;
  const known = d.identity;
  if (known !== undefined) {
    // resolved before the chroot
    ids = { program: PROG };
    if (known.uid !== null) ids.uid = known.uid;
    if (known.gid !== null) ids.gid = known.gid;
  }
  try {
    const r = dropIds(ids);
    for (const w of r.warnings) warning(d, w);
    return true;
  } catch (err) {
    alert(d, (err as Error).message);
    return false;
  }
}

// --- 12. ulimits ----------------------------------------------------------------------------

/** HAProxy 2.6 enables `strict-limits` by default: only `no strict-limits` starts with too few fds. */
function strictLimits(d: Daemon): boolean {
  const last = d.model.global.directives.findLast((x) => x.keyword === 'strict-limits');
  return last === undefined || last.modifier !== 'no';
}

export function raiseFdLimit(d: Daemon): boolean {
  const g = d.model.global;
  try {
    const maxconn = d.options.maxconn !== undefined && d.options.maxconn > 0 ? d.options.maxconn : g.maxconn;
    const r = raiseLimit({
      program: PROG,
      extraFds: d.listeners.length,
      ...(maxconn !== undefined ? { maxconn } : {}),
      ...(g.ulimitN !== undefined ? { ulimitN: g.ulimitN } : {}),
      strictLimits: strictLimits(d),
    });
    for (const m of r.messages) (m.level === 'alert' ? alert : warning)(d, m.text);
    return true;
  } catch (err) {
    alert(d, err instanceof DaemonError ? err.message : String(err));
    return false;
  }
}

// --- 14. protocol_enable_all ----------------------------------------------------------------

export function enableListeners(d: Daemon): void {
  for (let i = 0; i < d.listeners.length; i++) d.loop.addJob('listener');
  const r = enableAll(d.listeners);
  for (const f of r.failed) alert(d, formatBindAlert(f));
  // a daemon's worker tells its parent it is serving (no-op otherwise)
  reportToParent('READY');
}

// --- 15. run_poll_loop ------------------------------------------------------------------------

export async function runPollLoop(d: Daemon): Promise<void> {
  const exit = await d.loop.run();
  if (exit.reason === 'hard-stop-after') {
    warning(d, 'Proxies stopped at hard-stop-after: closing the remaining connections.');
    for (const f of d.frontends) f.frontend.destroyAll();
    d.features.h2?.destroyH2();
  }
  if (exit.error) {
    alert(d, `run loop stopped on an error: ${exit.error.message}`);
    d.exitCode = 1;
  }
}

// --- 16. deinit -------------------------------------------------------------------------------

/**
 * HAProxy 2.6 leaves SIGINT and SIGTERM at their default action: it dies by the signal,
 * and its parent (a shell, systemd, a supervisor) sees that. haproxyd cleans up first,
 * then does the same: with its handlers gone (deinit), the signal's default action ends
 * the process.
 */
export function dieByStopSignal(d: Daemon): void {
  if (d.stopSignal !== undefined) process.kill(process.pid, d.stopSignal);
}

export function deinit(d: Daemon): void {
  unbindAll(d.listeners);
  stopHealthChecks(d);
  // an open stats socket would keep the process alive
  void d.features.cli?.stopRuntimeApi(d);
  for (const f of d.frontends) f.frontend.destroyAll();
  d.features.h2?.destroyH2();
  d.signals?.close();
  if (d.pidfile) closePidFile(d.pidfile);
}

/** A listener as `so_id`, `so_name` and `dst_conn` see it (HAProxy's luid, name, nbconn). */
function listenerView(l: Listener, id: number): ListenerView {
  return {
    id,
    name: l.name,
    get currentConns() {
      return l.currentConns;
    },
  };
}
