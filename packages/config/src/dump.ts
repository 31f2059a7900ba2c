/**
 * `-dK<class,…>`: every keyword haproxyd knows, in HAProxy's classes (`cfg`,
 * `acl`, `smp`, `cnv`, `cli`, `flt`, `svc`, `all`), each with its status:
 * `supported` (honoured), `parsed` (checked, no effect yet), `unsupported`
 * (a HAProxy keyword haproxyd refuses with an alert).
 */

import {
  ACL_KEYWORDS,
  BIND_OPTIONS,
  CLI_COMMANDS,
  CONVERTERS,
  FILTER_NAMES,
  PROXY_OPTIONS,
  RULE_ACTIONS,
  SAMPLE_FETCHES,
  SERVER_OPTIONS,
  SERVICE_NAMES,
} from './catalog/index.ts';
import { GLOBAL_TABLE } from './keywords/global.ts';
import { PROXY_TABLE, UNSUPPORTED_OPTIONS } from './keywords/proxy.ts';
import { UNSUPPORTED_ACTIONS } from './keywords/rules.ts';
import { OTHER_SECTIONS } from './keywords/sections-other.ts';
import type { KeywordRow } from './keywords/types.ts';

/** HAProxy's -dK classes, in its order. */
export const KEYWORD_CLASSES = ['acl', 'cfg', 'cli', 'cnv', 'flt', 'smp', 'svc'] as const;
export type KeywordClass = (typeof KEYWORD_CLASSES)[number];

export interface KeywordDumpRow {
  class: KeywordClass;
  name: string;
  status: 'supported' | 'parsed' | 'unsupported';
}

/**
 * What the program honours beyond the configuration language, which this package cannot see
 * (the sample engine, the rule engine, the runtime API). A class left out keeps `parsed`.
 */
export interface HonouredKeywords {
  /** Sample fetches the sample engine implements (the others are refused "not supported yet"). */
  readonly fetches?: ReadonlySet<string>;
  readonly converters?: ReadonlySet<string>;
  /** The actions each HTTP rule set (`http-request`, …) runs. */
  readonly httpActions?: Readonly<Record<string, readonly string[]>>;
  /** Runtime API commands, by their words ("show stat"). */
  readonly cli?: ReadonlySet<string>;
  readonly services?: ReadonlySet<string>;
}

function known(set: ReadonlySet<string> | undefined, name: string): KeywordDumpRow['status'] {
  if (set === undefined) return 'parsed';
  return set.has(name) ? 'supported' : 'unsupported';
}

function status(row: KeywordRow): KeywordDumpRow['status'] {
  if (!row.parse) return 'unsupported';
  return row.supported ? 'supported' : 'parsed';
}

/** Every keyword row, grouped by class. */
export function keywordRows(honoured: HonouredKeywords = {}): KeywordDumpRow[] {
  const rows: KeywordDumpRow[] = [];
  const add = (cls: KeywordClass, name: string, st: KeywordDumpRow['status']) =>
    rows.push({ class: cls, name, status: st });
  for (const r of GLOBAL_TABLE.values()) add('cfg', `global ${r.name}`, status(r));
  for (const r of PROXY_TABLE.values()) add('cfg', `proxy ${r.name}`, status(r));
  const optionRow = PROXY_TABLE.get('option')!;
  for (const o of PROXY_OPTIONS) {
    add('cfg', `proxy option ${o.name}`, UNSUPPORTED_OPTIONS.has(o.name) ? 'unsupported' : status(optionRow));
  }
  const bindRow = PROXY_TABLE.get('bind')!;
  for (const b of BIND_OPTIONS) add('cfg', `bind <addr> ${b.name}`, status(bindRow));
  const serverRow = PROXY_TABLE.get('server')!;
  for (const s of SERVER_OPTIONS) add('cfg', `server <name> <addr> ${s.name}`, status(serverRow));
  for (const [set, actions] of Object.entries(RULE_ACTIONS)) {
    const ran = honoured.httpActions?.[set];
    for (const a of actions) {
      // `set-var(` in the catalog, `set-var` in the rule engine
      const name = a.endsWith('(') ? a.slice(0, -1) : a;
      const st = UNSUPPORTED_ACTIONS.has(a)
        ? 'unsupported'
        : ran === undefined
          ? 'parsed'
          : ran.includes(name)
            ? 'supported'
            : 'unsupported';
      add('cfg', `${set} ${a}`, st);
    }
  }
  for (const s of OTHER_SECTIONS) {
    add('cfg', `section ${s.name}`, s.supported ? 'parsed' : 'unsupported');
  }
  // an ACL keyword is as good as the fetch it stands for
  for (const k of ACL_KEYWORDS)
    add('acl', `${k.name} = ${k.fetch} -m ${k.match}`, known(honoured.fetches, k.fetch));
  for (const f of SAMPLE_FETCHES) add('smp', f.name, known(honoured.fetches, f.name));
  for (const c of CONVERTERS) add('cnv', c.name, known(honoured.converters, c.name));
  // runtime commands: haproxyd's `help` lists those it has
  for (const c of CLI_COMMANDS)
    add('cli', c, honoured.cli === undefined ? 'unsupported' : known(honoured.cli, c));
  // the compression filter only (cache, spoe, trace, fcgi-app, opentracing are refused)
  for (const f of FILTER_NAMES) add('flt', f, f === 'compression' ? 'supported' : 'unsupported');
  for (const s of SERVICE_NAMES) add('svc', s, known(honoured.services, s));
  return rows;
}

const TITLES: Record<KeywordClass, string> = {
  acl: 'ACL keywords',
  cfg: 'configuration keywords',
  cli: 'CLI keywords',
  cnv: 'sample converter functions',
  flt: 'filter names',
  smp: 'sample fetch functions',
  svc: 'service names',
};

/** Text for `-dK<classes>`: `all`, or a list of KEYWORD_CLASSES (unknown names are skipped, as HAProxy does). */
export function dumpKeywords(classes: readonly string[], honoured: HonouredKeywords = {}): string {
  const all = classes.length === 0 || classes.includes('all');
  const lines: string[] = [];
  const rows = keywordRows(honoured);
  for (const cls of KEYWORD_CLASSES) {
    if (!all && !classes.includes(cls)) continue;
    lines.push(
      `# List of ${TITLES[cls]} (status: supported = honoured, parsed = checked but no effect yet, unsupported = refused):`,
    );
    for (const r of rows) if (r.class === cls) lines.push(`\t${r.name}\t${r.status}`);
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}
