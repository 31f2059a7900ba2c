/**
 * The crt-lists of a process (a `crt-list` file, or a `crt <dir>` which HAProxy keeps the
 * same way), with their lines and the bind lines using each, for the runtime API's
 * `show ssl crt-list`, `add ssl crt-list` and `del ssl crt-list`:
 *
 *   add ssl crt-list L <line> ──► every bind using L serves the certificate of <line>
 *                                 (for its filters, with its options) on new handshakes
 *   del ssl crt-list L c[:n]  ──► every bind using L forgets that line (not a default one)
 *
 * Answers are HAProxy 2.6's, byte for byte; the runtime API module only frames them.
 */

import { type CrtListLineParse, parseCrtListLine } from './crt-list.ts';
import type { LoadedCertificate } from './pem.ts';
import { applySetting, emptySettings } from './settings.ts';
import type { CertificateStore } from './store.ts';

/** A certificate of a crt-list line served by one bind line. */
export interface CrtListInstance {
  /** Where its bind line is, for HAProxy's messages. */
  readonly file: string;
  readonly line: number;
  /** The bind's default certificate (and the bind is not `strict-sni`): cannot be deleted. */
  isDefault(): boolean;
  /** Stops serving it (new handshakes only). */
  remove(): void;
}

/** A bind line using a crt-list. */
export interface CrtListUser {
  /** Where the bind line is, for HAProxy's messages. */
  readonly file: string;
  readonly line: number;
  /**
   * Serves `cert` for the line's filters with its options; throws (a message in HAProxy's
   * words) when it cannot.
   */
  insert(
    cert: LoadedCertificate,
    options: readonly [string, string | true][],
    filters: readonly string[],
  ): CrtListInstance;
}

interface Line {
  /** The certificate's path in the certificate store. */
  readonly cert: string;
  readonly options: readonly [string, string | true][] | undefined;
  /** As written (the SNI tables use them lower-cased). */
  readonly filters: readonly string[];
  /** Line number in the file (0 in a directory). */
  line: number;
  readonly instances: CrtListInstance[];
}

interface CrtList {
  readonly key: string;
  readonly directory: boolean;
  readonly lines: Line[];
  /** Lines read from the file, then one more per line added. */
  lineCount: number;
  readonly users: CrtListUser[];
  /** Lines of the file already seen by the bind being registered. */
  cursor: number;
  fresh: boolean;
}

/** Options HAProxy accepts on a crt-list line that haproxyd cannot honour per certificate. */
const NOT_SERVED = new Set(['npn', 'allow-0rtt', 'no-ca-names', 'ca-verify-file']);

/** The order `show ssl crt-list` prints the options of a line in (whatever order they were written). */
const DUMP_ORDER = [
  'npn',
  'alpn',
  'verify',
  'no-ca-names',
  'allow-0rtt',
  'ca-file',
  'crl-file',
  'ciphers',
  'ciphersuites',
  'curves',
  'ecdhe',
  'ssl-min-ver',
  'ssl-max-ver',
];

function byBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

function stripSlashes(s: string): string {
  let end = s.length;
  while (end > 0 && s[end - 1] === '/') end--;
  return s.slice(0, end);
}

export class CrtListStore {
  private readonly lists = new Map<string, CrtList>();
  private readonly certs: CertificateStore;
  /** `crt-base`, joined to relative certificate names of added lines. */
  crtBase: string | undefined = undefined;
  /** `ca-base`, joined to relative `ca-file`/`crl-file` names of added lines. */
  caBase: string | undefined = undefined;

  constructor(certs: CertificateStore) {
    this.certs = certs;
  }

  /** A bind line starts reading the crt-list (or directory) `key`: its lines follow with `line()`. */
  open(key: string, directory: boolean, lineCount: number, user: CrtListUser): void {
    let l = this.lists.get(key);
    if (l === undefined) {
      l = { key, directory, lines: [], lineCount, users: [], cursor: 0, fresh: true };
      this.lists.set(key, l);
    } else {
      l.fresh = false;
    }
    l.cursor = 0;
    l.users.push(user);
  }

