// Pattern files (`acl … -f file`) and map files: read once per path, shared by every user
// of the same file with the same match method, re-read when the file changes on disk.
import { readFileSync, statSync } from 'node:fs';
import type { SampleValue } from '../env.ts';
import { SampleError } from '../errors.ts';
import { type MatchMethod, newPatternSet, type PatternSet } from './match.ts';

export interface FileLine {
  readonly key: string;
  /** The second column (maps and `-M`); '' when there is none. */
  readonly value: string;
  readonly line: number;
}

interface CachedLines {
  stamp: string;
  lines: FileLine[];
}

const linesCache = new Map<string, CachedLines>();
const setCache = new Map<string, { stamp: string; set: PatternSet }>();

function stampOf(path: string): string {
  try {
    const st = statSync(path);
    return `${st.mtimeMs}:${st.size}:${st.ino}`;
  } catch {
    throw new SampleError('HAP_ERR_SAMPLE_FILE', `failed to open pattern file <${path}>`);
  }
}

/**
 * Lines of a pattern file. A '#' in the first column starts a comment, leading blanks are
 * stripped, empty lines skipped. One column: the rest of the line is the pattern (inner
 * and trailing blanks included); two columns: the first word is the key, the rest (trimmed)
 * the value.
 */
export function readPatternLines(path: string, twoColumns: boolean): readonly FileLine[] {
  const stamp = stampOf(path);
  const key = `${twoColumns ? 2 : 1}\0${path}`;
  const hit = linesCache.get(key);
  if (hit && hit.stamp === stamp) return hit.lines;
  let text: string;
  try {
    text = readFileSync(path, 'latin1');
  } catch {
    throw new SampleError('HAP_ERR_SAMPLE_FILE', `failed to open pattern file <${path}>`);
  }
  const lines: FileLine[] = [];
  const raw = text.split('\n');
  for (let n = 0; n < raw.length; n++) {
    let l = raw[n]!;
    if (n === raw.length - 1 && l === '') break;
    if (l.charCodeAt(0) === 35) continue;
    const cr = l.indexOf('\r');
    if (cr >= 0) l = l.slice(0, cr);
    let i = 0;
    while (i < l.length && (l[i] === ' ' || l[i] === '\t')) i++;
    if (i === l.length) continue;
    if (!twoColumns) {
      lines.push({ key: l.slice(i), value: '', line: n + 1 });
      continue;
    }
    let k = i;
    while (k < l.length && l[k] !== ' ' && l[k] !== '\t') k++;
    let v = k;
    while (v < l.length && (l[v] === ' ' || l[v] === '\t')) v++;
    let e = l.length;
    while (e > v && (l[e - 1] === ' ' || l[e - 1] === '\t')) e--;
    lines.push({ key: l.slice(i, k), value: l.slice(v, e), line: n + 1 });
  }
  linesCache.set(key, { stamp, lines });
  return lines;
}

/**
 * The pattern set of one file for one match method: built once, shared. `parseValue`
 * turns the second column into the map's value (maps); without it the file has one column
 * (ACL patterns) unless `asMap` (`-M`: two columns, values ignored).
 */
export function loadPatternFile(
  path: string,
  method: MatchMethod,
  icase: boolean,
  opts: { asMap: boolean; parseValue?: (v: string) => SampleValue; kind: string },
): PatternSet {
  const twoColumns = opts.asMap || opts.parseValue !== undefined;
  const key = `${opts.kind}\0${method}\0${icase ? 'i' : ''}\0${twoColumns ? 2 : 1}\0${path}`;
  const stamp = stampOf(path);
  const hit = setCache.get(key);
  if (hit && hit.stamp === stamp) return hit.set;
  const set = newPatternSet(method, icase);
  for (const l of readPatternLines(path, twoColumns)) {
    try {
      const value = opts.parseValue ? opts.parseValue(l.value) : undefined;
      set.add(l.key, value);
    } catch (e) {
      if (e instanceof SampleError) {
        throw new SampleError(e.code, `${e.message} at line ${l.line} of file '${path}'`);
      }
      throw e;
    }
  }
  setCache.set(key, { stamp, set });
  return set;
}
