/**
 * Server state carried from one process to the next, applied before the new process accepts
 * a connection and before its health checks start:
 *
 * - HAProxy's `server-state-file` / `server-state-base` (global) and
 *   `load-server-state-from-file global|local|none` / `server-state-file-name`
 *   (defaults, backend, listen): the file `show servers state` writes (version 1, from
 *   haproxyd or from HAProxy), read at start-up — plain starts, `-D`, `-sf`/`-st` reloads.
 * - In master-worker mode, the hand-over from the old worker to the new one at each reload
 *   (`@hap/master`'s state channel), whatever the configuration says: the same
 *   `show servers state` text, plus the proxies' and servers' counters.
 *
 * Both follow HAProxy's rules for a server whose configuration changed (see `applyRow`):
 * a server is matched by backend and server names; a `weight` changed in the configuration
 * wins over the one set at run time; `disabled` added or removed in the configuration wins
 * over the maintenance state of the previous process; the port (`srv_port`) of the previous
 * process is always applied, its address (`srv_addr`) only to a server the configuration
 * names by a host name (`init-addr last`), and the checks' own addresses and ports as
 * `set server … check-addr|agent-addr` would (for a hand-over, only when the new
 * configuration did not change the server's addresses). A server that is no longer in the
 * configuration leaves its state behind.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CheckStatus } from '@hap/checks';
import type { ProxyModel } from '@hap/config';
import { CHECK_STATUSES, SRV_ADMF, serverUsable, showServersState } from '@hap/stats';
import { statsOf } from './runtime-cli.ts';
import { chain } from './runtime-http.ts';
import { applyStateAddresses, stateUint } from './runtime-server-addr.ts';
import type { Daemon } from './serve.ts';
import { effectiveState, type ProxyRecord, type ServerRecord } from './stats-source.ts';

/** One server line of a state file: its backend and server, then the version-1 fields from srv_addr on. */
interface StateRow {
  readonly beId: string;
  readonly beName: string;
  readonly srvName: string;
  readonly params: readonly string[];
  /** bk_f_forced_id */
  readonly beForced: boolean;
}

type Parsed =
  | { ok: true; rows: StateRow[] }
  | { ok: false; why: 'version' }
  | { ok: false; why: 'corrupted'; line: number };

/** Fields of a version-1 line: 20 (up to srvrecord) to 25 (up to srv_agent_port). */
const MIN_FIELDS = 20;
const MAX_FIELDS = 25;

/**
 * Reads a `show servers state` text: the first line is the version (only 1 is known), then
 * one line per server; blank lines and `#` comments are skipped. A line with a wrong number
 * of fields, or a last line without its newline, makes the whole file corrupted (HAProxy's
 * reading).
 */
export function parseServersState(text: string): Parsed {
  const nl = text.indexOf('\n');
  if (nl < 0 || !/^\d+$/.test(text.slice(0, nl).trim()) || Number(text.slice(0, nl)) !== 1)
    return { ok: false, why: 'version' };
  const rows: StateRow[] = [];
  let pos = nl + 1;
  for (let line = 1; pos < text.length; line++) {
    const end = text.indexOf('\n', pos);
    if (end < 0) return { ok: false, why: 'corrupted', line };
    const raw = text.slice(pos, end);
    pos = end + 1;
    const body = raw.replace(/^[ \t]+/, '');
    if (body === '' || body.startsWith('#')) continue;
    const f = body.split(/[ \t]+/).filter((x) => x !== '');
    if (f.length < MIN_FIELDS || f.length > MAX_FIELDS) return { ok: false, why: 'corrupted', line };
    rows.push({
      beId: f[0]!,
      beName: f[1]!,
      srvName: f[3]!,
      params: f.slice(4),
      beForced: (leadingInt(f[15]!) ?? 0) === 1,
    });
  }
  return { ok: true, rows };
}

/** strtol(): the leading integer of a field, undefined when it has none. */
function leadingInt(s: string): number | undefined {
  const m = /^[ \t]*([-+]?\d+)/.exec(s);
  return m === null ? undefined : Number(m[1]);
}

// --- what the configuration asks for ------------------------------------------------------

type Mode = 'global' | 'local' | 'none';

function lastIn(d: Daemon, p: ProxyModel, keyword: string): string[] | undefined {
  for (const s of chain(d.model, p)) {
    const x = s.directives.findLast((y) => y.keyword === keyword);
    if (x !== undefined) return x.args;
  }
  return undefined;
}

function globalArg(d: Daemon, keyword: string): string | undefined {
  return d.model.global.directives.findLast((x) => x.keyword === keyword)?.args[1];
}

