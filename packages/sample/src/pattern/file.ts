// Pattern files (`acl … -f file`) and map files: their lines, read once per path and read
// again when the file changes on disk. Their users share one reference per file (ref.ts).
import { readFileSync, statSync } from 'node:fs';
import { SampleError } from '../errors.ts';

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

/** What tells a file changed: its modification time, size and inode. */
export function stampOf(path: string): string {
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
