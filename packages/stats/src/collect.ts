// From a StatsSource to rows of values by column, with HAProxy 2.6's rules for which
// fields each kind of row fills (stats_fill_{fe,li,sv,be}_stats): an absent value is an
// empty CSV cell and no line in `typed`/`json`.

import { columnIndex, type ObjectKind, STAT_COLUMNS } from './columns.ts';
import { averageTime } from './counters.ts';
import {
  CHECK_STATUSES,
  type CheckState,
  checkStatusCode,
  type ProxyState,
  type ServerState,
  SRV_ADMF,
  type StatsSource,
  serverStatusText,
} from './source.ts';

export type StatValue = number | string | undefined;

/** One line of `show stat`. */
export interface StatRow {
  readonly kind: ObjectKind;
  /** Proxy id (iid) and object id (sid: 0 for frontends and backends). */
  readonly iid: number;
  readonly sid: number;
  /** Values by column index (STAT_COLUMNS). */
  readonly values: readonly StatValue[];
}

/** `type` bits of `show stat <proxy> <type> <sid>`. */
export const STATS_TYPE = { frontend: 1, backend: 2, server: 4, listener: 8 } as const;

export interface StatsQuery {
  /** Print addr, cookie and algo: on a CLI at level operator or admin, or `stats show-legends`. Default true. */
  readonly legends?: boolean;
  /** Only this proxy (its id). */
  readonly proxyId?: number;
  /** Bit mask of STATS_TYPE (-1: all). Only read with proxyId. */
  readonly types?: number;
  /** Only this server or listener id (-1: all). Only read with proxyId. */
  readonly objectId?: number;
  /** `up`: hide servers that are DOWN and not changing state, and those in maintenance. */
  readonly hideDown?: boolean;
  /** `no-maint`: hide servers in maintenance. */
  readonly hideMaint?: boolean;
  /** Now in ms since the epoch (default Date.now()). */
  readonly now?: number;
}

const N = STAT_COLUMNS.length;
const TYPE_CODE: Record<ObjectKind, number> = { frontend: 0, backend: 1, server: 2, listener: 3 };
const L57DATA = checkStatusCode('L57DATA');
const CHECKED = checkStatusCode('CHECKED');

// Columns copied straight from the counter object of the same name, per kind.
const COUNTED: Record<ObjectKind, readonly string[]> = {
  frontend: [
    'smax',
    'stot',
    'bin',
    'bout',
    'dreq',
    'dresp',
    'ereq',
    'dcon',
    'dses',
    'rate_max',
    'wrew',
    'eint',
    'req_rate_max',
    'req_tot',
    'comp_in',
    'comp_out',
    'comp_byp',
    'comp_rsp',
    'conn_rate_max',
    'conn_tot',
  ],
  listener: ['smax', 'stot', 'bin', 'bout', 'dreq', 'dresp', 'ereq', 'dcon', 'dses', 'wrew', 'eint'],
  backend: [
    'qmax',
    'smax',
    'stot',
    'bin',
    'bout',
    'dreq',
    'dresp',
    'econ',
    'eresp',
    'wretr',
    'wredis',
    'wrew',
    'eint',
    'connect',
    'reuse',
    'lbtot',
    'rate_max',
    'cli_abrt',
    'srv_abrt',
    'comp_in',
    'comp_out',
    'comp_byp',
    'comp_rsp',
    'qtime_max',
    'ctime_max',
    'rtime_max',
    'ttime_max',
  ],
  server: [
    'qmax',
    'smax',
    'stot',
    'bin',
    'bout',
    'dresp',
    'econ',
    'eresp',
    'wretr',
    'wredis',
    'wrew',
    'eint',
    'connect',
    'reuse',
    'lbtot',
    'rate_max',
    'cli_abrt',
    'srv_abrt',
    'qtime_max',
    'ctime_max',
    'rtime_max',
    'ttime_max',
  ],
};
// HTTP-only columns, filled in mode http.
const HTTP_ONLY: Record<ObjectKind, readonly string[]> = {
  frontend: [
    'hrsp_1xx',
    'hrsp_2xx',
    'hrsp_3xx',
    'hrsp_4xx',
    'hrsp_5xx',
    'hrsp_other',
    'intercepted',
    'cache_lookups',
    'cache_hits',
  ],
  listener: [],
  backend: [
    'req_tot',
    'hrsp_1xx',
    'hrsp_2xx',
    'hrsp_3xx',
    'hrsp_4xx',
    'hrsp_5xx',
    'hrsp_other',
    'cache_lookups',
    'cache_hits',
  ],
  server: ['req_tot', 'hrsp_1xx', 'hrsp_2xx', 'hrsp_3xx', 'hrsp_4xx', 'hrsp_5xx', 'hrsp_other'],
};
// Module columns (after the '-') each kind fills from its counters.
const MODULES: Record<ObjectKind, readonly string[]> = {
  frontend: STAT_COLUMNS.filter((c) => c.module !== null).map((c) => c.name),
  backend: STAT_COLUMNS.filter((c) => c.module !== null).map((c) => c.name),
  listener: STAT_COLUMNS.filter((c) => c.module === 'ssl').map((c) => c.name),
  server: STAT_COLUMNS.filter((c) => c.module === 'ssl').map((c) => c.name),
};
const IDX = new Map(STAT_COLUMNS.map((c) => [c.name, c.index]));

