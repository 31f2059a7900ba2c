/**
 * The sections besides global and proxies. Their keywords are known (so the
 * user hears "not supported yet" instead of "unknown"); the sections that an
 * open issue implements are checked by argument shape.
 */

import { SECTION_KEYWORDS } from '../catalog/index.ts';
import { simpleRow, tableOf, unsupportedRow } from './args.ts';
import { errorfile } from './proxy.ts';
import { RESOLVERS_ROWS } from './resolvers.ts';
import type { KeywordRow } from './types.ts';

export interface OtherSectionInfo {
  name: string;
  needsName: boolean;
  /** False: the section header itself is reported as not supported yet. */
  supported: boolean;
  table: ReadonlyMap<string, KeywordRow>;
}

const USERLIST: KeywordRow[] = [
  simpleRow('user', [], 'words', false),
  simpleRow('group', [], 'words', false),
];
const HTTP_ERRORS: KeywordRow[] = [{ ...errorfile, sections: [] }];

function table(
  name: keyof typeof SECTION_KEYWORDS,
  rows: KeywordRow[] = [],
): ReadonlyMap<string, KeywordRow> {
  const all = [...rows];
  for (const kw of SECTION_KEYWORDS[name] ?? []) {
    if (!all.some((r) => r.name === kw)) all.push(unsupportedRow(kw, []));
  }
  return tableOf(all);
}

export const OTHER_SECTIONS: readonly OtherSectionInfo[] = [
  { name: 'userlist', needsName: true, supported: true, table: table('userlist', USERLIST) },
  { name: 'http-errors', needsName: true, supported: true, table: table('http-errors', HTTP_ERRORS) },
  { name: 'peers', needsName: true, supported: false, table: table('peers') },
  { name: 'resolvers', needsName: true, supported: true, table: table('resolvers', [...RESOLVERS_ROWS]) },
  { name: 'mailers', needsName: true, supported: false, table: table('mailers') },
  { name: 'cache', needsName: true, supported: false, table: table('cache') },
  { name: 'program', needsName: true, supported: false, table: table('program') },
  { name: 'ring', needsName: true, supported: false, table: table('ring') },
  { name: 'log-forward', needsName: true, supported: false, table: table('log-forward') },
  { name: 'fcgi-app', needsName: true, supported: false, table: table('fcgi-app') },
];