/** HAProxy's path rule: absolute, or under `server-state-base` when set. */
function statePath(d: Daemon, name: string): string {
  const base = globalArg(d, 'server-state-base');
  return name.startsWith('/') || base === undefined ? name : join(base, name);
}

/** The state files the configuration names, read now (before chroot): what restore() applies. */
export interface StateFiles {
  /** The global file's rows keyed `backend server`, or undefined (none, unreadable, bad). */
  global: Map<string, StateRow> | undefined;
  /** Each `local` backend's file: its rows, or undefined when it could not be used. */
  local: Map<string, { path: string; rows: StateRow[] | undefined }>;
  /** Backends that load nothing from a file. */
  modes: Map<string, Mode>;
}

function errnoText(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'No such file or directory';
  if (code === 'EACCES') return 'Permission denied';
  if (code === 'EISDIR') return 'Is a directory';
  return (err as Error).message;
}

/** Backends that can take a state: enabled, with servers (HAProxy skips the others). */
function stateBackends(d: Daemon): ProxyModel[] {
  return d.model.proxies.filter(
    (p) => (p.kind === 'backend' || p.kind === 'listen') && !p.disabled && p.servers.length > 0,
  );
}

/** True when some backend loads a state file (the feature costs nothing otherwise). */
export function wantsStateFiles(d: Daemon): boolean {
  return stateBackends(d).some((p) => {
    const m = lastIn(d, p, 'load-server-state-from-file')?.[1];
    return m === 'global' || m === 'local';
  });
}

/** Reads the files of `load-server-state-from-file`; warnings in HAProxy's words. */
export function readStateFiles(d: Daemon, warn: (text: string) => void): StateFiles {
  const out: StateFiles = { global: undefined, local: new Map(), modes: new Map() };
  const backends = stateBackends(d);
  for (const p of backends) {
    const m = lastIn(d, p, 'load-server-state-from-file')?.[1];
    out.modes.set(p.name, m === 'global' || m === 'local' ? m : 'none');
  }
  const globalFile = globalArg(d, 'server-state-file');
  if (globalFile !== undefined && [...out.modes.values()].includes('global')) {
    const path = statePath(d, globalFile);
    let text: string | undefined;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      warn(`config: Can't open global server state file '${path}': ${errnoText(err)}`);
    }
    if (text !== undefined) {
      const r = parseServersState(text);
      if (!r.ok && r.why === 'version')
        warn(`config: Can't get version of the global server state file '${path}'.`);
      else if (!r.ok) warn(`config: corrupted global server state file '${path}' at line ${r.line}.`);
      else {
        out.global = new Map();
        // the first line of a backend/server wins (a hand-made file may repeat one)
        for (const row of r.rows) {
          const key = `${row.beName} ${row.srvName}`;
          if (!out.global.has(key)) out.global.set(key, row);
        }
      }
    }
  }
  for (const p of backends) {
    if (out.modes.get(p.name) !== 'local') continue;
    const args = lastIn(d, p, 'server-state-file-name');
    const name = args?.[1] === undefined || args[1] === 'use-backend-name' ? p.name : args[1];
    const path = statePath(d, name);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      warn(`Proxy '${p.name}': Can't open server state file '${path}': ${errnoText(err)}.`);
      out.local.set(p.name, { path, rows: undefined });
      continue;
    }
    const r = parseServersState(text);
    if (!r.ok) {
      warn(
        r.why === 'version'
          ? `Proxy '${p.name}': Can't get version of the server state file '${path}'.`
          : `Proxy '${p.name}': corrupted server state file '${path}' at line ${r.line}.`,
      );
      out.local.set(p.name, { path, rows: undefined });
      continue;
    }
    out.local.set(p.name, { path, rows: r.rows });
  }
  return out;
}

// --- applying a line to a server -----------------------------------------------------------

const OP = { stopped: 0, starting: 1, running: 2, stopping: 3 } as const;
const LOADED_ADMIN = new Set([
  0,
  SRV_ADMF.FMAINT,
  SRV_ADMF.CMAINT,
  SRV_ADMF.CMAINT | SRV_ADMF.FMAINT,
  SRV_ADMF.CMAINT | SRV_ADMF.FDRAIN,
  SRV_ADMF.FDRAIN,
]);
const CHK_ST_ALL = 0x1f;