class RowBuilder {
  readonly values: StatValue[] = new Array<StatValue>(N).fill(undefined);
  set(name: string, v: StatValue): void {
    this.values[IDX.get(name) ?? columnIndex(name)] = v;
  }
  copy(from: object, names: readonly string[]): void {
    const rec = from as Record<string, unknown>;
    for (const n of names) {
      const v = rec[n];
      if (typeof v === 'number') this.set(n, v);
    }
  }
}

function head(b: RowBuilder, kind: ObjectKind, px: ProxyState, svname: string, sid: number): void {
  b.set('pxname', px.name);
  b.set('svname', svname);
  b.set('mode', px.mode);
  b.set('pid', 1);
  b.set('iid', px.id);
  b.set('sid', sid);
  b.set('type', TYPE_CODE[kind]);
}

function frontendRow(px: ProxyState, now: number): StatRow | null {
  const fe = px.frontend;
  if (!fe) return null;
  const c = fe.counters;
  const b = new RowBuilder();
  head(b, 'frontend', px, 'FRONTEND', 0);
  b.copy(c, COUNTED.frontend);
  if (px.mode === 'http') b.copy(c, HTTP_ONLY.frontend);
  b.copy(c, MODULES.frontend);
  b.set('scur', fe.scur);
  b.set('slim', fe.maxconn);
  b.set('status', fe.stopped || px.disabled ? 'STOP' : 'OPEN');
  b.set('rate', c.sess_per_sec.read(now));
  b.set('rate_lim', fe.rateLimit ?? 0);
  b.set('req_rate', c.req_per_sec.read(now));
  b.set('conn_rate', c.conn_per_sec.read(now));
  return { kind: 'frontend', iid: px.id, sid: 0, values: b.values };
}

function listenerRows(px: ProxyState, q: StatsQuery): StatRow[] {
  const rows: StatRow[] = [];
  for (const li of px.listeners ?? []) {
    const b = new RowBuilder();
    head(b, 'listener', px, li.name, li.id);
    b.copy(li.counters, COUNTED.listener);
    b.copy(li.counters, MODULES.listener);
    b.set('scur', li.scur);
    b.set('slim', li.maxconn);
    b.set('status', li.status);
    if (q.legends !== false) b.set('addr', li.addr);
    rows.push({ kind: 'listener', iid: px.id, sid: li.id, values: b.values });
  }
  return rows;
}

const on = (c: CheckState | undefined): c is CheckState => c !== undefined && c.enabled !== false;
const running = (c: CheckState | undefined): c is CheckState => on(c) && !c.paused;

function checkFields(
  b: RowBuilder,
  prefix: 'check' | 'agent',
  own: CheckState | undefined,
  ref: CheckState | undefined,
): void {
  if (!running(own)) return;
  const code = checkStatusCode(own.status);
  const last = prefix === 'check' ? 'last_chk' : 'last_agt';
  b.set(`${prefix}_status`, (own.inProgress ? '* ' : '') + own.status);
  if (code >= L57DATA) b.set(`${prefix}_code`, own.code ?? 0);
  if (prefix === 'agent' || code >= CHECKED) b.set(`${prefix}_duration`, own.duration ?? 0);
  b.set(`${prefix}_desc`, CHECK_STATUSES[code]?.desc ?? '');
  b.set(last, own.desc ?? '');
  const levels = prefix === 'check' ? (ref ?? own) : own;
  b.set(`${prefix}_rise`, levels.rise);
  b.set(`${prefix}_fall`, levels.fall);
  b.set(`${prefix}_health`, levels.health);
}

