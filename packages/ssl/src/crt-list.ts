/**
 * `crt-list` files: one certificate per line, with optional per-certificate options in
 * brackets and SNI filters after them:
 *
 *     # comment
 *     site.pem [alpn http/1.1 ssl-min-ver TLSv1.2] www.example.com !old.example.com
 *     default.pem
 */

import { readFileSync } from 'node:fs';
import { CRT_LIST_OPTIONS } from '@hap/config';
import { CertificateError } from './pem.ts';

export interface CrtListEntry {
  /** 1-based line of the crt-list file. */
  readonly line: number;
  readonly file: string;
  /** Options written between brackets, in order (flags get `true`). */
  readonly options: [string, string | true][];
  /** SNI filters as written; `!name` ones exclude a name. Empty: the certificate's own names. */
  readonly filters: string[];
}

/** Options of a crt-list line that take no argument. */
const FLAGS = new Set(['allow-0rtt', 'no-ca-names']);
const KNOWN = new Set(CRT_LIST_OPTIONS);

/**
 * A crt-list file's lines as HAProxy's runtime API keeps them: how many lines it counts (the
 * next line added gets this plus one), and each line by number as HAProxy splits it (what
 * `show ssl crt-list` prints: options in brackets, even empty ones, filters as written).
 */
export function crtListLines(path: string): { count: number; byLine: Map<number, CrtListLineParse> } {
  const byLine = new Map<number, CrtListLineParse>();
  let text: string;
  try {
    text = readFileSync(path, 'latin1');
  } catch {
    return { count: 0, byLine };
  }
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (l.startsWith('#') || l === '' || l.startsWith('\r')) continue;
    const r = parseCrtListLine(l, path, i + 1);
    if (r !== undefined && typeof r !== 'string') byLine.set(i + 1, r);
  }
  return { count: lines.length, byLine };
}

/** Reads and splits a crt-list file; errors are HAProxy-worded, naming the file and line. */
export function readCrtList(path: string, shown: string): CrtListEntry[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CertificateError(
      'HAP_ERR_SSL_CRT_LIST',
      `'crt-list' : cannot open file '${shown}' : ${code === 'ENOENT' ? 'No such file or directory' : 'Permission denied'}`,
    );
  }
  const entries: CrtListEntry[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.replace(/\r$/, '');
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const words = trimmed.split(/\s+/);
    const file = words[0]!;
    const options: [string, string | true][] = [];
    const filters: string[] = [];
    let w = 1;
    const first = words[1];
    if (first?.startsWith('[')) {
      // the bracketed options, possibly glued to the brackets
      const inner: string[] = [];
      let closed = false;
      for (; w < words.length; w++) {
        let t = words[w]!;
        if (t.startsWith('[') && inner.length === 0) t = t.slice(1);
        if (t.endsWith(']')) {
          t = t.slice(0, -1);
          if (t !== '') inner.push(t);
          closed = true;
          w++;
          break;
        }
        if (t !== '') inner.push(t);
      }
      if (!closed) {
        throw new CertificateError(
          'HAP_ERR_SSL_CRT_LIST',
          `'crt-list' : error processing line ${i + 1} in file '${shown}' : missing ']'.`,
        );
      }
      for (let k = 0; k < inner.length; k++) {
        const name = inner[k]!;
        if (!KNOWN.has(name)) {
          throw new CertificateError(
            'HAP_ERR_SSL_CRT_LIST',
            `'crt-list' : error processing line ${i + 1} in file '${shown}' : unknown ssl keyword ${name}.`,
          );
        }
        if (FLAGS.has(name)) {
          options.push([name, true]);
          continue;
        }
        const value = inner[k + 1];
        if (value === undefined) {
          throw new CertificateError(
            'HAP_ERR_SSL_CRT_LIST',
            `'crt-list' : error processing line ${i + 1} in file '${shown}' : '${name}' : missing value.`,
          );
        }
        options.push([name, value]);
        k++;
      }
    }
    for (; w < words.length; w++) filters.push(words[w]!);
    entries.push({ line: i + 1, file, options, filters });
  }
  return entries;
}

/** One crt-list line given to `add ssl crt-list`: the certificate, its options (undefined: no brackets), its filters. */
export interface CrtListLineParse {
  readonly cert: string;
  readonly options: [string, string | true][] | undefined;
  /** As written. */
  readonly filters: string[];
}

/**
 * Splits one crt-list line as HAProxy's runtime API does (brackets are separators wherever
 * they are). Returns the line, undefined for an empty one, or HAProxy's error sentence.
 */
export function parseCrtListLine(
  text: string,
  file: string,
  line: number,
): CrtListLineParse | string | undefined {
  const where = `parsing [${file}:${line}]`;
  const args: string[] = [];
  let open = 0;
  let close = 0;
  let fresh = true;
  for (const ch of text) {
    if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || ch === '\v' || ch === '\f') {
      fresh = true;
    } else if (ch === '[') {
      if (open) return `${where}: too many '['`;
      if (args.length === 0) return `${where}: file must start with a cert`;
      open = args.length;
      fresh = true;
    } else if (ch === ']') {
      if (close) return `${where}: too many ']'`;
      if (!open) return `${where}: missing '['`;
      close = args.length;
      fresh = true;
    } else if (fresh) {
      args.push(ch);
      fresh = false;
    } else {
      args[args.length - 1] += ch;
    }
  }
  if (args.length === 0) return undefined;
  let at = open || 1;
  let options: [string, string | true][] | undefined;
  if (open) options = [];
  while (at < close) {
    const name = args[at]!;
    if (!KNOWN.has(name)) return `${where}: unknown ssl keyword ${name}`;
    const skip = FLAGS.has(name) ? 0 : 1;
    if (at + 1 + skip > close) return `${where}: ssl args out of '[]' for ${name}`;
    options!.push([name, skip === 0 ? true : args[at + 1]!]);
    at += 1 + skip;
  }
  return { cert: args[0]!, options, filters: args.slice(at) };
}
