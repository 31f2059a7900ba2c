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
import { getCACertificates } from 'node:tls';
import { canonicalCrlIssuer, canonicalSubject, compareCanonical, crlDetails, pemDer } from './der.ts';
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
  ca: { name: 'CA', list: 'certificate(s)', label: 'CERTIFICATE' },
  crl: { name: 'CRL', list: '', label: 'X509 CRL' },
} as const;

/** What a CA store holds of a PEM text: certificates first, then revocation lists, each without duplicate, in OpenSSL's order. */
interface StoreObjects {
  readonly certs: X509Certificate[];
  readonly crls: Buffer[];
}

function storeObjects(pem: string): StoreObjects {
  const seen = new Set<string>();
  const certs: { cert: X509Certificate; key: Buffer }[] = [];
  for (const der of pemDer(pem, '(?:TRUSTED )?CERTIFICATE')) {
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(der);
    } catch {
      continue;
    }
    if (seen.has(cert.fingerprint256)) continue;
    seen.add(cert.fingerprint256);
    certs.push({ cert, key: canonicalOr(() => canonicalSubject(der)) });
  }
  const crls: { der: Buffer; key: Buffer }[] = [];
  for (const der of pemDer(pem, 'X509 CRL')) {
    const id = der.toString('base64');
    if (seen.has(id)) continue;
    try {
      crlDetails(der);
    } catch {
      continue;
    }
    seen.add(id);
    crls.push({ der, key: canonicalOr(() => canonicalCrlIssuer(der)) });
  }
  certs.sort((a, b) => compareCanonical(a.key, b.key));
  crls.sort((a, b) => compareCanonical(a.key, b.key));
  return { certs: certs.map((c) => c.cert), crls: crls.map((c) => c.der) };
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
  if (kind === 'ca') return o.certs.length > 0 ? o.certs.map((c) => c.toString()) : [];
  if (o.crls.length === 0) return undefined;
  return o.crls
    .map(
      (d) =>
        `-----BEGIN X509 CRL-----\n${d.toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END X509 CRL-----\n`,
    )
    .join('');
}

let systemCount: number | undefined;
function systemCaCount(): number {
  if (systemCount === undefined) {
    const seen = new Set<string>();
    for (const p of getCACertificates('system')) seen.add(new X509Certificate(p).fingerprint256);
    systemCount = seen.size;
  }
  return systemCount;
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
      if (kind === 'ca') names.push(SYSTEM_CA);
      for (const p of names.sort(byBytes)) {
        if (kind === 'crl') out += `${p}\n`;
        else
          out += `${p} - ${p === SYSTEM_CA ? systemCaCount() : this.count(this.files.get(p)?.pem)} ${w.list}\n`;
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
    } else {
      const f = this.files.get(name);
      if (f === undefined || f.kind !== kind) return notFound;
      file = f;
      pem = f.pem;
      shown = f.path;
    }
    const used = !name.startsWith('*') && file.users.length > 0;
    const head = `Filename: ${shown}\nStatus: ${pem === undefined ? 'Empty' : used ? 'Used' : 'Unused'}\n`;
    const objects = pem === undefined ? { certs: [], crls: [] } : storeObjects(pem);
    if (kind === 'ca') {
      // HAProxy prints nothing at all unless a certificate is shown (an empty file, an index past the end)
      let out = head;
      let shownAny = false;
      for (let i = index > 0 ? index - 1 : 0; i < objects.certs.length; i++) {
        out += ` \nCertificate #${i + 1}:\n${certificateDetails(objects.certs[i]!, [])}`;
        shownAny = true;
        if (index > 0) break;
      }
      return shownAny ? out : '';
    }
    // the lists are numbered after the certificates the file may hold
    let out = head;
    const first = objects.certs.length;
    for (let i = 0; i < objects.crls.length; i++) {
      if (index > 0 && index - 1 !== first + i) continue;
      out += ` \nCertificate Revocation List #${first + i + 1}:\n${crlDetails(objects.crls[i]!)}`;
      if (index > 0) break;
    }
    return out;
  }

  private count(pem: string | undefined): number {
    if (pem === undefined) return 0;
    const o = storeObjects(pem);
    return o.certs.length + o.crls.length;
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
    const o = storeObjects(payload);
    if (o.certs.length + o.crls.length === 0) return failed('Invalid payload\n');
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
