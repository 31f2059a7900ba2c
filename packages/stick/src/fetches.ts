// The stick-table sample fetches (sc_*, sc0_*…sc2_*, src_*, table_cnt/avl) and converters
// (table_*, in_table) of HAProxy 2.6, described in one table so that the sample engine
// can register them generically, and evaluated with HAProxy's rules on what yields no
// sample: an untracked counter or an unconvertible key gives nothing, a missing entry
// gives 0, a data type the table does not store gives nothing.
import type { StickDataType } from './datatypes.ts';
import type { StickKeyInput } from './keys.ts';
import type { StickEntry, StickTable } from './table.ts';

/** Tracking slots per stream: track-sc0, track-sc1, track-sc2 (HAProxy's MAX_SESS_STKCTR). */
export const STICK_COUNTERS = 3;

/** What a fetch or converter computes on the entry it finds. */
export type StickMetric =
  | 'bytes_in_rate'
  | 'bytes_out_rate'
  | 'conn_cnt'
  | 'conn_cur'
  | 'conn_rate'
  | 'sess_cnt'
  | 'sess_rate'
  | 'http_req_cnt'
  | 'http_req_rate'
  | 'http_err_cnt'
  | 'http_err_rate'
  | 'http_fail_cnt'
  | 'http_fail_rate'
  | 'kbytes_in'
  | 'kbytes_out'
  | 'server_id'
  | 'get_gpt'
  | 'get_gpt0'
  | 'get_gpc'
  | 'get_gpc0'
  | 'get_gpc1'
  | 'gpc_rate'
  | 'gpc0_rate'
  | 'gpc1_rate'
  | 'inc_gpc'
  | 'inc_gpc0'
  | 'inc_gpc1'
  | 'clr_gpc'
  | 'clr_gpc0'
  | 'clr_gpc1'
  | 'trackers'
  | 'tracked'
  | 'updt_conn_cnt'
  | 'in_table'
  | 'table_cnt'
  | 'table_avl';

/**
 * How the entry is found: `sc` (the counter tracked in the slot given as argument),
 * `scN` (slot N in the name), `src` (the client address looked up in a table),
 * `table` (a fetch on the table itself), `converter` (the input sample looked up).
 */
export type StickFetchForm = 'sc' | 'scN' | 'src' | 'table' | 'converter';

export interface StickFetchDef {
  /** Keyword, e.g. `sc0_http_req_rate`, `src_inc_gpc0`, `table_conn_cur`. */
  readonly name: string;
  readonly form: StickFetchForm;
  /** Slot for the scN form. */
  readonly counter?: number;
  readonly metric: StickMetric;
  /** The first argument is an array index (gpt/gpc/gpc_rate elements). */
  readonly indexed: boolean;
  /** Arguments between the parentheses, HAProxy's order, `[…]` optional. */
  readonly signature: string;
  readonly output: 'sint' | 'bool';
  /** Whether evaluating it changes the table (inc/clr/updt). */
  readonly mutates: boolean;
  /** What it returns. */
  readonly description: string;
}

