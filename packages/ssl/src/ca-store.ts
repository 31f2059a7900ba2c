/**
 * The CA and CRL files of a process, as HAProxy keeps them in one tree for its runtime API:
 * every `ca-file` / `crl-file` read by a bind line, a crt-list line or a server, once per
 * path, with the certificate instances verifying clients with it (its users), plus the one
 * update transaction per kind that `set ssl ca-file` / `set ssl crl-file` opens:
 *
 *   new ssl ca-file f ──► f (empty, unused) ─┐
 *   set ssl ca-file f <<PEM ──► transaction ─┴─► commit: every user builds its context
 *        (again: replaced)        │               with the new PEM, then all switch at once
 *                                 └─► abort       (new handshakes only)
 *
 * The answers are HAProxy 2.6's, byte for byte; the runtime API module only frames them.
 */

import { X509Certificate } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { canonicalCrlIssuer, canonicalSubject, compareCanonical, crlDetails } from './der.ts';
import { certificateDetails } from './details.ts';

export type CaKind = 'ca' | 'crl';

/** A place whose client verification uses a CA or CRL file (a certificate of a bind). */
export interface CaFileUser {
  /** Builds what `pem` needs without touching what serves now; returns the switch-over. */
  prepare(pem: string): () => void;
}

interface CaFile {
  readonly path: string;
  readonly kind: CaKind;
  /** Undefined: created by `new ssl ca-file` and never filled. */
  pem: string | undefined;
  readonly users: CaFileUser[];
}

interface CaTransaction {
  readonly file: CaFile;
  pem: string;
}

/** The name of the system's trust store, always in HAProxy 2.6's tree (its HTTP client loads it). */
const SYSTEM_CA = '@system-ca';

const WORDS = {
  ca: { name: 'CA', list: 'certificate(s)' },
  crl: { name: 'CRL', list: '' },
} as const;

/** One object of a CA store: a certificate or a revocation list. */
interface StoreObject {
  readonly cert: X509Certificate | undefined;
  readonly crl: Buffer | undefined;
  /** Its subject (certificate) or issuer (list) in OpenSSL's canonical form. */
  readonly key: Buffer;
  readonly id: string;
}

/** OpenSSL's order of store objects: certificates before lists, then by name. */
function byStoreOrder(a: StoreObject, b: StoreObject): number {
  const ta = a.cert !== undefined ? 0 : 1;
  const tb = b.cert !== undefined ? 0 : 1;
  return ta !== tb ? ta - tb : compareCanonical(a.key, b.key);
}

/**
 * The objects a CA store holds of a PEM text, in the order OpenSSL keeps them: each one added
 * in turn, a duplicate dropped, the list sorted before each addition (looking for the
 * duplicate sorts it), so that all are sorted but the last one added.
 */
function storeObjects(pem: string): StoreObject[] {
  const objects: StoreObject[] = [];
  const re = /-----BEGIN ((?:TRUSTED )?CERTIFICATE|X509 CRL)-----([\s\S]*?)-----END \1-----/g;
  for (const m of pem.matchAll(re)) {
    const der = Buffer.from(m[2]!.replace(/\s+/g, ''), 'base64');
    let o: StoreObject;
    try {
      if (m[1] === 'X509 CRL') {
        crlDetails(der);
        o = {
          cert: undefined,
          crl: der,
          key: canonicalOr(() => canonicalCrlIssuer(der)),
          id: der.toString('base64'),
        };
      } else {
        const cert = new X509Certificate(der);
        o = { cert, crl: undefined, key: canonicalOr(() => canonicalSubject(der)), id: cert.fingerprint256 };
      }
    } catch {
      continue;
    }
    objects.sort(byStoreOrder);
    if (objects.some((x) => x.id === o.id)) continue;
    objects.push(o);
  }
  return objects;
}

function canonicalOr(f: () => Buffer): Buffer {
  try {
    return f();
  } catch {
    return Buffer.alloc(0);
  }
}

/**
 * The part of a stored file a secure context takes for `kind`: its certificates (an empty
 * list trusts nothing) or its revocation lists (undefined: none).
 */
export function contextPem(kind: CaKind, pem: string): string | string[] | undefined {
  const o = storeObjects(pem);
  if (kind === 'ca') return o.flatMap((x) => (x.cert !== undefined ? [x.cert.toString()] : []));
  const crls = o.flatMap((x) => (x.crl !== undefined ? [x.crl] : []));
  if (crls.length === 0) return undefined;
  return crls
    .map(
      (d) =>
        `-----BEGIN X509 CRL-----\n${d.toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END X509 CRL-----\n`,
    )
    .join('');
}

/** Where OpenSSL's default certificate directory is on the usual systems (Debian's first). */
const SYSTEM_CA_DIRS = ['/usr/lib/ssl/certs', '/etc/pki/tls/certs', '/etc/ssl/certs'];

