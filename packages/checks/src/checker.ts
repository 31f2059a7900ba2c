// The health checker: one timer per check, HAProxy's health counter and server state
// machine, admin states from the runtime API, and HAProxy's log sentences.
import { hostname } from 'node:os';
import { parseAgentReply, parseWeight } from './agent.ts';
import { CheckerError } from './errors.ts';
import { figuresLeft, figuresOnline, type Reason, reasonText, serverName, truncateInfo } from './messages.ts';
import { agentRuleset, compileRuleset, type Ruleset } from './rules.ts';
import { CheckRun, type RunOutcome, type RunTarget } from './run.ts';
import { type CheckStatus, statusHasCode, statusResult } from './status.ts';
import type {
  AdminState,
  ChangeCause,
  CheckerHooks,
  CheckerOptions,
  CheckKind,
  CheckSpec,
  CheckState,
  EffectiveState,
  Figures,
  LogLevel,
  ObservedEvent,
  RestoredServer,
  ServerCheckState,
  ServerView,
} from './types.ts';

/** Intervals at or above this take part in spreading the first checks (SRV_CHK_INTER_THRES). */
const SPREAD_THRESHOLD = 1000;

interface Check {
  readonly srv: Server;
  readonly agent: boolean;
  /** The agent's rules change with `agent-send` (setAgentSend). */
  rules: Ruleset;
  /** Where the check connects: its own address and port, else the server's (retarget()). */
  addr: string;
  port: number;
  /** Its own address (HAProxy's check.addr / agent.addr); undefined: the server's. */
  ownAddr: string | undefined;
  /** Its own port (check.port / agent.port); 0: the server's. */
  ownPort: number;
  readonly inter: number;
  readonly fastinter: number;
  readonly downinter: number;
  readonly rise: number;
  readonly fall: number;
  paused: boolean;
  /** Off after the runtime API's `disable health` / `disable agent`. */
  enabled: boolean;
  health: number;
  status: CheckStatus;
  code: number;
  info: string;
  duration: number;
  lastRun: number;
  startedAt: number;
  /** When the timer fires (ms, hooks.now()). */
  due: number;
  timer: NodeJS.Timeout | null;
  run: CheckRun | null;
  target: RunTarget | undefined;
}

interface Server {
  readonly spec: CheckSpec;
  readonly key: string;
  oper: 'up' | 'down' | 'stopping';
  maint: boolean;
  drain: boolean;
  weight: number;
  maxconn: number | undefined;
  lastChange: number;
  errors: number;
  check: Check | undefined;
  agent: Check | undefined;
  /** The server's address and port, which checks without their own follow. */
  srvAddr: string;
  srvPort: number;
  /**
   * The health counter of a server without `check` (HAProxy keeps one: rise at start, set
   * by `set server … health`, shown by `show servers state`).
   */
  noCheckHealth: number;
}

const OBSERVED: Readonly<Record<ObservedEvent, { desc: string; l4: 0 | 1 | 2; l7: 0 | 1 | 2 }>> = {
  'l4-ok': { desc: 'L4 successful connection', l4: 2, l7: 0 },
  'l4-error': { desc: 'L4 unsuccessful connection', l4: 1, l7: 1 },
  'http-ok': { desc: 'Correct http response', l4: 0, l7: 2 },
  'http-status': { desc: 'Wrong http response', l4: 0, l7: 1 },
  'http-headers': { desc: 'Invalid http response (headers)', l4: 0, l7: 1 },
  'http-invalid': { desc: 'Invalid http response', l4: 0, l7: 1 },
  'http-read-error': { desc: 'Read error (http)', l4: 0, l7: 1 },
  'http-read-timeout': { desc: 'Read timeout (http)', l4: 0, l7: 1 },
  'http-broken-pipe': { desc: 'Close from server (http)', l4: 0, l7: 1 },
};

const keyOf = (backend: string, server: string) => `${backend}/${server}`;

/** Stops a server's check and agent: no next run, the one in progress aborted. */
function haltChecks(srv: Server): void {
  for (const c of [srv.check, srv.agent]) {
    if (!c) continue;
    if (c.timer) clearTimeout(c.timer);
    c.timer = null;
    c.run?.abort();
    c.run = null;
  }
}

/**
 * Runs every server's health and agent checks and keeps HAProxy's view of each server.
 * The proxy applies the changes it is told about through hooks.onStateChange.
 */
export class HealthChecker {
  private readonly servers = new Map<string, Server>();
  private readonly order: Server[] = [];
  private readonly hooks: CheckerHooks;
  private readonly spread: number;
  private readonly maxSpread: number;
  private readonly now: () => number;
  private readonly random: () => number;
  private started = false;
  private stopped = false;
  private readonly node = hostname();
  private readonly compiled = new Map<CheckKind, Ruleset>();
  private readonly agents = new Map<string, Ruleset>();