const METRIC_TEXT: Record<StickMetric, string> = {
  bytes_in_rate: 'bytes received from the client per bytes_in_rate period',
  bytes_out_rate: 'bytes sent to the client per bytes_out_rate period',
  conn_cnt: 'connections counted (conn_cnt)',
  conn_cur: 'concurrent tracked connections (conn_cur)',
  conn_rate: 'connections per conn_rate period',
  sess_cnt: 'sessions counted (sess_cnt)',
  sess_rate: 'sessions per sess_rate period',
  http_req_cnt: 'HTTP requests counted (http_req_cnt)',
  http_req_rate: 'HTTP requests per http_req_rate period',
  http_err_cnt: 'HTTP request errors counted (http_err_cnt)',
  http_err_rate: 'HTTP request errors per http_err_rate period',
  http_fail_cnt: 'HTTP response failures counted (http_fail_cnt)',
  http_fail_rate: 'HTTP response failures per http_fail_rate period',
  kbytes_in: 'bytes_in_cnt in kilobytes (divided by 1024, rounded down)',
  kbytes_out: 'bytes_out_cnt in kilobytes (divided by 1024, rounded down)',
  server_id: 'the stored server id (server_id)',
  get_gpt: 'general purpose tag <idx> (gpt array)',
  get_gpt0: 'gpt0 (or element 0 of the gpt array)',
  get_gpc: 'general purpose counter <idx> (gpc array)',
  get_gpc0: 'gpc0 (or element 0 of the gpc array)',
  get_gpc1: 'gpc1 (or element 1 of the gpc array)',
  gpc_rate: 'increments of gpc <idx> per gpc_rate period',
  gpc0_rate: 'increments of gpc0 per gpc0_rate period (or gpc_rate element 0)',
  gpc1_rate: 'increments of gpc1 per gpc1_rate period (or gpc_rate element 1)',
  inc_gpc:
    'increments gpc <idx> and its rate; the new counter (the rate\u2019s current-period count if only the rate is stored, 0 if neither)',
  inc_gpc0:
    'increments gpc0 and gpc0_rate; the new gpc0 (the rate\u2019s current-period count if only the rate is stored, 0 if neither)',
  inc_gpc1:
    'increments gpc1 and gpc1_rate; the new gpc1 (the rate\u2019s current-period count if only the rate is stored, 0 if neither)',
  clr_gpc: 'zeroes gpc <idx>; its previous value',
  clr_gpc0: 'zeroes gpc0; its previous value',
  clr_gpc1: 'zeroes gpc1; its previous value',
  trackers: 'streams currently tracking the entry',
  tracked: 'whether the counter is tracked',
  updt_conn_cnt: 'increments conn_cnt of the client address (creating the entry); the new value',
  in_table: 'whether the key is in the table',
  table_cnt: 'entries in the table',
  table_avl: 'free places in the table (size minus entries)',
};

const SC_METRICS: readonly StickMetric[] = [
  'bytes_in_rate',
  'bytes_out_rate',
  'clr_gpc0',
  'clr_gpc1',
  'conn_cnt',
  'conn_cur',
  'conn_rate',
  'get_gpt0',
  'get_gpc0',
  'get_gpc1',
  'gpc0_rate',
  'gpc1_rate',
  'http_err_cnt',
  'http_err_rate',
  'http_fail_cnt',
  'http_fail_rate',
  'http_req_cnt',
  'http_req_rate',
  'inc_gpc0',
  'inc_gpc1',
  'kbytes_in',
  'kbytes_out',
  'sess_cnt',
  'sess_rate',
  'tracked',
  'trackers',
];
const INDEXED: readonly StickMetric[] = ['clr_gpc', 'get_gpt', 'get_gpc', 'gpc_rate', 'inc_gpc'];
const CONVERTER_METRICS: readonly StickMetric[] = [
  'bytes_in_rate',
  'bytes_out_rate',
  'conn_cnt',
  'conn_cur',
  'conn_rate',
  'get_gpt',
  'get_gpt0',
  'get_gpc',
  'get_gpc0',
  'get_gpc1',
  'gpc_rate',
  'gpc0_rate',
  'gpc1_rate',
  'http_err_cnt',
  'http_err_rate',
  'http_fail_cnt',
  'http_fail_rate',
  'http_req_cnt',
  'http_req_rate',
  'kbytes_in',
  'kbytes_out',
  'server_id',
  'sess_cnt',
  'sess_rate',
  'trackers',
];

const isMutating = (m: StickMetric) => m.startsWith('inc_') || m.startsWith('clr_') || m === 'updt_conn_cnt';
/** The keyword part after the prefix: fetches say get_gpc0, converters say gpc0. */
const convName = (m: StickMetric) => (m.startsWith('get_') ? m.slice(4) : m);

function def(
  name: string,
  form: StickFetchForm,
  metric: StickMetric,
  signature: string,
  counter?: number,
): StickFetchDef {
  const d = {
    name,
    form,
    metric,
    indexed: INDEXED.includes(metric),
    signature,
    output: metric === 'tracked' || metric === 'in_table' ? 'bool' : 'sint',
    mutates: isMutating(metric),
    description: METRIC_TEXT[metric],
  } as const;
  return counter === undefined ? d : { ...d, counter };
}