/** undefined: not read yet; null: no such directory (HAProxy then lists no `@system-ca`). */
let systemPem: string | null | undefined;
/**
 * The system's trust store as one PEM text, read on first use as HAProxy reads it: the
 * `.pem`, `.crt`, `.cer` and `.crl` files of OpenSSL's certificate directory in name order,
 * the first certificate of each.
 */
function systemCaPem(): string | null {
  if (systemPem !== undefined) return systemPem;
  for (const dir of SYSTEM_CA_DIRS) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    const parts: string[] = [];
    for (const n of names.sort(byBytes)) {
      if (n.startsWith('.') || !/\.(pem|crt|cer|crl)$/.test(n)) continue;
      let text: string;
      try {
        text = readFileSync(`${dir}/${n}`, 'latin1');
      } catch {
        continue;
      }
      const first =
        /-----BEGIN (?:TRUSTED )?CERTIFICATE-----[\s\S]*?-----END (?:TRUSTED )?CERTIFICATE-----/.exec(text);
      if (first !== null) parts.push(first[0]);
    }
    systemPem = parts.join('\n');
    return systemPem;
  }
  systemPem = null;
  return systemPem;
}

/** strcmp() order, as HAProxy's trees list names. */
function byBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

export class CaFileStore {
  private readonly files = new Map<string, CaFile>();
  private readonly transactions: Record<CaKind, CaTransaction | undefined> = {
    ca: undefined,
    crl: undefined,
  };

  /** The PEM of the file at `path` (read once: a second line naming it shares it). */
  load(path: string, kind: CaKind, read: () => string): string {
    const known = this.files.get(path);
    if (known?.pem !== undefined) return known.pem;
    const pem = read();
    if (known !== undefined) known.pem = pem;
    else this.files.set(path, { path, kind, pem, users: [] });
    return pem;
  }

  /** The current PEM of a stored file (undefined: not stored, or empty). */
  pem(path: string): string | undefined {
    return this.files.get(path)?.pem;
  }

  has(path: string): boolean {
    return this.files.has(path);
  }

  /** One more place verifying with the file at `path`; the returned function forgets it. */
  use(path: string, user: CaFileUser): () => void {
    const f = this.files.get(path);
    if (f === undefined) return () => {};
    f.users.push(user);
    return () => {
      const i = f.users.indexOf(user);
      if (i >= 0) f.users.splice(i, 1);
    };
  }

  /** `show ssl ca-file [<file>[:<index>]]` and `show ssl crl-file …`. */
  show(kind: CaKind, arg: string | undefined): string {
    const w = WORDS[kind];
    if (arg === undefined || arg === '') {
      let out = '';
      const t = this.transactions[kind];
      if (t !== undefined) {
        out += `# transaction\n*${t.file.path}`;
        out += kind === 'ca' ? ` - ${this.count(t.pem)} ${w.list}\n` : '\n';
      }
      out += '# filename\n';
      const names = [...this.files.values()].filter((f) => f.kind === kind).map((f) => f.path);
      if (kind === 'ca' && systemCaPem() !== null) names.push(SYSTEM_CA);
      for (const p of names.sort(byBytes)) {
        if (kind === 'crl') out += `${p}\n`;
        else
          out += `${p} - ${this.count(p === SYSTEM_CA ? (systemCaPem() ?? undefined) : this.files.get(p)?.pem)} ${w.list}\n`;
      }
      return out;
    }
    let name = arg;
    let index = 0;
    const colon = name.indexOf(':');
    if (colon >= 0) {
      const digits = name.slice(colon + 1);
      const n = /^[+-]?\d+$/.test(digits) ? Number.parseInt(digits, 10) : Number.NaN;
      if (!(n > 0)) return `wrong ${w.name} index after colons in '${arg}'!`;
      index = n;
      name = name.slice(0, colon);
    }
    const notFound = `Can't display the ${w.name} file : Not found!\n`;
    let file: CaFile;
    let pem: string | undefined;
    let shown: string;
    if (name.startsWith('*')) {
      const t = this.transactions[kind];
      if (t === undefined || name.slice(1) !== t.file.path) return notFound;
      file = t.file;
      pem = t.pem;
      shown = `*${file.path}`;
    } else if (kind === 'ca' && name === SYSTEM_CA && systemCaPem() !== null) {
      // verifies the HTTP client's connections only: no certificate instance uses it
      file = { path: SYSTEM_CA, kind, pem: undefined, users: [] };
      pem = systemCaPem() ?? undefined;
      shown = SYSTEM_CA;
    } else {
      const f = this.files.get(name);
      if (f === undefined || f.kind !== kind) return notFound;
      file = f;
      pem = f.pem;
      shown = f.path;
    }
    const used = !name.startsWith('*') && file.users.length > 0;
    const head = `Filename: ${shown}\nStatus: ${pem === undefined ? 'Empty' : used ? 'Used' : 'Unused'}\n`;
    const objects = pem === undefined ? [] : storeObjects(pem);
    if (kind === 'ca') {
      // HAProxy prints nothing at all unless a certificate is shown (an empty file, an index past the end)
      let out = head;
      let shownAny = false;
      for (let i = index > 0 ? index - 1 : 0; i < objects.length; i++) {
        const cert = objects[i]!.cert;
        if (cert === undefined) continue;
        out += ` \nCertificate #${i + 1}:\n${certificateDetails(cert, [])}`;
        shownAny = true;
        if (index > 0) break;
      }
      return shownAny ? out : '';
    }
    // objects are numbered whatever their kind
    let out = head;
    for (let i = 0; i < objects.length; i++) {
      const crl = objects[i]!.crl;
      if (crl === undefined || (index > 0 && index - 1 !== i)) continue;
      out += ` \nCertificate Revocation List #${i + 1}:\n${crlDetails(crl)}`;
      if (index > 0) break;
    }
    return out;
  }