interface Where {
  readonly d: Daemon;
  readonly r: ProxyRecord;
  readonly s: ServerRecord;
  /** Sentences of the state changes (files, as HAProxy prints them at start); none for a hand-over. */
  readonly say: ((text: string) => void) | undefined;
  readonly warn: (text: string) => void;
  readonly nowMs: number;
  /**
   * Whether the line's addresses apply (HAProxy's rules): always for a file; for a hand-over
   * only when the configuration did not change this server's addresses (then it wins, as a
   * changed weight does).
   */
  readonly addresses: boolean;
}

/** The fields of a version-1 line, checked as HAProxy checks them; a list of complaints when wrong. */
function readRow(p: readonly string[]) {
  const bad: string[] = [];
  const field = (i: number, name: string, ok: (n: number) => boolean): number => {
    const v = leadingInt(p[i] ?? '');
    if (v === undefined || !ok(v)) {
      bad.push(`invalid ${name} value '${p[i] ?? ''}'`);
      return 0;
    }
    return v;
  };
  const op = field(1, 'srv_op_state', (n) => n >= 0 && n <= 3);
  let admin = leadingInt(p[2] ?? '');
  // inherited flags (tracking, resolution, FQDN from the CLI) are recomputed, not loaded
  if (admin !== undefined) admin &= ~(SRV_ADMF.IDRAIN | SRV_ADMF.IMAINT | SRV_ADMF.HMAINT | SRV_ADMF.RMAINT);
  if (admin === undefined || !LOADED_ADMIN.has(admin)) {
    bad.push(`invalid srv_admin_state value '${p[2] ?? ''}'`);
    admin = 0;
  }
  const uweight = field(3, 'srv_uweight', (n) => n >= 0 && n <= 256);
  const iweight = field(4, 'srv_iweight', (n) => n >= 0 && n <= 256);
  const since = field(5, 'srv_last_time_change', () => true);
  const status = field(6, 'srv_check_status', (n) => n >= 0 && n < CHECK_STATUSES.length);
  field(7, 'srv_check_result', (n) => n >= 0 && n <= 4);
  const health = field(8, 'srv_check_health', () => true);
  field(9, 'srv_check_state', (n) => n >= 0 && (n & ~CHK_ST_ALL) === 0);
  field(10, 'srv_agent_state', (n) => n >= 0 && (n & ~CHK_ST_ALL) === 0);
  field(11, 'bk_f_forced_id', (n) => n === 0 || n === 1);
  field(12, 'srv_f_forced_id', (n) => n === 0 || n === 1);
  if (p[14] !== undefined && stateUint(p[14]) > 65535) bad.push(`invalid srv_port value '${p[14]}'`);
  return { bad, op, admin, uweight, iweight, since, status, health };
}

/** The servers of the backend that can take traffic, counted as HAProxy's sentences count them. */
function usableCounts(w: Where): { active: number; backup: number } {
  const stats = statsOf(w.d);
  let active = 0;
  let backup = 0;
  for (const s of stats.proxyState(w.r).servers ?? []) {
    if (!serverUsable(s)) continue;
    if (s.backup) backup++;
    else active++;
  }
  return { active, backup };
}

/**
 * HAProxy's rules for one server (srv_state_srv_update): the operational state and health
 * from the line; maintenance from the line unless `disabled` was added or removed in the
 * configuration; a forced drain kept unless it only came from a configured weight of 0;
 * the run-time weight kept only when the configured weight did not change.
 */
