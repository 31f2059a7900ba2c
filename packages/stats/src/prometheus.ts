// Prometheus text exposition as HAProxy 2.6's exporter (`http-request use-service
// prometheus-exporter`) prints it: process metrics, then per column the frontends,
// listeners, backends and servers, each family with its # HELP and # TYPE before its
// first sample. Names, label sets and the odd cases (NaN for an absent value, `%f` for
// seconds, one sample per state) follow the exporter.
import { collectStats, type StatRow } from './collect.ts';
import { type ObjectKind, STAT_COLUMNS, type StatColumn } from './columns.ts';
import { swrateAvg, TIME_STATS_SAMPLES } from './counters.ts';
import { INFO_FIELDS } from './info.ts';
import {
  CHECK_STATUSES,
  type CheckState,
  checkStatusCode,
  type ProxyState,
  type ServerState,
  SRV_ADMF,
  type StatsSource,
} from './source.ts';

export interface PrometheusOptions {
  /** Now in ms since the epoch (default Date.now()). */
  readonly now?: number;
  /** The `version` label of haproxy_process_build_info (default the info's `Build info`). */
  readonly version?: string;
  /** Which sections to print (default all), like the exporter's `scope` parameter. */
  readonly scopes?: readonly ('global' | ObjectKind)[];
}

type Labels = readonly (readonly [string, string])[];

const escapeLabel = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

class Out {
  text = '';
  private pendingHeader: string | null = null;

  family(name: string, help: string, type: string): void {
    this.pendingHeader = `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n`;
  }

  /** A sample; the family header goes out with the first one. */
  sample(name: string, labels: Labels, value: string): void {
    if (this.pendingHeader !== null) {
      this.text += this.pendingHeader;
      this.pendingHeader = null;
    }
    const l = labels.length ? `{${labels.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}` : '';
    this.text += `${name}${l} ${value}\n`;
  }

  /** Families whose samples continue another one's (hrsp 2xx… after 1xx) print no header. */
  noHeader(): void {
    this.pendingHeader = null;
  }
}

const num = (v: number | string | undefined): string =>
  typeof v === 'number' ? String(Math.trunc(v)) : 'NaN';
const seconds = (ms: number): string => (ms / 1000).toFixed(6);

const FRONT_STATES = ['DOWN', 'UP'] as const;
const BACK_STATES = ['DOWN', 'UP'] as const;
const SRV_STATES = ['DOWN', 'UP', 'MAINT', 'DRAIN', 'NOLB'] as const;
const LI_STATES = ['WAITING', 'OPEN', 'FULL'] as const;
// the check statuses the exporter lists: those that end a check (failed or passed)
const CHECK_STATES = CHECK_STATUSES.filter((s) => s.result >= 2).map((s) => s.name);
const L57DATA = checkStatusCode('L57DATA');
const CHECKED = checkStatusCode('CHECKED');

const HTTP_ONLY = new Set([
  'req_rate_max',
  'req_tot',
  'intercepted',
  'cache_lookups',
  'cache_hits',
  'comp_in',
  'comp_out',
  'comp_byp',
  'comp_rsp',
]);
const HRSP = ['hrsp_1xx', 'hrsp_2xx', 'hrsp_3xx', 'hrsp_4xx', 'hrsp_5xx', 'hrsp_other'];
const AVG_TIMES: Record<string, 'q_time' | 'c_time' | 'd_time' | 't_time'> = {
  qtime: 'q_time',
  ctime: 'c_time',
  rtime: 'd_time',
  ttime: 't_time',
};
const MAX_TIMES = new Set(['qtime_max', 'ctime_max', 'rtime_max', 'ttime_max']);

/** The exporter's server state (promex_srv_status). */
function promServerState(s: ServerState): (typeof SRV_STATES)[number] {
  let st: (typeof SRV_STATES)[number] = 'DOWN';
  if (s.opState === 'running' || s.opState === 'starting')
    st = (s.admin ?? 0) & SRV_ADMF.DRAIN ? 'DRAIN' : 'UP';
  else if (s.opState === 'stopping') st = 'NOLB';
  if ((s.admin ?? 0) & SRV_ADMF.MAINT) st = 'MAINT';
  return st;
}

const checkRunning = (c: CheckState | undefined): c is CheckState =>
  c !== undefined && c.enabled !== false && !c.paused;