function buildCatalog(): StickFetchDef[] {
  const out: StickFetchDef[] = [];
  for (const m of [...SC_METRICS, ...INDEXED])
    out.push(def(`sc_${m}`, 'sc', m, INDEXED.includes(m) ? '<idx>,<ctr>[,<table>]' : '<ctr>[,<table>]'));
  for (let n = 0; n < STICK_COUNTERS; n++) {
    for (const m of SC_METRICS) out.push(def(`sc${n}_${m}`, 'scN', m, '[<table>]', n));
    // registered by HAProxy 2.6 for slot 1 only
    if (n === 1) out.push(def('sc1_clr_gpc', 'scN', 'clr_gpc', '<idx>[,<table>]', 1));
  }
  for (const m of [...SC_METRICS, ...INDEXED, 'updt_conn_cnt' as const]) {
    if (m === 'tracked' || m === 'trackers') continue;
    out.push(def(`src_${m}`, 'src', m, INDEXED.includes(m) ? '<idx>[,<table>]' : '[<table>]'));
  }
  out.push(def('table_avl', 'table', 'table_avl', '[<table>]'));
  out.push(def('table_cnt', 'table', 'table_cnt', '[<table>]'));
  out.push(def('in_table', 'converter', 'in_table', '<table>'));
  for (const m of CONVERTER_METRICS)
    out.push(def(`table_${convName(m)}`, 'converter', m, INDEXED.includes(m) ? '<idx>,<table>' : '<table>'));
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Every stick-table fetch and converter of HAProxy 2.6, by name. */
export const STICK_FETCHES: readonly StickFetchDef[] = buildCatalog();

const BY_NAME = new Map(STICK_FETCHES.map((d) => [d.name, d]));

export function stickFetchDef(name: string): StickFetchDef | undefined {
  return BY_NAME.get(name);
}

/** What the sample engine provides for one evaluation. */
export interface StickFetchContext {
  /**
   * The entry tracked in slot `n` by the stream, else by its session (HAProxy looks at
   * content-level tracking first); undefined when the slot is not tracked.
   */
  tracked(n: number): StickEntry | undefined;
  /** The client address as the `src` fetch yields it; undefined without a connection. */
  readonly src?: string | undefined;
  /** A table by name; an undefined name means the table of the proxy evaluating the rule. */
  table(name: string | undefined): StickTable | undefined;
}

/** A sample: an integer, a boolean, or undefined for "no sample" (the ACL does not match). */
export type StickSample = number | boolean | undefined;

// --- metric evaluation ----------------------------------------------------------------

type Counter = Exclude<StickDataType, 'server_key'>;

/** A counter or a legacy counter with its array fallback: gpc0 → gpc[0]. */
function pick(
  e: StickEntry,
  legacy: Counter | undefined,
  array: Counter,
  idx: number,
): [Counter, number] | undefined {
  if (legacy && e.has(legacy)) return [legacy, 0];
  if (e.has(array, idx)) return [array, idx];
  return undefined;
}

function readMetric(e: StickEntry, m: StickMetric, idx: number): number | undefined {
  switch (m) {
    case 'kbytes_in':
    case 'kbytes_out': {
      const v = e.getBig(m === 'kbytes_in' ? 'bytes_in_cnt' : 'bytes_out_cnt');
      return v === undefined ? undefined : Number(BigInt.asIntN(64, v >> 10n));
    }
    case 'get_gpt':
    case 'get_gpt0':
    case 'get_gpc':
    case 'get_gpc0':
    case 'get_gpc1':
    case 'gpc_rate':
    case 'gpc0_rate':
    case 'gpc1_rate': {
      const p = gpTarget(e, m, idx);
      return p ? e.get(p[0], p[1]) : undefined;
    }
    default:
      return e.get(m as Counter);
  }
}

function gpTarget(e: StickEntry, m: StickMetric, idx: number): [Counter, number] | undefined {
  switch (m) {
    case 'get_gpt':
      return pick(e, undefined, 'gpt', idx);
    case 'get_gpt0':
      return pick(e, 'gpt0', 'gpt', 0);
    case 'get_gpc':
    case 'clr_gpc':
      return pick(e, undefined, 'gpc', idx);
    case 'get_gpc0':
    case 'clr_gpc0':
      return pick(e, 'gpc0', 'gpc', 0);
    case 'get_gpc1':
    case 'clr_gpc1':
      return pick(e, 'gpc1', 'gpc', 1);
    case 'gpc_rate':
      return pick(e, undefined, 'gpc_rate', idx);
    case 'gpc0_rate':
      return pick(e, 'gpc0_rate', 'gpc_rate', 0);
    case 'gpc1_rate':
      return pick(e, 'gpc1_rate', 'gpc_rate', 1);
    default:
      return undefined;
  }
}

/** Increments a general purpose counter and its rate; the value sc_inc_gpc* returns. */
function incGeneric(
  e: StickEntry,
  counter: [Counter, number] | undefined,
  rate: [Counter, number] | undefined,
): number {
  if (!counter && !rate) return 0;
  let v = 0;
  if (rate) {
    e.add(rate[0], 1, rate[1]);
    v = e.counter(rate[0], rate[1])?.curr ?? 0;
  }
  if (counter) v = e.add(counter[0], 1, counter[1]) ?? 0;
  e.table.touch(e);
  return v;
}

/** `sc-inc-gpc0` / `sc_inc_gpc0`: gpc0 (else gpc[0]) and gpc0_rate (else gpc_rate[0]) + 1. */
export function incGpc0(e: StickEntry): number {
  return incGeneric(e, pick(e, 'gpc0', 'gpc', 0), pick(e, 'gpc0_rate', 'gpc_rate', 0));
}

/** `sc-inc-gpc1` / `sc_inc_gpc1`: gpc1 (else gpc[1]) and gpc1_rate (else gpc_rate[1]) + 1. */
export function incGpc1(e: StickEntry): number {
  return incGeneric(e, pick(e, 'gpc1', 'gpc', 1), pick(e, 'gpc1_rate', 'gpc_rate', 1));
}

/** `sc-inc-gpc(<idx>,<sc>)` / `sc_inc_gpc`: gpc[idx] and gpc_rate[idx] + 1. */
export function incGpc(e: StickEntry, idx: number): number {
  return incGeneric(e, pick(e, undefined, 'gpc', idx), pick(e, undefined, 'gpc_rate', idx));
}

function clrGeneric(e: StickEntry, target: [Counter, number] | undefined): number | undefined {
  if (!target) return undefined;
  const old = e.get(target[0], target[1]) ?? 0;
  e.set(target[0], 0, target[1]);
  e.table.touch(e);
  return old;
}

/** `sc_clr_gpc0`: zeroes gpc0 (else gpc[0]); the previous value, undefined when not stored. */
export function clrGpc0(e: StickEntry): number | undefined {
  return clrGeneric(e, pick(e, 'gpc0', 'gpc', 0));
}

/** `sc_clr_gpc1`: zeroes gpc1 (else gpc[1]). */
export function clrGpc1(e: StickEntry): number | undefined {
  return clrGeneric(e, pick(e, 'gpc1', 'gpc', 1));
}

/** `sc_clr_gpc(<idx>,…)`: zeroes gpc[idx]. */
export function clrGpc(e: StickEntry, idx: number): number | undefined {
  return clrGeneric(e, pick(e, undefined, 'gpc', idx));
}

/** `sc-set-gpt0(<sc>) <value>`: gpt0 (else gpt[0]) = value as an unsigned 32-bit; false when not stored. */
export function setGpt0(e: StickEntry, value: number): boolean {
  const t = pick(e, 'gpt0', 'gpt', 0);
  if (!t) return false;
  e.set(t[0], value, t[1]);
  e.table.touch(e);
  return true;
}

/** `sc-set-gpt(<idx>,<sc>) <value>`: gpt[idx] = value. */
export function setGpt(e: StickEntry, idx: number, value: number): boolean {
  const t = pick(e, undefined, 'gpt', idx);
  if (!t) return false;
  e.set(t[0], value, t[1]);
  e.table.touch(e);
  return true;
}

/** The key of an entry as a sample of its table's type (for a lookup in another table). */
function sampleOf(e: StickEntry): StickKeyInput {
  const k = e.key;
  return e.table.spec.type === 'ip' || e.table.spec.type === 'ipv6' ? { addr: k as string } : k;
}

/** A metric on the entry a fetch found (or none); `create` makes the entry for src_inc/clr. */
function evaluate(
  m: StickMetric,
  entry: StickEntry | undefined,
  idx: number,
  canCreate: (() => StickEntry | undefined) | undefined,
): StickSample {
  if (m.startsWith('inc_') || m.startsWith('clr_')) {
    // src_inc_*/src_clr_* create the entry; sc_* with an alternate table do not
    const e = entry ?? canCreate?.();
    if (!e) return 0;
    switch (m) {
      case 'inc_gpc0':
        return incGpc0(e);
      case 'inc_gpc1':
        return incGpc1(e);
      case 'inc_gpc':
        return incGpc(e, idx);
      default:
        return clrGeneric(e, gpTarget(e, m, idx));
    }
  }
  if (m === 'trackers') return entry ? entry.refCount : 0;
  if (!entry) return 0;
  return readMetric(entry, m, idx);
}

const intArg = (v: string | number | undefined): number | undefined => {
  if (typeof v === 'number') return Number.isInteger(v) ? v : undefined;
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return Number(v);
  return undefined;
};

const tableArg = (v: string | number | undefined): string | undefined =>
  v === undefined ? undefined : String(v);

/**
 * Evaluates a stick-table sample fetch (`sc*_*`, `src_*`, `table_cnt`, `table_avl`) with
 * its arguments as written (integers and table names). Throws nothing: an unknown
 * name, bad arguments or an unknown table yield undefined.
 */
export function stickFetch(
  name: string,
  args: readonly (string | number)[],
  ctx: StickFetchContext,
): StickSample {
  const d = BY_NAME.get(name);
  if (!d || d.form === 'converter') return undefined;
  let a = 0;
  const idx = d.indexed ? intArg(args[a++]) : 0;
  if (idx === undefined) return undefined;
  if (d.form === 'table') {
    const t = ctx.table(tableArg(args[a]));
    if (!t) return undefined;
    return d.metric === 'table_cnt' ? t.used : t.size - t.used;
  }
  if (d.form === 'src') {
    const t = ctx.table(tableArg(args[a]));
    if (!t || ctx.src === undefined) return undefined;
    const nk = t.normalize({ addr: ctx.src });
    if (!nk) return undefined;
    if (d.metric === 'updt_conn_cnt') {
      const e = t.getOrCreateKey(nk);
      if (!e) return undefined;
      const v = e.add('conn_cnt');
      if (v === undefined) return undefined;
      t.touch(e);
      return v;
    }
    return evaluate(d.metric, t.lookupKey(nk), idx, () => t.getOrCreateKey(nk));
  }
  // sc_<metric>(ctr…) or scN_<metric>(…)
  let slot = d.counter;
  if (slot === undefined) {
    slot = intArg(args[a++]);
    if (slot === undefined) return undefined;
  }
  const tracked = slot >= 0 && slot < STICK_COUNTERS ? ctx.tracked(slot) : undefined;
  if (d.metric === 'tracked') return tracked !== undefined;
  if (!tracked) return undefined;
  const altName = tableArg(args[a]);
  if (altName === undefined) return evaluate(d.metric, tracked, idx, undefined);
  // an alternate table: the tracked key looked up there, never created
  const alt = ctx.table(altName);
  if (!alt) return undefined;
  return evaluate(d.metric, alt.lookup(sampleOf(tracked)), idx, undefined);
}

/**
 * Evaluates a stick-table converter (`table_*`, `in_table`) on `input`. Lookups do not
 * refresh entries. HAProxy 2.6's table_trackers counts its own lookup: it reports one
 * more than the streams tracking the entry, reproduced here.
 */
export function stickConvert(
  name: string,
  input: StickKeyInput,
  args: readonly (string | number)[],
  ctx: StickFetchContext,
): StickSample {
  const d = BY_NAME.get(name);
  if (d?.form !== 'converter') return undefined;
  let a = 0;
  const idx = d.indexed ? intArg(args[a++]) : 0;
  const tname = tableArg(args[a]);
  if (idx === undefined || tname === undefined) return undefined;
  const t = ctx.table(tname);
  const nk = t?.normalize(input);
  if (!t || !nk) return undefined;
  const e = t.lookupKey(nk);
  if (d.metric === 'in_table') return e !== undefined;
  if (!e) return 0;
  if (d.metric === 'trackers') return e.refCount + 1;
  return readMetric(e, d.metric, idx);
}