  /** The next line of the crt-list being read by a bind, and its instance on that bind. */
  line(
    key: string,
    cert: string,
    options: readonly [string, string | true][] | undefined,
    filters: readonly string[],
    line: number,
    instance: CrtListInstance,
  ): void {
    const l = this.lists.get(key);
    if (l === undefined) return;
    let known = l.fresh ? undefined : l.lines[l.cursor];
    if (known === undefined) {
      known = { cert, options, filters, line, instances: [] };
      l.lines.push(known);
    }
    l.cursor++;
    known.instances.push(instance);
  }

  /** `show ssl crt-list [-n] [<list>]`. */
  show(args: readonly string[]): string {
    let numbered = false;
    let name = args[0];
    if (name === '-n') {
      numbered = true;
      name = args[1];
      if (name === undefined || name === '')
        return "'show ssl crt-list -n' expects a filename or a directory\n";
    }
    if (name === undefined || name === '') {
      let out = '';
      for (const k of [...this.lists.keys()].sort(byBytes)) out += `${k}\n`;
      return out;
    }
    const l = this.lists.get(stripSlashes(name));
    if (l === undefined) return "didn't find the specified filename\n";
    let out = `# ${l.key}\n`;
    for (const e of l.lines) {
      out += e.cert;
      if (numbered) out += `:${e.line}`;
      out += dumpOptions(e.options, this.caBase);
      for (const f of e.filters) out += ` ${f}`;
      out += '\n';
    }
    return out;
  }

  /** `add ssl crt-list <list> <cert>` or `add ssl crt-list <list> <<payload` (one line). */
  add(list: string | undefined, cert: string | undefined, payload: string | undefined): string {
    if (list === undefined || list === '' || (payload === undefined && (cert === undefined || cert === '')))
      return "'add ssl crtlist' expects a filename and a certificate name\n";
    const key = stripSlashes(list);
    const refused = (why: string) => `Can't edit the crt-list: ${why}\n`;
    const l = this.lists.get(key);
    if (l === undefined) return refused(`crt-list '${key}' does not exist!`);
    let parsed: CrtListLineParse;
    if (payload !== undefined) {
      if (payload.includes('\n')) return refused('only one line of payload is supported!');
      const r = parseCrtListLine(payload, 'CLI', 1);
      if (typeof r === 'string') return refused(r);
      if (r === undefined)
        return refused("'add ssl crtlist' should contain the certificate name in the payload");
      parsed = r;
    } else {
      parsed = { cert: cert!, options: undefined, filters: [] };
    }
    let path = parsed.cert;
    if (l.directory) {
      const slash = path.lastIndexOf('/');
      if (slash < 0 || path.slice(0, slash) !== l.key)
        return refused(
          `'${l.key}' is a directory, certificate path '${path}' must contain the directory path`,
        );
    }
    if (!path.startsWith('/') && this.crtBase !== undefined) path = `${this.crtBase}/${path}`;
    const stored = this.certs.get(path);
    if (stored === undefined) return refused(`certificate '${path}' does not exist!`);
    if (stored.cert === undefined) return refused(`certificate '${path}' is empty!`);
    if (l.directory && l.lines.some((e) => e.cert === path))
      return refused('file already exists in this directory!');
    if (l.directory && (parsed.options !== undefined || parsed.filters.length > 0))
      return refused('this is a directory, SSL configuration and filters are not allowed');
    const options = parsed.options ?? [];
    for (const [name, value] of options) {
      if (NOT_SERVED.has(name))
        return refused(`crt-list option '${name}' is not supported yet by haproxyd's runtime.`);
      if (
        name === 'alpn' &&
        typeof value === 'string' &&
        value.split(',').some((p) => p === 'h2' || p.startsWith('h2-'))
      )
        return refused(
          `'alpn ${value}': advertising 'h2' (HTTP/2) is not supported yet by haproxyd's runtime on a crt-list line; put it on the bind line.`,
        );
    }
    // the values are checked as HAProxy's parser checks them, before anything is inserted
    const scratch = emptySettings();
    for (const [name, value] of options) {
      const r = applySetting(scratch, name, value);
      // HAProxy's sentence for a bad verify method ends with its own line feed
      if (r !== undefined && r !== 'unknown' && r !== 'not-all')
        return refused(name === 'verify' ? `${r}\n` : r);
      if ((name === 'ca-file' || name === 'crl-file') && typeof value === 'string') {
        // from the runtime API, a CA or CRL file comes from the store only (no disk access)
        const key = this.caBase !== undefined && !value.startsWith('/') ? `${this.caBase}/${value}` : value;
        if (this.certs.caFiles.pem(key) === undefined) return refused(`'${name}' : unable to load ${key}`);
      }
    }
    let out = `Inserting certificate '${path}' in crt-list '${l.key}'`;
    const made: CrtListInstance[] = [];
    for (const u of l.users) {
      try {
        made.push(u.insert(stored.cert, options, parsed.filters));
      } catch (err) {
        for (const m of made) m.remove();
        return `${out}\n${(err as Error).message}\nFailed!\n`;
      }
      out += '.';
    }
    l.lineCount++;
    l.lines.push({
      cert: path,
      options: parsed.options,
      filters: parsed.filters,
      line: l.directory ? 0 : l.lineCount,
      instances: made,
    });
    return `${out}\nSuccess!\n`;
  }