  constructor(specs: readonly CheckSpec[], hooks: CheckerHooks, options: CheckerOptions = {}) {
    this.hooks = hooks;
    this.spread = Math.max(0, Math.min(50, options.spreadChecks ?? 0));
    this.maxSpread = options.maxSpreadChecks ?? 0;
    this.now = hooks.now ?? Date.now;
    this.random = hooks.random ?? Math.random;
    for (const spec of specs) this.addServer(spec);
  }

  /**
   * Adds a server's checks (the runtime API's `add server`). Before start() it is one more
   * server of the start; after it, its checks are scheduled at once, from their first
   * interval. Throws when the server is known already.
   */
  add(spec: CheckSpec): void {
    const srv = this.addServer(spec);
    if (!this.started || this.stopped) return;
    for (const c of [srv.check, srv.agent]) if (c) this.schedule(c, this.interOf(c));
  }

  /**
   * Removes a server's checks (the runtime API's `del server`): its timers cleared, a probe
   * in progress aborted; nothing more is reported of it.
   */
  remove(backend: string, server: string): void {
    const srv = this.get(backend, server);
    haltChecks(srv);
    this.servers.delete(srv.key);
    const i = this.order.indexOf(srv);
    if (i >= 0) this.order.splice(i, 1);
  }

  private addServer(spec: CheckSpec): Server {
    const key = keyOf(spec.backend, spec.server);
    if (this.servers.has(key)) throw new CheckerError(`server ${key} is given twice`);
    // Rulesets are shared by the servers of a kind: each kind is compiled once.
    let rules = this.compiled.get(spec.kind);
    if (!rules) {
      rules = compileRuleset(spec.kind);
      this.compiled.set(spec.kind, rules);
    }
    const srv: Server = {
      spec,
      key,
      oper: spec.disabled ? 'down' : 'up',
      maint: spec.disabled,
      drain: false,
      weight: spec.weight,
      maxconn: undefined,
      lastChange: this.now(),
      errors: 0,
      check: undefined,
      agent: undefined,
      srvAddr: spec.serverAddr ?? spec.addr,
      srvPort: spec.serverPort ?? spec.port,
      noCheckHealth: spec.rise,
    };
    if (spec.check) {
      // Up, but going down at the first failure: health starts at rise (HAProxy 2.6).
      srv.check = newCheck(srv, false, rules, spec.addr, spec.port, spec);
      srv.check.ownAddr = spec.ownAddr;
      srv.check.ownPort = spec.ownPort ?? 0;
      if (spec.disabled) {
        srv.check.paused = true;
        srv.check.health = 0;
      }
    }
    if (spec.agent) {
      const a = spec.agent;
      let ar = this.agents.get(a.send ?? '');
      if (!ar) {
        ar = agentRuleset(a.send);
        this.agents.set(a.send ?? '', ar);
      }
      srv.agent = newCheck(srv, true, ar, a.addr, a.port, {
        inter: a.inter,
        fastinter: 0,
        downinter: 0,
        rise: 1,
        fall: 1,
      });
      srv.agent.ownAddr = a.ownAddr;
      srv.agent.ownPort = a.port;
    }
    this.servers.set(key, srv);
    this.order.push(srv);
    return srv;
  }