interface Ctx {
  readonly out: Out;
  readonly proxies: readonly ProxyState[];
  readonly rows: ReadonlyMap<string, StatRow>;
}

const rowKey = (kind: ObjectKind, iid: number, sid: number) => `${kind}:${iid}:${sid}`;

function columnsFor(kind: ObjectKind): StatColumn[] {
  return STAT_COLUMNS.filter((c) => c.prometheus?.kinds.includes(kind));
}

function dumpFrontends(ctx: Ctx): void {
  const pxs = ctx.proxies.filter((p) => p.frontend && !p.disabled);
  for (const col of columnsFor('frontend')) {
    const name = `haproxy_frontend_${col.prometheus!.name}`;
    if (col.name === 'hrsp_1xx' || !HRSP.includes(col.name)) {
      ctx.out.family(name, col.prometheus!.help, col.prometheus!.type);
    } else ctx.out.noHeader();
    for (const px of pxs) {
      const labels: [string, string][] = [['proxy', px.name]];
      const row = ctx.rows.get(rowKey('frontend', px.id, 0));
      if (col.name === 'status') {
        const up = px.frontend!.stopped ? 0 : 1;
        FRONT_STATES.forEach((st, i) => {
          ctx.out.sample(name, [...labels, ['state', st]], String(Number(up === i)));
        });
        continue;
      }
      if ((HTTP_ONLY.has(col.name) || HRSP.includes(col.name)) && px.mode !== 'http') continue;
      if (HRSP.includes(col.name)) labels.push(['code', col.name.slice(5)]);
      ctx.out.sample(name, labels, num(row?.values[col.index]));
    }
  }
}

function dumpListeners(ctx: Ctx): void {
  const pxs = ctx.proxies.filter((p) => p.frontend && !p.disabled);
  for (const col of columnsFor('listener')) {
    const name = `haproxy_listener_${col.prometheus!.name}`;
    ctx.out.family(name, col.prometheus!.help, col.prometheus!.type);
    for (const px of pxs) {
      for (const li of px.listeners ?? []) {
        const labels: [string, string][] = [
          ['proxy', px.name],
          ['listener', li.name],
        ];
        if (col.name === 'status') {
          for (const st of LI_STATES) {
            ctx.out.sample(name, [...labels, ['state', st]], String(Number(li.status === st)));
          }
          continue;
        }
        const row = ctx.rows.get(rowKey('listener', px.id, li.id));
        ctx.out.sample(name, labels, num(row?.values[col.index]));
      }
    }
  }
}

function dumpBackends(ctx: Ctx): void {
  const pxs = ctx.proxies.filter((p) => p.backend && !p.disabled);
  for (const col of columnsFor('backend')) {
    const name = `haproxy_backend_${col.prometheus!.name}`;
    if (col.name === 'hrsp_1xx' || !HRSP.includes(col.name)) {
      ctx.out.family(name, col.prometheus!.help, col.prometheus!.type);
    } else ctx.out.noHeader();
    for (const px of pxs) {
      const be = px.backend!;
      const servers = px.servers ?? [];
      const labels: [string, string][] = [['proxy', px.name]];
      const row = ctx.rows.get(rowKey('backend', px.id, 0));
      const c = be.counters;
      switch (col.name) {
        case 'agg_server_status':
        case 'agg_server_check_status': {
          if (servers.length === 0) continue;
          for (const st of SRV_STATES) {
            const n = servers.filter((s) => promServerState(s) === st).length;
            ctx.out.sample(name, [...labels, ['state', st]], String(n));
          }
          continue;
        }
        case 'agg_check_status': {
          if (servers.length === 0) continue;
          for (const st of CHECK_STATES) {
            const n = servers.filter((s) => (s.check?.status ?? 'INI') === st).length;
            ctx.out.sample(name, [...labels, ['state', st]], String(n));
          }
          continue;
        }
        case 'status': {
          const up = be.weight > 0 || servers.length === 0 ? 1 : 0;
          BACK_STATES.forEach((st, i) => {
            ctx.out.sample(name, [...labels, ['state', st]], String(Number(up === i)));
          });
          continue;
        }
      }
      if ((HTTP_ONLY.has(col.name) || HRSP.includes(col.name)) && px.mode !== 'http') continue;
      if (HRSP.includes(col.name)) labels.push(['code', col.name.slice(5)]);
      const avg = AVG_TIMES[col.name];
      if (avg) ctx.out.sample(name, labels, seconds(swrateAvg(c[avg], TIME_STATS_SAMPLES)));
      else if (MAX_TIMES.has(col.name)) ctx.out.sample(name, labels, seconds(c[col.name as 'qtime_max']));
      else ctx.out.sample(name, labels, num(row?.values[col.index]));
    }
  }
}

