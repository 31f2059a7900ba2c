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

function status(row: KeywordRow): KeywordDumpRow['status'] {
  if (!row.parse) return 'unsupported';
  return row.supported ? 'supported' : 'parsed';
}

/** Every keyword row, grouped by class. */
export function keywordRows(): KeywordDumpRow[] {
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
    for (const a of actions) add('cfg', `${set} ${a}`, UNSUPPORTED_ACTIONS.has(a) ? 'unsupported' : 'parsed');
  }
  for (const s of OTHER_SECTIONS) {
    add('cfg', `section ${s.name}`, s.supported ? 'parsed' : 'unsupported');
  }
  // sample fetches, converters and ACL keywords are checked by name and arguments
  for (const k of ACL_KEYWORDS) add('acl', `${k.name} = ${k.fetch} -m ${k.match}`, 'parsed');
  for (const f of SAMPLE_FETCHES) add('smp', f.name, 'parsed');
  for (const c of CONVERTERS) add('cnv', c.name, 'parsed');
  // the runtime API, filters and services are not there yet
  for (const c of CLI_COMMANDS) add('cli', c, 'unsupported');
  for (const f of FILTER_NAMES) add('flt', f, 'unsupported');
  for (const s of SERVICE_NAMES) add('svc', s, s === 'prometheus-exporter' ? 'parsed' : 'unsupported');
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
export function dumpKeywords(classes: readonly string[]): string {
  const all = classes.length === 0 || classes.includes('all');
  const lines: string[] = [];
  const rows = keywordRows();
  for (const cls of KEYWORD_CLASSES) {
    if (!all && !classes.includes(cls)) continue;
    lines.push(
      `# List of ${TITLES[cls]} (status: supported = honoured, parsed = checked but no effect yet, unsupported = refused):`,
    );
    for (const r of rows) if (r.class === cls) lines.push(`\t${r.name}\t${r.status}`);
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}