function applyRow(w: Where, p: readonly string[]): void {
  const { d, r, s } = w;
  const id = `${r.model.name}/${s.model.name}`;
  const v = readRow(p);
  if (v.bad.length > 0) {
    w.warn(`server-state application failed for server '${id}', ${v.bad.join(', ')}`);
    return;
  }
  const m = s.model;
  const rise = m.rise;
  const fall = m.fall;
  const top = rise + fall - 1;
  let oper: 'up' | 'down' | 'stopping';
  let health: number;
  if (v.op === OP.stopped || (v.op === OP.stopping && fall === 1)) {
    oper = 'down';
    health = 0;
  } else if (v.op === OP.stopping) {
    oper = 'stopping';
    health = v.health < rise || v.health > top - 1 ? rise : v.health;
  } else {
    // running, or starting (haproxyd has no separate starting state: it serves)
    oper = 'up';
    health = top;
  }
  const cfgMaint = m.disabled;
  const fileMaint = (v.admin & SRV_ADMF.FMAINT) !== 0;
  let maint = cfgMaint;
  if (((v.admin & SRV_ADMF.CMAINT) !== 0) === cfgMaint) {
    if (fileMaint && !cfgMaint) maint = true;
    else if (!fileMaint && cfgMaint) maint = false;
  }
  const drain = !maint && (v.admin & SRV_ADMF.FDRAIN) !== 0 && (v.iweight > 0 || m.weight === 0);
  const weight = v.iweight === m.weight ? v.uweight : m.weight;
  const lastChange = w.nowMs - v.since * 1000;
  const balancer = r.backend?.balancer;
  const checker = d.checker;
  if (s.checked && checker !== undefined) {
    // HAProxy's numbering has a few statuses haproxyd's checker never reports (START)
    const name = CHECK_STATUSES[v.status]?.name;
    const status = name === undefined || name === 'START' ? undefined : (name as CheckStatus);
    checker.restore(r.model.name, m.name, {
      oper: maint ? 'down' : oper,
      health,
      maint,
      drain,
      weight,
      lastChange,
      ...(status !== undefined ? { status } : {}),
    });
    const st = checker.state(r.model.name, m.name);
    if (balancer !== undefined && s.server !== undefined) {
      balancer.setWeight(s.server, st.weight);
      balancer.setState(s.server, st.effective);
    }
  } else {
    const l = s.local;
    l.admin =
      (maint ? SRV_ADMF.FMAINT : 0) | (cfgMaint ? SRV_ADMF.CMAINT : 0) | (drain ? SRV_ADMF.FDRAIN : 0);
    l.opState = maint || oper === 'down' ? 'stopped' : oper === 'stopping' ? 'stopping' : 'running';
    l.health = maint ? 0 : health;
    l.uweight = weight;
    l.lastChange = Math.floor(lastChange / 1000);
    if (balancer !== undefined && s.server !== undefined) {
      balancer.setWeight(s.server, l.uweight);
      balancer.setState(s.server, effectiveState(l));
    }
  }
  if (w.say !== undefined) stateSentences(w, oper, maint, drain);
  if (!w.addresses) return;
  // then the addresses: the server's port (and its address when named by a host name), its checks'
  const partial = applyStateAddresses({ stats: statsOf(d), log: (_l, text) => w.warn(text) }, { r, s }, p);
  // a hand-over says nothing: HAProxy's own lines (`port` without an agent gives an agent
  // port the agent-less server refuses) would come back at every reload
  if (partial !== undefined && w.say !== undefined)
    w.warn(`server-state partially applied for server '${id}', ${partial}`);
}

/** What a server's configuration says of its addresses (compared across a hand-over). */
function addressesOf(s: ServerRecord): string {
  const o = s.model.options;
  return [s.model.address.raw, o['addr'], o['port'], o['agent-addr'], o['agent-port']].map(String).join(' ');
}

/** The sentences HAProxy prints while it applies a state file. */
function stateSentences(w: Where, oper: 'up' | 'down' | 'stopping', maint: boolean, drain: boolean): void {
  if (w.say === undefined) return;
  const m = w.s.model;
  const cfgMaint = m.disabled;
  const wasUp = !cfgMaint;
  const name = `${m.backup ? 'Backup ' : ''}Server ${w.r.model.name}/${m.name}`;
  if (wasUp && oper === 'down') {
    const c = usableCounts(w);
    w.say(
      `${name} is DOWN, changed from server-state after a reload. ${c.active} active and ${c.backup} backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.`,
    );
  } else if (wasUp && oper === 'stopping' && !maint) {
    const c = usableCounts(w);
    w.say(
      `${name} is stopping, changed from server-state after a reload. ${c.active} active and ${c.backup} backup servers online. 0 sessions requeued, 0 total in queue.`,
    );
  }
  if (cfgMaint && !maint)
    w.say(
      `${name} is ${oper === 'down' ? 'DOWN' : 'UP'}/${drain ? 'DRAIN' : 'READY'} (leaving forced maintenance).`,
    );
}