  /** `del ssl crt-list <list> <cert[:line]>`. */
  delete(list: string | undefined, certArg: string | undefined): string {
    if (list === undefined || list === '' || certArg === undefined || certArg === '')
      return "'del ssl crtlist' expects a filename and a certificate name\n";
    const refused = (why: string) => `Can't delete the entry: ${why}\n`;
    let cert = certArg;
    let lineNo = 0;
    const colon = cert.indexOf(':');
    if (colon >= 0) {
      const digits = cert.slice(colon + 1);
      if (!/^\s*[+-]?\d+$/.test(digits)) return refused(`wrong line number after colons in '${certArg}'!`);
      lineNo = Number.parseInt(digits, 10);
      cert = cert.slice(0, colon);
    }
    const key = stripSlashes(list);
    const l = this.lists.get(key);
    if (l === undefined) return refused(`crt-list '${key}' does not exist!`);
    const stored = this.certs.get(cert);
    if (stored === undefined) return refused(`certificate '${cert}' does not exist!`);
    if (stored.cert === undefined) return refused(`certificate '${cert}' is empty!`);
    const matching = l.lines.filter((e) => e.cert === cert);
    if (matching.length === 0) return refused(`certificate '${cert}' can't be found in crt-list '${key}'!`);
    const numbers = matching.map((e) => e.line).join(', ');
    const entry = matching.find((e) => lineNo === 0 || e.line === lineNo);
    if (entry === undefined)
      return refused(
        `found a certificate '${cert}' but the line number is incorrect, please specify a correct line number preceded by colons (${numbers})!`,
      );
    if (lineNo === 0 && matching.length > 1)
      return refused(
        `found the certificate '${cert}' in several entries, please specify a line number preceded by colons (${numbers})!`,
      );
    const defaults = entry.instances.filter((inst) => inst.isDefault());
    if (defaults.length > 0) {
      let why = `certificate '${cert}' cannot be deleted, it is used as default certificate by the following frontends:\n`;
      for (const d of defaults) why += `\t- ${d.file}:${d.line}\n`;
      return refused(why);
    }
    for (const inst of entry.instances) inst.remove();
    l.lines.splice(l.lines.indexOf(entry), 1);
    return `Entry '${cert}' deleted in crtlist '${key}'!\n`;
  }
}

/** ` [alpn h2 verify none …]`: a line's options in HAProxy's dump order and words. */
function dumpOptions(
  options: readonly [string, string | true][] | undefined,
  caBase: string | undefined,
): string {
  if (options === undefined) return '';
  const parts: string[] = [];
  for (const name of DUMP_ORDER) {
    // the last one written wins, as HAProxy keeps one value per option
    let value: string | true | undefined;
    for (const [n, v] of options) if (n === name) value = v;
    if (value === undefined) continue;
    // HAProxy 2.6 leaves the NUL that ends its protocol list in the output
    if (name === 'alpn' || name === 'npn') parts.push(`${name} ${value as string}\0`);
    else if (value === true) parts.push(name);
    else if ((name === 'ca-file' || name === 'crl-file') && caBase !== undefined && !value.startsWith('/'))
      parts.push(`${name} ${caBase}/${value}`);
    else parts.push(`${name} ${value}`);
  }
  return ` [${parts.join(' ')}]`;
}