/** Whether `up` hides this server: in maintenance, or DOWN and not on its way up. */
function downAndStable(s: ServerState): boolean {
  if ((s.admin ?? 0) & SRV_ADMF.MAINT) return true;
  if (s.opState !== 'stopped') return false;
  const check = s.tracked ? s.tracked.check : s.check;
  const agent = s.tracked ? s.tracked.agent : s.agent;
  if (!on(check) && !on(agent)) return true;
  return (on(agent) && agent.health === 0) || (on(check) && check.health === 0);
}

function serverRows(px: ProxyState, q: StatsQuery, now: number): StatRow[] {
  const nowSec = Math.floor(now / 1000);
  const rows: StatRow[] = [];
  const samplesOf = (s: ServerState) => (px.mode === 'http' ? s.counters.req_tot : s.counters.lbtot);
  for (const s of px.servers ?? []) {
    if (q.proxyId !== undefined && q.objectId !== undefined && q.objectId !== -1 && s.id !== q.objectId)
      continue;
    if (q.hideMaint && (s.admin ?? 0) & SRV_ADMF.MAINT) continue;
    if (q.hideDown && downAndStable(s)) continue;
    const c = s.counters;
    const b = new RowBuilder();
    head(b, 'server', px, s.name, s.id);
    b.copy(c, COUNTED.server);
    if (px.mode === 'http') b.copy(c, HTTP_ONLY.server);
    b.copy(c, MODULES.server);
    b.set('qcur', s.qcur);
    b.set('scur', s.scur);
    if (s.maxconn) b.set('slim', s.maxconn);
    b.set('srv_icur', s.idle?.cur ?? 0);
    if (s.idle?.limit !== undefined) b.set('src_ilim', s.idle.limit);
    b.set('idle_conn_cur', s.idle?.unsafe ?? 0);
    b.set('safe_conn_cur', s.idle?.safe ?? 0);
    b.set('used_conn_cur', s.idle?.used ?? 0);
    b.set('need_conn_est', s.idle?.needEst ?? 0);
    b.set('status', s.status ?? serverStatusText(s));
    b.set('lastchg', nowSec - s.lastChange);
    b.set('weight', s.weight);
    b.set('uweight', s.uweight);
    b.set('act', s.backup ? 0 : 1);
    b.set('bck', s.backup ? 1 : 0);
    if (on(s.check)) {
      b.set('chkfail', c.chkfail);
      b.set('chkdown', c.chkdown);
      b.set('downtime', s.downtime ?? 0);
    }
    if (s.maxqueue) b.set('qlimit', s.maxqueue);
    const draining = ((s.admin ?? 0) & SRV_ADMF.DRAIN) !== 0;
    if (s.opState === 'starting' && !draining && s.throttle !== undefined) b.set('throttle', s.throttle);
    if (s.tracked) b.set('tracked', `${s.tracked.proxy}/${s.tracked.server}`);
    b.set('rate', c.sess_per_sec.read(now));
    checkFields(b, 'check', s.check, s.tracked?.check);
    checkFields(b, 'agent', s.agent, undefined);
    if (s.observe) b.set('hanafail', c.hanafail);
    b.set('lastsess', c.last_sess ? nowSec - c.last_sess : -1);
    const samples = samplesOf(s);
    b.set('qtime', averageTime(c.q_time, samples));
    b.set('ctime', averageTime(c.c_time, samples));
    b.set('rtime', averageTime(c.d_time, samples));
    b.set('ttime', averageTime(c.t_time, samples));
    if (q.legends !== false) {
      b.set('addr', s.addr);
      if (s.cookie !== undefined) b.set('cookie', s.cookie);
    }
    rows.push({ kind: 'server', iid: px.id, sid: s.id, values: b.values });
  }
  return rows;
}

