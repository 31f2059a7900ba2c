// `show stat` and `show info` in their three formats (CSV/plain, typed, JSON), byte for
// byte as HAProxy 2.6 prints them, and the argument parsing of both commands.
import { collectStats, type StatRow, type StatsQuery } from './collect.ts';
import {
  csvHeader,
  type FieldSpec,
  type ObjectKind,
  STAT_COLUMNS,
  STATIC_COLUMNS,
  TAG_NATURE,
  TAG_ORIGIN,
  TAG_SCOPE,
} from './columns.ts';
import { INFO_FIELDS, type InfoValues } from './info.ts';
import type { StatsSource } from './source.ts';

/** HAProxy quotes a CSV string only when it holds a comma, a quote or a line break. */
export function csvEscape(s: string): string {
  return /[\n\r,"]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** `%f` with HAProxy's flt_trim: trailing zeros and a bare dot removed. */
export function formatFloat(v: number): string {
  const s = v.toFixed(6);
  return s.replace(/\.?0+$/, '');
}

function raw(v: number | string, type: string): string {
  if (typeof v === 'string') return v;
  if (type === 'flt') return formatFloat(v);
  return String(Math.trunc(v));
}

/** One CSV line of a row, with its trailing newline. */
export function renderCsvRow(row: StatRow): string {
  let out = '';
  for (let i = 0; i < STAT_COLUMNS.length; i++) {
    const v = row.values[i];
    if (v !== undefined) out += typeof v === 'string' ? csvEscape(v) : String(Math.trunc(v));
    out += ',';
    if (i + 1 === STATIC_COLUMNS) out += '-,';
  }
  return `${out}\n`;
}

/** `show stat`: the header line and one line per row. */
export function renderCsv(rows: readonly StatRow[]): string {
  return csvHeader() + rows.map(renderCsvRow).join('');
}

const KIND_LETTER: Record<ObjectKind, string> = { frontend: 'F', backend: 'B', listener: 'L', server: 'S' };
const KIND_WORD: Record<ObjectKind, string> = {
  frontend: 'Frontend',
  backend: 'Backend',
  listener: 'Listener',
  server: 'Server',
};

function specOf(kind: ObjectKind, index: number): FieldSpec {
  // every value the collector sets has a spec; the fallback is for hand-made rows
  return STAT_COLUMNS[index]?.kinds[kind] ?? { tags: 'MGP', type: 'u32' };
}

/** `show stat typed [desc]`: one line per present field. */
export function renderTyped(rows: readonly StatRow[], opts: { desc?: boolean } = {}): string {
  let out = '';
  for (const row of rows) {
    const prefix = `${KIND_LETTER[row.kind]}.${row.iid}.${row.sid}.`;
    row.values.forEach((v, i) => {
      if (v === undefined) return;
      const col = STAT_COLUMNS[i]!;
      const spec = specOf(row.kind, i);
      const type = typeof v === 'string' ? 'str' : spec.type;
      out += `${prefix}${i}.${col.name}.1:${spec.tags}:${type}:${raw(v, type)}`;
      if (opts.desc) out += `:"${col.desc}"`;
      out += '\n';
    });
  }
  return out;
}

function jsonTags(tags: string): string {
  const [o = '', n = '', s = ''] = tags;
  return (
    `"tags":{"origin":"${TAG_ORIGIN[o] ?? 'Unknown'}","nature":"${TAG_NATURE[n] ?? 'Unknown'}",` +
    `"scope":"${TAG_SCOPE[s] ?? 'Unknown'}"}`
  );
}

function jsonValue(v: number | string, type: string): string {
  // HAProxy prints strings as they are; escaping keeps the document valid when one holds a quote
  const value = typeof v === 'string' ? JSON.stringify(v) : raw(v, type);
  return `"value":{"type":"${type}","value":${value}}`;
}

/** `show stat json`: an array of rows, each an array of fields. */
export function renderJson(rows: readonly StatRow[]): string {
  const objects = rows.map((row) => {
    const fields: string[] = [];
    row.values.forEach((v, i) => {
      if (v === undefined) return;
      const spec = specOf(row.kind, i);
      const type = typeof v === 'string' ? 'str' : spec.type;
      fields.push(
        `{"objType":"${KIND_WORD[row.kind]}","proxyId":${row.iid},"id":${row.sid},` +
          `"field":{"pos":${i},"name":"${STAT_COLUMNS[i]!.name}"},"processNum":1,` +
          `${jsonTags(spec.tags)},${jsonValue(v, type)}}`,
      );
    });
    return `[${fields.join(',')}]`;
  });
  return `[${objects.join(',')}]\n`;
}

/** C's atoi: the leading integer, 0 when there is none. */
function atoi(s: string): number {
  const m = /^\s*[+-]?\d+/.exec(s);
  return m ? Number.parseInt(m[0], 10) : 0;
}

export type CliLevel = 'user' | 'operator' | 'admin';

export interface ShowStatOptions {
  /** The level of the socket the command came on: addr, cookie and algo need operator. Default admin. */
  readonly level?: CliLevel;
  /** Now in ms since the epoch (default Date.now()). */
  readonly now?: number;
}

/**
 * The answer to `show stat [domain proxy] [{<iid>|<proxy>} <type> <sid>] [typed|json] [desc]
 * [up] [no-maint]`; `args` are the words after `show stat`. Errors are answered with
 * HAProxy's texts.
 */
export function showStat(source: StatsSource, args: readonly string[], opts: ShowStatOptions = {}): string {
  let a = 0;
  const word = (i: number) => args[i] ?? '';
  if (word(a) === 'domain') {
    a++;
    if (word(a) === 'proxy') a++;
    else if (word(a) === 'resolvers')
      return ''; // haproxyd has no resolvers section
    else return 'Invalid statistics domain.\n';
  }
  const query: { -readonly [K in keyof StatsQuery]: StatsQuery[K] } = {
    legends: (opts.level ?? 'admin') !== 'user',
  };
  if (opts.now !== undefined) query.now = opts.now;
  if (word(a) && word(a + 1) && word(a + 2)) {
    let iid = 0;
    for (const px of source.proxies()) {
      if (px.name === word(a)) {
        iid = px.id;
        break;
      }
    }
    if (!iid) iid = atoi(word(a));
    if (!iid) return 'No such proxy.\n';
    query.proxyId = iid;
    query.types = atoi(word(a + 1));
    query.objectId = atoi(word(a + 2));
    a += 3;
  }
  let format: 'csv' | 'typed' | 'json' = 'csv';
  let desc = false;
  for (; a < args.length; a++) {
    const w = word(a);
    if (w === 'typed') format = 'typed';
    else if (w === 'json') format = 'json';
    else if (w === 'desc') desc = true;
    else if (w === 'no-maint') query.hideMaint = true;
    else if (w === 'up') query.hideDown = true;
  }
  const rows = collectStats(source, query);
  if (format === 'typed') return renderTyped(rows, { desc });
  if (format === 'json') return renderJson(rows);
  return renderCsv(rows);
}

// With `float`, these become floating-point values (and some change nature).
const FLOAT_TAGS: Readonly<Record<string, string>> = {
  Uptime_sec: 'MDP',
  Start_time_sec: 'MDP',
  ConnRate: 'MRP',
  SessRate: 'MRP',
  SslRate: 'MRP',
  SslFrontendKeyRate: 'MRP',
  SslFrontendSessionReuse_pct: 'MRP',
  SslBackendKeyRate: 'MRP',
  CompressBpsIn: 'MRP',
  CompressBpsOut: 'MRP',
};

interface InfoItem {
  readonly index: number;
  readonly name: string;
  readonly desc: string;
  readonly tags: string;
  readonly type: string;
  readonly value: number | string;
}

function infoItems(values: InfoValues, float: boolean): InfoItem[] {
  const items: InfoItem[] = [];
  for (const f of INFO_FIELDS) {
    const v = values[f.name];
    if (v === undefined) continue;
    const flt = float && f.name in FLOAT_TAGS && typeof v === 'number';
    items.push({
      index: f.index,
      name: f.name,
      desc: f.desc,
      tags: flt ? FLOAT_TAGS[f.name]! : f.spec.tags,
      type: typeof v === 'string' ? 'str' : flt ? 'flt' : f.spec.type,
      value: typeof v === 'number' && !flt ? Math.floor(v) : v,
    });
  }
  return items;
}

export interface InfoFormat {
  readonly format?: 'plain' | 'typed' | 'json';
  readonly desc?: boolean;
  readonly float?: boolean;
}

/** `show info` in one of its formats. */
export function renderInfo(values: InfoValues, opts: InfoFormat = {}): string {
  const items = infoItems(values, opts.float === true);
  const format = opts.format ?? 'plain';
  if (format === 'json') {
    const parts = items.map(
      (it) =>
        `{"field":{"pos":${it.index},"name":"${it.name}"},"processNum":1,${jsonTags(it.tags)},` +
        `${jsonValue(it.value, it.type)}}`,
    );
    return `[${parts.join(',')}]\n`;
  }
  let out = '';
  for (const it of items) {
    const v = raw(it.value, it.type);
    if (format === 'typed') out += `${it.index}.${it.name}.1:${it.tags}:${it.type}:${v}`;
    else out += `${it.name}: ${v}`;
    if (opts.desc) out += `:"${it.desc}"`;
    out += '\n';
  }
  return out;
}

/** The answer to `show info [desc|json|typed|float]*`; `args` are the words after `show info`. */
export function showInfo(values: InfoValues, args: readonly string[]): string {
  let format: 'plain' | 'typed' | 'json' = 'plain';
  let desc = false;
  let float = false;
  for (const w of args) {
    if (w === 'typed') format = 'typed';
    else if (w === 'json') format = 'json';
    else if (w === 'desc') desc = true;
    else if (w === 'float') float = true;
  }
  return renderInfo(values, { format, desc, float });
}

export type { StatsQuery };