  /** Starts the checks, their first runs spread over the smallest interval as HAProxy does. */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    const checks: Check[] = [];
    for (const srv of this.order) {
      if (srv.check) checks.push(srv.check);
      if (srv.agent) checks.push(srv.agent);
    }
    let mininter = 0;
    for (const c of checks) {
      const i = this.interOf(c);
      if (i >= SPREAD_THRESHOLD && (mininter === 0 || i < mininter)) mininter = i;
    }
    checks.forEach((c, pos) => {
      let m = Math.max(mininter, this.interOf(c));
      if (this.maxSpread > 0 && m > this.maxSpread) m = this.maxSpread;
      this.schedule(c, Math.floor((m * pos) / checks.length));
    });
  }

  /** Ends every check at once (sockets destroyed, timers cleared); no more events after it. */
  stop(): Promise<void> {
    this.stopped = true;
    for (const srv of this.order) haltChecks(srv);
    return Promise.resolve();
  }

  /** The runtime API's `set server <b>/<s> state ready|drain|maint`. */
  setAdminState(backend: string, server: string, state: AdminState): void {
    const srv = this.get(backend, server);
    this.applyAdmin(srv, state, 'admin');
  }

  /**
   * Puts back the state a server had in a previous process (a reload's hand-over, a
   * `server-state-file`): operational state, health counter, forced maintenance / drain,
   * weight, last change and last check status. Silent: no sentence, no hook; the caller
   * reads `state()` and applies it to its balancer. Meant to run before `start()`, so the
   * first check continues from the restored health (a server DOWN stays DOWN until `rise`
   * checks pass, an UP one goes DOWN after `fall` failures).
   */
  restore(backend: string, server: string, r: RestoredServer): void {
    const srv = this.get(backend, server);
    srv.oper = r.oper;
    srv.maint = r.maint;
    srv.drain = r.drain;
    if (r.weight !== undefined) srv.weight = r.weight;
    if (r.lastChange !== undefined) srv.lastChange = r.lastChange;
    const c = srv.check;
    if (c === undefined) {
      srv.noCheckHealth = r.maint ? 0 : Math.max(0, Math.min(srv.spec.rise + srv.spec.fall - 1, r.health));
      return;
    }
    const top = c.rise + c.fall - 1;
    // maintenance pauses the health check, which starts again from rise when it ends
    c.paused = r.maint;
    c.health = r.maint ? 0 : Math.max(0, Math.min(top, r.health));
    if (r.status !== undefined) c.status = r.status;
  }

  /**
   * The runtime API's `enable|disable health` (`agent` true: `enable|disable agent`): a
   * disabled check keeps its timer but runs no probe and changes nothing until enabled again.
   */
  setCheckEnabled(backend: string, server: string, agent: boolean, on: boolean): void {
    const srv = this.get(backend, server);
    const c = agent ? srv.agent : srv.check;
    if (c === undefined)
      throw new CheckerError(`no ${agent ? 'agent' : 'health'} check on ${backend}/${server}`);
    if (c.enabled === on) return;
    c.enabled = on;
    if (!on) {
      c.run?.abort();
      c.run = null;
    }
    if (!c.timer && this.started && !this.stopped) this.schedule(c, c.inter);
  }

  /**
   * The runtime API's `set server <b>/<s> health up|stopping|down`: forces the health
   * counter to its top (up, stopping) or to zero (down) and the server's state with it.
   */
  forceHealth(backend: string, server: string, state: 'up' | 'stopping' | 'down'): void {
    const srv = this.get(backend, server);
    const c = srv.check;
    if (srv.maint) return;
    // a server with only an agent has the counter of its unconfigured health check
    const top = c !== undefined ? c.rise + c.fall - 1 : srv.spec.rise + srv.spec.fall - 1;
    if (c !== undefined) c.health = state === 'down' ? 0 : top;
    else srv.noCheckHealth = state === 'down' ? 0 : top;
    if (state === 'up') this.setRunning(srv, 'admin', 'changed from CLI');
    else if (state === 'stopping') this.setStopping(srv, 'admin', 'changed from CLI');
    else this.setStopped(srv, 'admin', 'changed from CLI');
  }

  /** The runtime API's `set server <b>/<s> agent up|down`: the agent's counter to its top or zero. */
  forceAgent(backend: string, server: string, state: 'up' | 'down'): void {
    const srv = this.get(backend, server);
    const c = srv.agent;
    if (c === undefined) throw new CheckerError(`no agent check on ${backend}/${server}`);
    if (srv.maint) return;
    if (state === 'down') {
      c.health = 0;
      this.setStopped(srv, 'admin', 'changed from CLI');
      return;
    }
    c.health = c.rise + c.fall - 1;
    if (this.checksAgree(srv)) this.setRunning(srv, 'admin', 'changed from CLI');
  }

  /**
   * The runtime API's `set server … addr`: the server's new address and port, which its
   * health check and agent take from their next run unless they have their own.
   */
  setServerAddress(backend: string, server: string, addr: string, port: number): void {
    const srv = this.get(backend, server);
    srv.srvAddr = addr;
    srv.srvPort = port;
    if (srv.check) retarget(srv.check);
    if (srv.agent) retarget(srv.agent);
  }

  /**
   * The runtime API's `set server … check-addr|check-port` (`agent` true: `agent-addr|agent-port`):
   * the check's own address and/or port from its next run (a run in progress ends as it began).
   * An address of 0.0.0.0 or :: sends it back to the server's address, as HAProxy does.
   */
  setCheckAddress(
    backend: string,
    server: string,
    agent: boolean,
    addr: string | undefined,
    port: number | undefined,
  ): void {
    const srv = this.get(backend, server);
    const c = agent ? srv.agent : srv.check;
    if (c === undefined)
      throw new CheckerError(`no ${agent ? 'agent' : 'health'} check on ${backend}/${server}`);
    if (addr !== undefined) c.ownAddr = addr;
    if (port !== undefined) c.ownPort = port;
    retarget(c);
  }

  /** The runtime API's `set server … agent-send`: what the agent is sent from its next run on. */
  setAgentSend(backend: string, server: string, text: string): void {
    const srv = this.get(backend, server);
    if (srv.agent === undefined) throw new CheckerError(`no agent check on ${backend}/${server}`);
    srv.agent.rules = agentRuleset(text);
  }

  /** The runtime API's `set weight`: a number (0..256) or `N%` of the initial weight. */
  setWeight(backend: string, server: string, weight: number | string): void {
    const srv = this.get(backend, server);
    const w = parseWeight(String(weight), srv.spec.weight);
    if (typeof w === 'string') throw new CheckerError(w.replace(/\.?\n?$/, ''));
    this.changeWeight(srv, w, 'admin');
  }

  /** A connection outcome seen by the proxy, for servers with `observe`. */
  observe(backend: string, server: string, event: ObservedEvent): void {
    const srv = this.get(backend, server);
    const check = srv.check;
    const mode = srv.spec.observe;
    if (!mode || !check || this.stopped) return;
    const row = OBSERVED[event];
    const verdict = mode === 'layer4' ? row.l4 : row.l7;
    if (verdict === 0) return;
    if (verdict === 2) {
      srv.errors = 0;
      return;
    }
    srv.errors++;
    if (srv.errors < srv.spec.errorLimit) return;
    const info = `Detected ${srv.errors} consecutive errors, last one was: ${row.desc}`;
    switch (srv.spec.onError) {
      case 'fastinter':
        break;
      case 'sudden-death':
        if (check.health > check.rise) check.health = check.rise + 1;
        this.failByObserve(check, info);
        break;
      case 'fail-check':
        this.failByObserve(check, info);
        break;
      case 'mark-down':
        check.health = check.rise;
        this.failByObserve(check, info);
        break;
    }
    srv.errors = 0;
    // Every mode hurries the next check to fastinter.
    if (check.fastinter > 0 && check.timer && !check.run) this.schedule(check, check.fastinter, true);
  }

  state(backend: string, server: string): ServerCheckState {
    return this.snapshot(this.get(backend, server));
  }

  states(): ServerCheckState[] {
    return this.order.map((s) => this.snapshot(s));
  }

  // ---- scheduling ------------------------------------------------------------------------

  /** HAProxy's srv_getinter(): inter when fully up, downinter when fully down, else fastinter. */
  private interOf(c: Check): number {
    if (c.health === c.rise + c.fall - 1) return c.inter;
    if (c.srv.oper === 'down' && c.health === 0) return c.downinter || c.inter;
    return c.fastinter || c.inter;
  }

  private schedule(c: Check, delay: number, onlyIfEarlier = false): void {
    if (this.stopped) return;
    const due = this.now() + delay;
    if (c.timer) {
      if (onlyIfEarlier && c.due <= due) return;
      clearTimeout(c.timer);
    }
    c.due = due;
    c.timer = setTimeout(() => this.fire(c), Math.max(0, delay));
    c.timer.unref();
  }

  private fire(c: Check): void {
    c.timer = null;
    if (this.stopped) return;
    try {
      if (c.paused || !c.enabled) {
        // Paused checks keep their rhythm at `inter` (HAProxy reschedules them).
        this.schedule(c, c.inter);
        return;
      }
      this.runCheck(c);
    } catch {
      // A timer must never throw: try again later.
      this.schedule(c, c.inter);
    }
  }

  private runCheck(c: Check): void {
    c.startedAt = this.now();
    // The target is made once per check: a run allocates its socket and little else.
    c.target ??= this.targetOf(c);
    const target = c.target;
    const run = new CheckRun(c.rules, target, (outcome) => {
      if (c.run !== run) return;
      c.run = null;
      try {
        this.completed(c, outcome);
      } catch {
        // A hook that throws must not stop the checks.
      }
      if (this.stopped) return;
      let rv = 0;
      const inter = this.interOf(c);
      if (this.spread > 0) {
        rv = Math.floor((inter * this.spread) / 100);
        rv -= Math.floor(2 * rv * this.random());
      }
      this.schedule(c, inter + rv);
    });
    c.run = run;
    run.start();
  }

  private targetOf(c: Check): RunTarget {
    const srv = c.srv;
    const spec = srv.spec;
    return {
      addr: c.addr,
      port: c.port,
      sendProxy: spec.sendProxy,
      tls: c.agent ? undefined : spec.tls,
      inter: c.inter,
      timeout: spec.timeout,
      connectTimeout: spec.connectTimeout,
      disableOn404: spec.disableOn404 && !c.agent,
      serverDown: () => srv.oper === 'down',
      stateHeader: () => (spec.sendState && !c.agent ? this.stateHeader(srv) : undefined),
      now: this.now,
    };
  }

  private completed(c: Check, outcome: RunOutcome): void {
    const duration = Math.max(0, Math.round(this.now() - c.startedAt));
    c.lastRun = this.now();
    if (c.agent && outcome.line !== undefined) {
      this.agentReply(c, outcome.line, duration);
      return;
    }
    if (c.paused) return;
    this.setStatus(c, outcome.status, outcome.code, outcome.info, duration);
    this.notify(c, c.agent ? 'agent-check' : 'health-check');
  }

  // ---- HAProxy's health counter ------------------------------------------------------------

  private setStatus(c: Check, status: CheckStatus, code: number, info: string, duration: number): void {
    const prev = c.status;
    const srv = c.srv;
    c.status = status;
    c.code = code;
    c.info = truncateInfo(info);
    c.duration = duration;
    const result = statusResult(status);
    let report = false;
    if (result === 'failed') {
      // An agent that cannot be reached does not count: only what it says does.
      if ((!c.agent || statusHasCode(status)) && c.health > 0) {
        report = true;
        c.health--;
        if (c.health < c.rise) c.health = 0;
      }
    } else if (result === 'passed' || result === 'conditional') {
      if (c.health < c.rise + c.fall - 1) {
        report = true;
        c.health++;
        if (c.health >= c.rise) c.health = c.rise + c.fall - 1;
      }
      if (srv.spec.observe) srv.errors = 0;
    }
    this.hooks.onCheckResult?.({
      backend: srv.spec.backend,
      server: srv.spec.server,
      agent: c.agent,
      status,
      code,
      info: c.info,
      duration,
      health: c.health,
      rise: c.rise,
      fall: c.fall,
      at: this.now(),
    });
    if (result === 'neutral' || result === 'unknown') return;
    if (srv.spec.logHealthChecks && (status !== prev || report)) {
      const up = c.health >= c.rise;
      const text =
        `${c.agent ? 'Agent' : 'Health'} check for ${srv.spec.backup ? 'backup ' : ''}server ${srv.spec.backend}/${srv.spec.server} ` +
        `${result === 'conditional' ? 'conditionally ' : ''}${result === 'failed' ? 'failed' : 'succeeded'}` +
        reasonText(this.reasonOf(c)) +
        `, status: ${up ? c.health - c.rise + 1 : c.health}/${up ? c.fall : c.rise} ${up ? (srv.weight ? 'UP' : 'DRAIN') : 'DOWN'}.`;
      this.log('notice', text, srv);
    }
  }

  private reasonOf(c: Check): Reason {
    return { status: c.status, code: c.code, info: c.info, duration: c.duration };
  }

  private notify(c: Check, cause: ChangeCause): void {
    const srv = c.srv;
    // With log-health-checks the reason was already logged: the state line goes without it.
    const reason = srv.spec.logHealthChecks ? undefined : this.reasonOf(c);
    const result = statusResult(c.status);
    if (result === 'failed') {
      if (c.agent && c.status !== 'L7STS') return;
      if (c.health > 0) return;
      this.setStopped(srv, cause, reason);
    } else if (result === 'conditional') {
      if (srv.maint || c.agent || !this.checksAgree(srv)) return;
      this.setStopping(srv, cause, reason);
    } else if (result === 'passed') {
      if (srv.maint || !this.checksAgree(srv)) return;
      if (c.agent && srv.oper === 'stopping') return;
      this.setRunning(srv, cause, reason);
    }
  }

  /** Both the health check and the agent (when enabled) are at or above rise. */
  private checksAgree(srv: Server): boolean {
    // a disabled check or agent has no say (HAProxy reads CHK_ST_ENABLED)
    const c = srv.check;
    if (c?.enabled && !c.paused && c.health < c.rise) return false;
    if (srv.agent?.enabled && srv.agent.health < srv.agent.rise) return false;
    return true;
  }

  private failByObserve(c: Check, info: string): void {
    this.setStatus(c, 'HANA', 0, info, -1);
    this.notify(c, 'observe');
  }

  private agentReply(c: Check, line: string, duration: number): void {
    const srv = c.srv;
    const r = parseAgentReply(line);
    let warning: string | undefined;
    if (r.admin) this.applyAdmin(srv, r.admin, 'agent-check');
    if (r.weight !== undefined) {
      const w = parseWeight(r.weight, srv.spec.weight);
      if (typeof w === 'string') warning = w.replace(/\n$/, '');
      else this.changeWeight(srv, w, 'agent-check');
    }
    if (r.maxconn !== undefined) {
      if (/^\d+$/.test(r.maxconn)) {
        const v = Number(r.maxconn);
        if (v !== srv.maxconn) {
          const previous = this.view(srv);
          srv.maxconn = v;
          this.emit(srv, 'agent-check', previous);
        }
      } else {
        warning ??= 'Trailing garbage in maxconn string';
      }
    }
    if (r.health !== undefined) {
      const lower = r.health.toLowerCase();
      let status: CheckStatus;
      if (lower === 'up') {
        c.health = c.rise + c.fall - 1;
        status = 'L7OK';
      } else {
        c.health = 0;
        status = 'L7STS';
      }
      let msg = r.description;
      if (msg === '' || status === 'L7OK') msg = r.error ?? warning ?? msg;
      this.setStatus(c, status, 0, `via agent : ${r.health}${msg ? ` (${msg})` : ''}`, duration);
      this.notify(c, 'agent-check');
      return;
    }
    const odd =
      r.error !== undefined
        ? `agent reports an error : ${r.error}`
        : warning !== undefined
          ? `agent warns : ${warning}`
          : '';
    this.setStatus(c, 'CHECKED', 0, odd, duration);
  }

  // ---- server state changes ---------------------------------------------------------------

  private setStopped(srv: Server, cause: ChangeCause, reason: Reason | string | undefined): void {
    if (srv.maint || srv.oper === 'down') return;
    const previous = this.view(srv);
    const wasStopping = srv.oper === 'stopping' || srv.drain;
    srv.oper = 'down';
    srv.lastChange = this.now();
    this.emit(srv, cause, previous, { down: true });
    const f = this.figures(srv);
    const text = `${serverName(srv.spec.backup, srv.spec.backend, srv.spec.server)} is DOWN${why(reason)}${figuresLeft(f)}.`;
    this.log(wasStopping ? 'notice' : 'alert', text, srv);
    this.backendDown(srv, previous, f);
    this.stillDraining(srv);
  }

  private setRunning(srv: Server, cause: ChangeCause, reason: Reason | string | undefined): void {
    if (srv.maint || srv.oper === 'up') return;
    const previous = this.view(srv);
    srv.oper = 'up';
    srv.lastChange = this.now();
    this.emit(srv, cause, previous, { up: true });
    const text = `${serverName(srv.spec.backup, srv.spec.backend, srv.spec.server)} is UP${why(reason)}${figuresOnline(this.figures(srv))}.`;
    this.log('notice', text, srv);
    this.stillDraining(srv);
  }

  private setStopping(srv: Server, cause: ChangeCause, reason: Reason | string | undefined): void {
    if (srv.maint || srv.oper === 'stopping') return;
    const previous = this.view(srv);
    srv.oper = 'stopping';
    srv.lastChange = this.now();
    this.emit(srv, cause, previous);
    const f = this.figures(srv);
    const text = `${serverName(srv.spec.backup, srv.spec.backend, srv.spec.server)} is stopping${why(reason)}${figuresOnline(f)}.`;
    this.log('notice', text, srv);
    this.backendDown(srv, previous, f);
    this.stillDraining(srv);
  }

  /**
   * HAProxy re-announces a forced drain after every other update of a drained server
   * (state change, weight request, leaving maintenance).
   */
  private stillDraining(srv: Server): void {
    if (srv.drain && !srv.maint) {
      this.log(
        'notice',
        `${serverName(srv.spec.backup, srv.spec.backend, srv.spec.server)} remains in forced drain mode.`,
        srv,
      );
    }
  }

  /** HAProxy's srv_adm_set_ready/drain/maint: one flag set, the other cleared, in its order. */
  private applyAdmin(srv: Server, state: AdminState, cause: ChangeCause): void {
    if (state === 'maint') {
      this.setMaint(srv, true, cause);
      this.setDrain(srv, false, cause);
    } else if (state === 'drain') {
      this.setDrain(srv, true, cause);
      this.setMaint(srv, false, cause);
    } else {
      this.setDrain(srv, false, cause);
      this.setMaint(srv, false, cause);
    }
  }

  private setMaint(srv: Server, on: boolean, cause: ChangeCause): void {
    if (srv.maint === on) return;
    const previous = this.view(srv);
    const name = serverName(srv.spec.backup, srv.spec.backend, srv.spec.server);
    const c = srv.check;
    if (on) {
      const wasStopping = srv.oper === 'stopping' || srv.drain;
      srv.maint = true;
      if (c?.enabled) {
        // Maintenance pauses the health check (not the agent), when it is enabled.
        c.paused = true;
        c.health = 0;
        c.run?.abort();
        c.run = null;
        if (!c.timer && this.started && !this.stopped) this.schedule(c, c.inter);
      }
      if (srv.oper === 'down') {
        this.emit(srv, cause, previous);
        this.log('notice', `${name} was DOWN and now enters maintenance.`, srv);
        return;
      }
      srv.oper = 'down';
      srv.lastChange = this.now();
      this.emit(srv, cause, previous, { down: true });
      const f = this.figures(srv);
      this.log(
        wasStopping ? 'notice' : 'alert',
        `${name} is going DOWN for maintenance${figuresLeft(f)}.`,
        srv,
      );
      this.backendDown(srv, previous, f);
      return;
    }
    srv.maint = false;
    if (c) {
      // Up at once but one failure from down; the check keeps its rhythm. A disabled check
      // (`disable health`, an added server's) keeps its health: it does not count anyway.
      c.paused = false;
      if (c.enabled) c.health = c.rise;
    }
    let cameUp = false;
    if (this.checksAgree(srv)) {
      srv.oper = 'up';
      srv.lastChange = this.now();
      cameUp = true;
    }
    this.emit(srv, cause, previous, { up: cameUp });
    this.log(
      'notice',
      `${name} is ${srv.oper === 'down' ? 'DOWN' : 'UP'}/${srv.drain ? 'DRAIN' : 'READY'} (leaving forced maintenance).`,
      srv,
    );
    this.stillDraining(srv);
  }

  private setDrain(srv: Server, on: boolean, cause: ChangeCause): void {
    if (srv.drain === on) return;
    const previous = this.view(srv);
    srv.drain = on;
    this.emit(srv, cause, previous);
    // Drain changes are silent while in maintenance.
    if (srv.maint) return;
    const name = serverName(srv.spec.backup, srv.spec.backend, srv.spec.server);
    if (on) {
      srv.lastChange = this.now();
      const f = this.figures(srv);
      this.log('notice', `${name} enters drain state${figuresOnline(f)}.`, srv);
      this.backendDown(srv, previous, f);
    } else {
      srv.lastChange = this.now();
      this.log('notice', `${name} is ${srv.oper === 'down' ? 'DOWN' : 'UP'} (leaving forced drain).`, srv);
    }
  }

  private changeWeight(srv: Server, w: number, cause: ChangeCause): void {
    if (w !== srv.weight) {
      const previous = this.view(srv);
      srv.weight = w;
      this.emit(srv, cause, previous, {
        up: previous.weight === 0 && w > 0 && srv.oper === 'up' && !srv.maint,
      });
      if (w === 0) this.backendDown(srv, previous, this.figures(srv));
    }
    // Even an unchanged weight is an update for HAProxy.
    this.stillDraining(srv);
  }

  private emit(
    srv: Server,
    cause: ChangeCause,
    previous: ServerView,
    how: { up?: boolean; down?: boolean } = {},
  ): void {
    const current = this.view(srv);
    // A flag hidden by another (drain under maintenance) changes nothing the proxy sees.
    if (
      current.oper === previous.oper &&
      current.admin === previous.admin &&
      current.weight === previous.weight &&
      current.maxconn === previous.maxconn
    ) {
      return;
    }
    const spec = srv.spec;
    this.hooks.onStateChange({
      backend: spec.backend,
      server: spec.server,
      cause,
      previous,
      current,
      at: this.now(),
      slowstart: how.up && spec.slowstart > 0 ? spec.slowstart : 0,
      shutdownSessions: (how.down ?? false) && spec.onMarkedDown === 'shutdown-sessions',
      shutdownBackupSessions:
        (how.up ?? false) && spec.onMarkedUp === 'shutdown-backup-sessions' && !spec.backup && srv.weight > 0,
    });
  }

  /** `backend X has no server available!` (`proxy X` for a listen) when the last usable server just left. */
  private backendDown(srv: Server, previous: ServerView, f: Figures): void {
    if (f.active + f.backup > 0) return;
    if (!usable(previous)) return;
    this.log(
      'emerg',
      `${srv.spec.label ?? 'backend'} ${srv.spec.backend} has no server available!`,
      srv,
      false,
    );
  }

  private log(level: LogLevel, text: string, srv: Server, withServer = true): void {
    this.hooks.onLog?.({
      level,
      text,
      backend: srv.spec.backend,
      server: withServer ? srv.spec.server : undefined,
    });
  }

  private figures(srv: Server): Figures {
    if (this.hooks.figures) return this.hooks.figures(srv.spec.backend, srv.spec.server);
    let active = 0;
    let backup = 0;
    for (const s of this.order) {
      if (s.spec.backend !== srv.spec.backend || !usable(this.view(s))) continue;
      if (s.spec.backup) backup++;
      else active++;
    }
    return { active, backup, sessions: 0, requeued: 0, queued: 0 };
  }

  // ---- views -------------------------------------------------------------------------------

  private view(srv: Server): ServerView {
    const admin: AdminState = srv.maint ? 'maint' : srv.drain ? 'drain' : 'ready';
    let effective: EffectiveState;
    if (srv.maint) effective = 'maint';
    else if (srv.oper === 'down') effective = 'down';
    else if (srv.drain || srv.oper === 'stopping') effective = 'drain';
    else effective = 'up';
    return { oper: srv.oper, admin, weight: srv.weight, effective, maxconn: srv.maxconn };
  }

  /** The stats page's status words. */
  private statusText(srv: Server): string {
    if (srv.maint) return 'MAINT';
    if (srv.drain) return 'DRAIN';
    const c = srv.check?.enabled ? srv.check : srv.agent?.enabled ? srv.agent : undefined;
    const max = c ? c.rise + c.fall - 1 : 0;
    if (!c) return srv.oper === 'down' ? 'DOWN' : srv.oper === 'stopping' ? 'NOLB' : 'no check';
    if (srv.oper === 'down') return c.health === 0 ? 'DOWN' : `DOWN ${c.health}/${c.rise}`;
    const word = srv.oper === 'stopping' ? 'NOLB' : 'UP';
    return c.health === max ? word : `${word} ${c.health - c.rise + 1}/${c.fall}`;
  }

  /** `http-check send-state`'s header value. */
  private stateHeader(srv: Server): string {
    const c = srv.check;
    let state: string;
    if (!c) state = 'no check';
    else if (srv.oper !== 'down') {
      const word = srv.oper === 'stopping' ? 'NOLB' : 'UP';
      state = c.health === c.rise + c.fall - 1 ? word : `${word} ${c.health - c.rise + 1}/${c.fall}`;
    } else {
      state = c.health ? `DOWN ${c.health}/${c.rise}` : 'DOWN';
    }
    let total = 0;
    for (const s of this.order)
      if (s.spec.backend === srv.spec.backend && usable(this.view(s))) total += s.weight;
    const f = this.figures(srv);
    return `${state}; address=${srv.srvAddr}; port=${srv.srvPort}; name=${srv.spec.backend}/${srv.spec.server}; node=${this.node}; weight=${srv.weight}/${total}; scur=${f.sessions}/${f.sessions}; qcur=${f.queued}`;
  }

  private snapshot(srv: Server): ServerCheckState {
    const v = this.view(srv);
    return {
      ...v,
      backend: srv.spec.backend,
      server: srv.spec.server,
      initialWeight: srv.spec.weight,
      text: this.statusText(srv),
      lastChange: srv.lastChange,
      check: srv.check ? checkState(srv.check) : { ...NO_CHECK, health: srv.noCheckHealth },
      agent: srv.agent ? checkState(srv.agent) : undefined,
    };
  }

  private get(backend: string, server: string): Server {
    const srv = this.servers.get(keyOf(backend, server));
    if (!srv) throw new CheckerError(`no such server: ${backend}/${server}`);
    return srv;
  }
}