/** Whether a server takes traffic (HAProxy's srv_currently_usable). */
export function serverUsable(s: ServerState): boolean {
  if (!s.weight) return false;
  if ((s.admin ?? 0) & (SRV_ADMF.MAINT | SRV_ADMF.DRAIN)) return false;
  return s.opState === 'running' || s.opState === 'starting';
}

/** A backend's `uweight`: the user weights of the servers that take traffic now. */
function backendUweight(px: ProxyState): number {
  const servers = px.servers ?? [];
  const be = px.backend;
  if (!be) return 0;
  let total = 0;
  for (const s of servers) {
    if (s.opState !== 'stopped' && serverUsable(s) && !be.act === !!s.backup) total += s.uweight;
  }
  if (!be.act && !be.allBackups) {
    // without allbackups only the first usable backup takes traffic
    const first = servers.find((s) => s.backup && serverUsable(s));
    if (first) total = first.uweight;
  }
  return total;
}

function backendRow(px: ProxyState, q: StatsQuery, now: number): StatRow | null {
  const nowSec = Math.floor(now / 1000);
  const be = px.backend;
  if (!be) return null;
  const c = be.counters;
  const servers = px.servers ?? [];
  const b = new RowBuilder();
  head(b, 'backend', px, 'BACKEND', 0);
  b.copy(c, COUNTED.backend);
  if (px.mode === 'http') b.copy(c, HTTP_ONLY.backend);
  b.copy(c, MODULES.backend);
  b.set('qcur', be.qcur);
  b.set('scur', be.scur);
  b.set('slim', be.fullconn);
  let status = be.weight > 0 || servers.length === 0 ? 'UP' : 'DOWN';
  if (q.hideDown || q.hideMaint) {
    const up = servers.filter((s) => s.opState !== 'stopped').length;
    status += ` (${up}/${servers.length})`;
  }
  b.set('status', status);
  b.set('agg_server_status', 0);
  b.set('agg_server_check_status', 0);
  b.set('agg_check_status', 0);
  b.set('weight', be.weight);
  b.set('uweight', backendUweight(px));
  b.set('act', be.act);
  b.set('bck', be.bck);
  b.set('chkdown', be.chkdown);
  b.set('lastchg', nowSec - be.lastChange);
  if (servers.length > 0) b.set('downtime', be.downtime);
  b.set('rate', c.sess_per_sec.read(now));
  b.set('lastsess', c.last_sess ? nowSec - c.last_sess : -1);
  const samples = px.mode === 'http' ? c.req_tot : c.lbtot;
  b.set('qtime', averageTime(c.q_time, samples));
  b.set('ctime', averageTime(c.c_time, samples));
  b.set('rtime', averageTime(c.d_time, samples));
  b.set('ttime', averageTime(c.t_time, samples));
  if (q.legends !== false) {
    if (be.cookie !== undefined) b.set('cookie', be.cookie);
    b.set('algo', be.algo);
  }
  return { kind: 'backend', iid: px.id, sid: 0, values: b.values };
}

/**
 * The rows of `show stat`, in HAProxy's order: for each proxy its frontend, its listeners,
 * its servers, its backend. `query` selects like `show stat <iid> <type> <sid>`, `up` and
 * `no-maint`.
 */
export function collectStats(source: StatsSource, query: StatsQuery = {}): StatRow[] {
  const now = query.now ?? Date.now();
  const bound = query.proxyId !== undefined;
  const types = bound ? (query.types ?? -1) : -1;
  const rows: StatRow[] = [];
  for (const px of source.proxies()) {
    if (bound && query.proxyId !== -1 && px.id !== query.proxyId) continue;
    if (types & STATS_TYPE.frontend) {
      const r = frontendRow(px, now);
      if (r) rows.push(r);
    }
    if (types & STATS_TYPE.listener) {
      const sid = bound ? (query.objectId ?? -1) : -1;
      rows.push(...listenerRows(px, query).filter((r) => sid === -1 || r.sid === sid));
    }
    if (types & STATS_TYPE.server) rows.push(...serverRows(px, query, now));
    if (types & STATS_TYPE.backend) {
      const r = backendRow(px, query, now);
      if (r) rows.push(r);
    }
  }
  return rows;
}
