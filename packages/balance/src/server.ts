/**
 * The server view the algorithms work on, and HAProxy's rules about which servers may
 * take new traffic.
 *
 * ```
 *            ┌────────── comes up (health check, `enable server`, leaves maint) ───────────┐
 *            │                        slow start begins here                                │
 *            ▼                                                                              │
 *   ┌──────────────┐  set drain   ┌─────────┐                                  ┌───────────┴──┐
 *   │      up      │ ───────────▶ │  drain  │        goes down / maint         │ down / maint │
 *   │ takes traffic│ ◀─────────── │ nothing │ ───────────────────────────────▶ │   nothing    │
 *   └──────────────┘  set ready   │   new   │                                  └──────────────┘
 *                                 └─────────┘
 * ```
 *
 * A server takes new traffic when its state is `up` and its effective weight is not 0.
 * Backup servers take traffic only when no active server does; then the first backup in
 * declaration order takes it all, or every backup by weight with `allBackups`.
 */

/** A server's administrative / health state, as far as load balancing cares. */
export type ServerState = 'up' | 'down' | 'drain' | 'maint';

export const SERVER_STATES: readonly ServerState[] = Object.freeze(['up', 'down', 'drain', 'maint']);

/** The largest user weight (`weight` on a `server` line). */
export const MAX_WEIGHT = 256;

/** Effective weights are user weights times this (HAProxy's BE_WEIGHT_SCALE). */
export const WEIGHT_SCALE = 16;

/**
 * One server as the balancer sees it. The caller owns the object: it changes `state`,
 * `weight` or `maxconn`, then tells the balancer with `update()` (or uses the balancer's
 * `setState()` / `setWeight()`, which do both). `served` is kept by `taken()` / `released()`.
 */
export interface BalanceServer {
  /** Returned as is; the balancer never interprets it. */
  readonly name: string;
  /** User weight, an integer from 0 to 256 (0: takes no new traffic). Default 1 in HAProxy. */
  weight: number;
  /** A backup server (`backup` keyword): read once, when the balancer is created. */
  readonly backup: boolean;
  state: ServerState;
  /** Requests or connections in progress on this server (leastconn, first, random, maxconn). */
  served: number;
  /** Most requests at once (0: no limit). A server at its limit is skipped when others can take it. */
  maxconn: number;
  /** Slow start in ms (`slowstart`): after coming up, the weight grows from 1/16 to full over this time. */
  slowstart?: number;
  /**
   * Numeric id (`id` keyword, HAProxy's puid): orders `first` and places consistent-hash
   * points. Default: the lowest id not taken, in declaration order, from 1.
   */
  id?: number;
}

/** Options of `createServer()`; every field has HAProxy's default. */
export interface ServerInit {
  weight?: number;
  backup?: boolean;
  state?: ServerState;
  served?: number;
  maxconn?: number;
  slowstart?: number;
  id?: number;
}

/** A server view with HAProxy's defaults: weight 1, active, up, no limit, no slow start. */
export function createServer(name: string, init: ServerInit = {}): BalanceServer {
  const server: BalanceServer = {
    name,
    weight: init.weight ?? 1,
    backup: init.backup ?? false,
    state: init.state ?? 'up',
    served: init.served ?? 0,
    maxconn: init.maxconn ?? 0,
    slowstart: init.slowstart ?? 0,
  };
  if (init.id !== undefined) server.id = init.id;
  return server;
}

/**
 * The slow-start multiplier, in sixteenths of the full weight, `elapsedMs` after the
 * server came up: 1 at once, growing linearly, 16 from `slowstartMs` on. (HAProxy counts
 * in whole seconds and re-evaluates at most once a second; this counts in ms.)
 */
export function slowStartFactor(elapsedMs: number, slowstartMs: number): number {
  if (!(slowstartMs > 0) || elapsedMs < 0 || elapsedMs >= slowstartMs) return WEIGHT_SCALE;
  return Math.floor((WEIGHT_SCALE * elapsedMs + slowstartMs) / slowstartMs);
}

/** Whether a state lets a server take new traffic (the weight must also be above 0). */
export function stateTakesTraffic(state: ServerState): boolean {
  return state === 'up';
}

/** Whether a state counts as "running" for slow start: leaving down or maint for one of these starts the ramp. */
export function stateIsRunning(state: ServerState): boolean {
  return state === 'up' || state === 'drain';
}