function dumpServers(ctx: Ctx): void {
  const pxs = ctx.proxies.filter((p) => p.backend && !p.disabled);
  for (const col of columnsFor('server')) {
    const name = `haproxy_server_${col.prometheus!.name}`;
    if (col.name === 'hrsp_1xx' || !HRSP.includes(col.name)) {
      ctx.out.family(name, col.prometheus!.help, col.prometheus!.type);
    } else ctx.out.noHeader();
    for (const px of pxs) {
      for (const s of px.servers ?? []) {
        const labels: [string, string][] = [
          ['proxy', px.name],
          ['server', s.name],
        ];
        const row = ctx.rows.get(rowKey('server', px.id, s.id));
        const c = s.counters;
        if (col.name === 'status') {
          const state = promServerState(s);
          for (const st of SRV_STATES)
            ctx.out.sample(name, [...labels, ['state', st]], String(Number(st === state)));
          continue;
        }
        if (col.name === 'check_status') {
          if (!checkRunning(s.check)) continue;
          for (const st of CHECK_STATES) {
            ctx.out.sample(name, [...labels, ['state', st]], String(Number(s.check.status === st)));
          }
          continue;
        }
        if (col.name === 'check_code') {
          if (!checkRunning(s.check)) continue;
          const code = checkStatusCode(s.check.status) < L57DATA ? 0 : (s.check.code ?? 0);
          ctx.out.sample(name, labels, String(code));
          continue;
        }
        if (col.name === 'check_duration') {
          if (checkStatusCode(s.check?.status ?? 'INI') < CHECKED) continue;
          ctx.out.sample(name, labels, seconds(s.check?.duration ?? 0));
          continue;
        }
        if (HRSP.includes(col.name)) {
          if (px.mode !== 'http') continue;
          labels.push(['code', col.name.slice(5)]);
        }
        const avg = AVG_TIMES[col.name];
        if (avg) ctx.out.sample(name, labels, seconds(swrateAvg(c[avg], TIME_STATS_SAMPLES)));
        else if (MAX_TIMES.has(col.name)) ctx.out.sample(name, labels, seconds(c[col.name as 'qtime_max']));
        else ctx.out.sample(name, labels, num(row?.values[col.index]));
      }
    }
  }
}

/** The exporter's page body (Content-Type: text/plain; version=0.0.4). */
export function renderPrometheus(source: StatsSource, opts: PrometheusOptions = {}): string {
  const scopes = new Set(opts.scopes ?? ['global', 'frontend', 'listener', 'backend', 'server']);
  const out = new Out();
  if (scopes.has('global')) {
    const info = source.info();
    for (const f of INFO_FIELDS) {
      const p = f.prometheus;
      const v = info[f.name];
      if (!p) continue;
      const name = `haproxy_process_${p.name}`;
      out.family(name, f.desc, p.type);
      // an absent value is exported as NaN, as HAProxy does for the zlib ones without zlib
      if (f.name === 'Build info') out.sample(name, [['version', opts.version ?? String(v ?? '')]], '1');
      else out.sample(name, [], num(v));
    }
  }
  const proxies = [...source.proxies()];
  const rows = new Map<string, StatRow>();
  const query = opts.now !== undefined ? { now: opts.now, legends: false } : { legends: false };
  for (const r of collectStats({ info: () => ({}), proxies: () => proxies }, query)) {
    rows.set(rowKey(r.kind, r.iid, r.sid), r);
  }
  const ctx: Ctx = { out, proxies, rows };
  if (scopes.has('frontend')) dumpFrontends(ctx);
  if (scopes.has('listener')) dumpListeners(ctx);
  if (scopes.has('backend')) dumpBackends(ctx);
  if (scopes.has('server')) dumpServers(ctx);
  return out.text;
}
