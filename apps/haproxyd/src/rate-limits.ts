/**
 * The process's accept rates and their limits (HAProxy's global `maxconnrate`,
 * `maxsessrate`, `maxsslrate`, `maxcomprate`), a frontend's `rate-limit sessions`, what
 * `show info` reports of them and the `set rate-limit` command. The limiting itself is
 * `@hap/listeners`' (`RateLimit`): a listener whose rate is reached holds new connections
 * until the sliding second has room, as HAProxy leaves them in the kernel's backlog.
 *
 * When the rates are counted: HAProxy counts them always, for `show info`. Here they are
 * counted when something can read or use them — a global limit is configured, or the
 * runtime API can be reached (a `stats socket`, or a master's CLI in master-worker mode:
 * the only places `show info` and `set rate-limit` are answered). Otherwise the listeners
 * get no rate and pay one null check per connection.
 */
import type { ConfigModel, ProxyModel } from '@hap/config';
import { nowMs, RateLimit } from '@hap/listeners';

export interface ProcessRates {
  /** Connections handed to the frontends (HAProxy's conn_per_sec, `maxconnrate`). */
  readonly connections: RateLimit;
  /** Connections kept as sessions: not refused by tcp-request rules (sess_per_sec, `maxsessrate`). */
  readonly sessions: RateLimit;
  /** Sessions on `ssl` bind lines (ssl_per_sec, `maxsslrate`). */
  readonly ssl: RateLimit;
  /** `maxcomprate` in bytes per second; haproxyd compresses nothing, so it bounds nothing. */
  compression: number;
  /** Whether the listeners count these rates (see the module comment). */
  readonly counted: boolean;
}

/** The process's rates as the configuration sets them; `cli`: the runtime API can be reached. */
export function processRates(model: ConfigModel, cli: boolean): ProcessRates {
  const g = model.global;
  return {
    connections: new RateLimit(g.maxconnrate, 'connection'),
    sessions: new RateLimit(g.maxsessrate, 'session'),
    ssl: new RateLimit(g.maxsslrate, 'session'),
    compression: g.maxcomprate,
    counted: cli || g.maxconnrate !== 0 || g.maxsessrate !== 0 || g.maxsslrate !== 0,
  };
}

/** A frontend's `rate-limit sessions`, counted on every connection it accepts (none: undefined). */
export function frontendRate(proxy: ProxyModel): RateLimit | undefined {
  return proxy.rateLimitSessions !== 0 ? new RateLimit(proxy.rateLimitSessions, 'connection') : undefined;
}

/**
 * The rates a listener counts and obeys, in the order HAProxy checks them: process
 * sessions, process connections, SSL sessions (TLS listeners), the frontend's sessions.
 */
export function listenerRates(p: ProcessRates, frontend: RateLimit | undefined, tls: boolean): RateLimit[] {
  const rates: RateLimit[] = [];
  if (p.counted) {
    rates.push(p.sessions, p.connections);
    if (tls) rates.push(p.ssl);
  }
  if (frontend !== undefined) rates.push(frontend);
  return rates;
}

/** The `show info` fields of the rates. */
export function rateInfo(p: ProcessRates, now: number = nowMs()): Record<string, number> {
  return {
    ConnRate: p.connections.rate(now),
    ConnRateLimit: p.connections.max,
    MaxConnRate: p.connections.peak,
    SessRate: p.sessions.rate(now),
    SessRateLimit: p.sessions.max,
    MaxSessRate: p.sessions.peak,
    SslRate: p.ssl.rate(now),
    SslRateLimit: p.ssl.max,
    MaxSslRate: p.ssl.peak,
    CompressBpsRateLim: p.compression,
  };
}

/** `clear counters`: the maxima start again (HAProxy resets them with or without `all`). */
export function clearRatePeaks(p: ProcessRates): void {
  p.connections.peak = 0;
  p.sessions.peak = 0;
  p.ssl.peak = 0;
}

const USAGE =
  "'set rate-limit' only supports :\n" +
  "   - 'connections global' to set the per-process maximum connection rate\n" +
  "   - 'sessions global' to set the per-process maximum session rate\n" +
  "   - 'ssl-sessions global' to set the per-process maximum SSL session rate\n" +
  "   - 'http-compression global' to set the per-process maximum compression speed in kB/s\n";

/** C's atoi() as a 32-bit int. */
function atoi(s: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(s);
  if (!m) return 0;
  return Number(BigInt.asIntN(32, BigInt(m[1]!)));
}

/**
 * `set rate-limit <setting> global <value>` (admin): HAProxy's answers, word for word. The
 * value is read with atoi() (no digits: 0, which removes the limit); a negative one is
 * refused. The listeners a limit held re-check at once.
 */
export function setRateLimit(p: ProcessRates, args: readonly string[]): string {
  const what = args[2] ?? '';
  const scope = args[3] ?? '';
  let limit: RateLimit | undefined;
  let compression = false;
  if (scope === 'global') {
    if (what === 'connections') limit = p.connections;
    else if (what === 'sessions') limit = p.sessions;
    else if (what === 'ssl-sessions') limit = p.ssl;
    else if (what === 'http-compression') compression = true;
  }
  if (limit === undefined && !compression) return USAGE;
  const word = args[4] ?? '';
  if (word === '') return 'Expects an integer value.\n';
  const v = atoi(word);
  if (v < 0) return 'Value out of range.\n';
  if (compression) {
    p.compression = Math.imul(v, 1024) >>> 0;
    return '';
  }
  limit!.setMax(v);
  return '';
}
