/**
 * `-dK`: every keyword haproxyd knows, by class, with its status:
 * `supported` (the runtime honours it), `parsed` (checked, no effect yet),
 * `unsupported` (a HAProxy keyword haproxyd rejects with an alert).
 */

import { BIND_OPTIONS, PROXY_OPTIONS, RULE_ACTIONS, SERVER_OPTIONS } from './catalog/index.ts';
import { GLOBAL_TABLE } from './keywords/global.ts';
import { PROXY_TABLE } from './keywords/proxy.ts';
import { OTHER_SECTIONS } from './keywords/sections-other.ts';
import type { KeywordRow } from './keywords/types.ts';

export const KEYWORD_CLASSES = ['global', 'proxy', 'option', 'bind', 'server', 'action', 'section'] as const;
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

/** Every keyword row, sorted by class then name. */
export function keywordRows(): KeywordDumpRow[] {
  const rows: KeywordDumpRow[] = [];
  for (const r of GLOBAL_TABLE.values()) rows.push({ class: 'global', name: r.name, status: status(r) });
  for (const r of PROXY_TABLE.values()) rows.push({ class: 'proxy', name: r.name, status: status(r) });
  const optionRow = PROXY_TABLE.get('option');
  for (const o of PROXY_OPTIONS) {
    const unsupported = [
      'external-check',
      'spop-check',
      'transparent',
      'splice-auto',
      'splice-request',
      'splice-response',
    ];
    rows.push({
      class: 'option',
      name: `option ${o.name}`,
      status: unsupported.includes(o.name) ? 'unsupported' : optionRow?.supported ? 'supported' : 'parsed',
    });
  }
  for (const b of BIND_OPTIONS) rows.push({ class: 'bind', name: `bind <addr> ${b.name}`, status: 'parsed' });
  for (const s of SERVER_OPTIONS)
    rows.push({ class: 'server', name: `server <name> <addr> ${s.name}`, status: 'parsed' });
  for (const [set, actions] of Object.entries(RULE_ACTIONS)) {
    for (const a of actions) rows.push({ class: 'action', name: `${set} ${a}`, status: 'parsed' });
  }
  for (const s of OTHER_SECTIONS) {
    rows.push({ class: 'section', name: s.name, status: s.supported ? 'parsed' : 'unsupported' });
  }
  rows.sort((a, b) =>
    a.class === b.class
      ? a.name < b.name
        ? -1
        : a.name > b.name
          ? 1
          : 0
      : KEYWORD_CLASSES.indexOf(a.class) - KEYWORD_CLASSES.indexOf(b.class),
  );
  return rows;
}

/** Text for `-dK<classes>`: `all` or a comma list of KEYWORD_CLASSES. */
export function dumpKeywords(classes: readonly string[]): string {
  const want =
    classes.length === 0 || classes.includes('all') ? new Set<string>(KEYWORD_CLASSES) : new Set(classes);
  const lines: string[] = [];
  let current = '';
  for (const r of keywordRows()) {
    if (!want.has(r.class)) continue;
    if (r.class !== current) {
      current = r.class;
      lines.push(
        `# ${r.class} keywords (status: supported = honoured, parsed = checked but no effect yet, unsupported = rejected)`,
      );
    }
    lines.push(`\t${r.name}\t${r.status}`);
  }
  return `${lines.join('\n')}\n`;
}