  private count(pem: string | undefined): number {
    if (pem === undefined) return 0;
    return storeObjects(pem).length;
  }

  /** `new ssl ca-file <file>` / `new ssl crl-file <file>`. */
  create(kind: CaKind, name: string | undefined): string {
    const w = WORDS[kind];
    if (name === undefined || name === '') return `'new ssl ${kind}-file' expects a filename\n`;
    if (this.files.has(name)) return `${w.name} file '${name}' already exists!\n`;
    this.files.set(name, { path: name, kind, pem: undefined, users: [] });
    return `New ${w.name} file created '${name}'!\n`;
  }

  /** `set ssl ca-file <file> <payload>` / `set ssl crl-file …`: opens or replaces the transaction. */
  set(kind: CaKind, name: string | undefined, payload: string | undefined): string {
    const w = WORDS[kind];
    if (name === undefined || name === '' || payload === undefined)
      return `'set ssl ${kind}-file expects a filename and ${kind === 'ca' ? 'CAs' : 'CRLs'} as a payload\n`;
    const failed = (why: string) => `${why}Can't update ${name}!\n`;
    const t = this.transactions[kind];
    if (t !== undefined && t.file.path !== name)
      return failed(
        `The ongoing transaction is about '${t.file.path}' but you are trying to set '${name}'\n`,
      );
    const file = t?.file ?? this.files.get(name);
    if (file === undefined)
      return failed(`Can't replace a ${w.name} file which is not referenced by the configuration!\n`);
    if (storeObjects(payload).length === 0) return failed('Invalid payload\n');
    if (t !== undefined) {
      t.pem = payload;
      return `transaction updated for ${w.name} ${file.path}!\n`;
    }
    this.transactions[kind] = { file, pem: payload };
    return `transaction created for ${w.name} ${file.path}!\n`;
  }

  /** `commit ssl ca-file <file>`: every user switches to the new PEM, or none does. */
  commit(kind: CaKind, name: string | undefined): string {
    // HAProxy 2.6 asks for a filename with the ca-file words for both kinds
    if (name === undefined || name === '') return "'commit ssl ca-file expects a filename\n";
    const t = this.transactions[kind];
    const refused = (why: string) => `${why}Can't commit ${name}!\n`;
    if (t === undefined) return refused('No ongoing transaction! !\n');
    if (t.file.path !== name)
      return refused(
        `The ongoing transaction is about '${t.file.path}' but you are trying to set '${name}'\n`,
      );
    let out = `Committing ${t.file.path}`;
    const switches: (() => void)[] = [];
    for (const u of t.file.users) {
      try {
        switches.push(u.prepare(t.pem));
      } catch (err) {
        return `${out}\n${(err as Error).message}\nFailed!\n`;
      }
      out += '.';
    }
    for (const s of switches) s();
    t.file.pem = t.pem;
    this.transactions[kind] = undefined;
    return `${out}\nSuccess!\n`;
  }

  /** `abort ssl ca-file <file>` / `abort ssl crl-file <file>`. */
  abort(kind: CaKind, name: string | undefined): string {
    if (name === undefined || name === '') return `'abort ssl ${kind}-file' expects a filename\n`;
    const t = this.transactions[kind];
    if (t === undefined) return 'No ongoing transaction!\n';
    if (t.file.path !== name)
      return `The ongoing transaction is about '${t.file.path}' but you are trying to abort a transaction for '${name}'\n`;
    this.transactions[kind] = undefined;
    return `Transaction aborted for certificate '${name}'!\n`;
  }

  /** `del ssl ca-file <file>` / `del ssl crl-file <file>`: only a file that verifies nothing. */
  delete(kind: CaKind, name: string | undefined): string {
    const w = WORDS[kind];
    if (name === undefined || name === '') return `'del ssl ${kind}-file' expects a ${w.name} file name\n`;
    const refused = (why: string) => `Can't remove the ${w.name} file: ${why}\n`;
    const f = this.files.get(name);
    if (f === undefined) return refused(`${w.name} file '${name}' doesn't exist!\n`);
    if (kind === 'crl' && f.kind !== 'crl') return refused("'del ssl crl-file' does not work on CA files!\n");
    if (f.users.length > 0) return refused(`${w.name} file '${name}' in use, can't be deleted!\n`);
    this.files.delete(name);
    return `${w.name} file '${name}' deleted!\n`;
  }
}