/** Applies the rows of the configured state files to the servers. */
export function applyStateFiles(
  d: Daemon,
  files: StateFiles,
  log: { warn: (text: string) => void; say: (text: string) => void },
  nowMs = Date.now(),
): void {
  const stats = statsOf(d);
  for (const r of stats.records) {
    const mode = files.modes.get(r.model.name);
    if (!r.isBackend || mode === undefined || mode === 'none') continue;
    const base = { d, r, say: log.say, warn: log.warn, nowMs, addresses: true };
    if (mode === 'global') {
      if (files.global === undefined) continue;
      for (const s of r.servers) {
        const row = files.global.get(`${r.model.name} ${s.model.name}`);
        if (row !== undefined) applyRow({ ...base, s }, row.params);
      }
      continue;
    }
    const local = files.local.get(r.model.name);
    if (local?.rows === undefined) continue;
    // a local file: lines of this backend by id or name (HAProxy's matching and warnings)
    const rows = new Map<string, StateRow>();
    for (const row of local.rows) {
      const sameId = Number(row.beId) === r.id;
      const sameName = row.beName === r.model.name;
      if (!sameId && !sameName) continue;
      if (!sameId) {
        log.warn(
          `Proxy '${r.model.name}': backend ID mismatch: from server state file: '${row.beId}', from running config '${r.id}'`,
        );
      } else if (!sameName) {
        log.warn(
          `Proxy '${r.model.name}': backend name mismatch: from server state file: '${row.beName}', from running config '${r.model.name}'`,
        );
        if (!row.beForced) continue;
      }
      if (!rows.has(row.srvName)) rows.set(row.srvName, row);
    }
    for (const s of r.servers) {
      const row = rows.get(s.model.name);
      if (row === undefined) continue;
      rows.delete(s.model.name);
      applyRow({ ...base, s }, row.params);
    }
    for (const name of rows.keys())
      log.warn(`Proxy '${r.model.name}': can't find server '${name}' in backend '${r.model.name}'`);
  }
}

// --- master-worker hand-over -----------------------------------------------------------------

/** What an old worker hands to the new one: its servers' state and its counters. */
interface HandOver {
  readonly v: 1;
  readonly servers: string;
  /** Each server's configured addresses (`backend/server`): a configuration change wins over the state's. */
  readonly addresses?: Record<string, string>;
  readonly counters: {
    readonly fe: Record<string, Record<string, number>>;
    readonly be: Record<string, Record<string, number>>;
    readonly srv: Record<string, Record<string, number>>;
  };
}

function numbers(o: object): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(o)) if (typeof v === 'number') out[k] = v;
  return out;
}

function putNumbers(target: object, saved: Record<string, number> | undefined): void {
  if (saved === undefined) return;
  const t = target as Record<string, unknown>;
  for (const [k, v] of Object.entries(saved)) if (typeof t[k] === 'number' && typeof v === 'number') t[k] = v;
}

/** The old worker's side: `show servers state` and every counter, by proxy and server name. */
export function handOverText(d: Daemon, nowMs = Date.now()): string {
  const stats = statsOf(d);
  const fe: Record<string, Record<string, number>> = {};
  const be: Record<string, Record<string, number>> = {};
  const srv: Record<string, Record<string, number>> = {};
  for (const f of d.frontends) fe[f.proxy.name] = numbers(f.frontend.counters);
  for (const [name, b] of d.backends) {
    be[name] = numbers(b.counters);
    for (const s of b.servers) srv[`${name}/${s.name}`] = numbers(s.counters);
  }
  const addresses: Record<string, string> = {};
  for (const r of stats.records)
    for (const s of r.servers) addresses[`${r.model.name}/${s.model.name}`] = addressesOf(s);
  const h: HandOver = {
    v: 1,
    servers: stats.serversStateFixup(showServersState(stats, { now: nowMs })),
    addresses,
    counters: { fe, be, srv },
  };
  return JSON.stringify(h);
}

/**
 * The new worker's side: the servers' state by backend and server names (HAProxy's rules for a
 * changed configuration), then the counters of the proxies and servers that still exist.
 * Returns false when the text is not a hand-over (nothing applied).
 */
export function applyHandOver(
  d: Daemon,
  text: string,
  warn: (text: string) => void,
  nowMs = Date.now(),
): boolean {
  let h: HandOver;
  try {
    h = JSON.parse(text) as HandOver;
  } catch {
    return false;
  }
  if (h?.v !== 1 || typeof h.servers !== 'string') return false;
  const parsed = parseServersState(h.servers);
  if (parsed.ok) {
    const rows = new Map<string, StateRow>();
    for (const row of parsed.rows) rows.set(`${row.beName} ${row.srvName}`, row);
    const stats = statsOf(d);
    for (const r of stats.records) {
      if (!r.isBackend || r.model.disabled) continue;
      for (const s of r.servers) {
        const row = rows.get(`${r.model.name} ${s.model.name}`);
        if (row === undefined) continue;
        const addresses = h.addresses?.[`${r.model.name}/${s.model.name}`] === addressesOf(s);
        applyRow({ d, r, s, say: undefined, warn, nowMs, addresses }, row.params);
      }
    }
  }
  const c = h.counters;
  if (c !== undefined) {
    for (const f of d.frontends) putNumbers(f.frontend.counters, c.fe?.[f.proxy.name]);
    for (const [name, b] of d.backends) {
      putNumbers(b.counters, c.be?.[name]);
      for (const s of b.servers) putNumbers(s.counters, c.srv?.[`${name}/${s.name}`]);
    }
  }
  return true;
}