/** A state sentence's tail: a check's reason, or the runtime API's ", changed from CLI". */
function why(reason: Reason | string | undefined): string {
  if (reason === undefined) return '';
  return typeof reason === 'string' ? `, ${reason}` : reasonText(reason);
}

function usable(v: ServerView): boolean {
  return v.effective === 'up' && v.weight > 0;
}

interface Timing {
  readonly inter: number;
  readonly fastinter: number;
  readonly downinter: number;
  readonly rise: number;
  readonly fall: number;
}

/** An address that means "none" to HAProxy's is_addr(): the check goes to the server's. */
function isAnyAddr(a: string): boolean {
  return a === '0.0.0.0' || a === '::';
}

/** Where a check connects now: its own address and port, else the server's (next run on). */
function retarget(c: Check): void {
  const srv = c.srv;
  c.addr = c.ownAddr !== undefined && !isAnyAddr(c.ownAddr) ? c.ownAddr : srv.srvAddr;
  if (c.ownPort > 0) c.port = c.ownPort;
  else if (srv.srvPort > 0) c.port = srv.srvPort;
  c.target = undefined;
}

function newCheck(srv: Server, agent: boolean, rules: Ruleset, addr: string, port: number, t: Timing): Check {
  return {
    srv,
    agent,
    rules,
    addr,
    port,
    ownAddr: undefined,
    ownPort: 0,
    inter: t.inter,
    fastinter: t.fastinter,
    downinter: t.downinter,
    rise: t.rise,
    fall: t.fall,
    paused: false,
    enabled: true,
    health: t.rise,
    status: 'INI',
    code: 0,
    info: '',
    duration: -1,
    lastRun: 0,
    startedAt: 0,
    due: 0,
    timer: null,
    run: null,
    target: undefined,
  };
}

const NO_CHECK: CheckState = {
  addr: undefined,
  port: 0,
  target: { addr: '', port: 0 },
  enabled: false,
  paused: false,
  running: false,
  health: 0,
  rise: 0,
  fall: 0,
  status: 'UNK',
  code: 0,
  info: '',
  duration: -1,
  lastRun: 0,
};

function checkState(c: Check): CheckState {
  return {
    addr: c.ownAddr,
    port: c.ownPort,
    target: { addr: c.addr, port: c.port },
    enabled: c.enabled,
    paused: c.paused,
    running: c.run !== null,
    health: c.health,
    rise: c.rise,
    fall: c.fall,
    status: c.status,
    code: c.code,
    info: c.info,
    duration: c.duration,
    lastRun: c.lastRun,
  };
}
