/**
 * The certificate store of a process, as HAProxy keeps it for its runtime API: every
 * certificate file loaded by a `bind … crt`/`crt-list` line or a `server … crt` option, once
 * per path, with the places that serve it (its instances), plus the one update transaction
 * that `set ssl cert` opens and `commit ssl cert` applies without a reload:
 *
 *   set ssl cert f <<PEM ──► transaction (a draft copy of f) ──► commit: every instance
 *        ▲    │ (again: the draft is updated)      │ builds its new context, then all
 *        │    ▼                                     │ switch at once; the draft becomes f
 *        └─ abort ssl cert f ◄──────────────────────┘ (new handshakes only)
 *
 * It parses, checks and answers in HAProxy's words; the runtime API module only frames them.
 */

import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { CaFileStore } from './ca-store.ts';
import { CrtListStore } from './crt-list-store.ts';
import { certificateDetails } from './details.ts';
import { CertificateError, certificateNames, type LoadedCertificate, pemBlocks } from './pem.ts';

/** One place serving a stored certificate (a bind's SNI entry, a server's client certificate). */
export interface CertificateInstance {
  /**
   * Builds what serving `next` needs without touching what serves now; returns the
   * switch-over. Throws (a message in HAProxy's words) when `next` cannot be served here.
   */
  prepare(next: LoadedCertificate): () => void;
}

/** A certificate file of the store. */
export interface StoredCertificate {
  readonly path: string;
  /** Undefined: created empty by `new ssl cert` and not committed yet. */
  cert: LoadedCertificate | undefined;
  readonly instances: CertificateInstance[];
}

/** The certificate being edited by a transaction: what HAProxy calls a ckch. */
interface Draft {
  /** PEM blocks: the leaf, then its chain. */
  certs: string[];
  key: string | undefined;
  issuer: string | undefined;
}

interface Transaction {
  readonly path: string;
  readonly store: StoredCertificate;
  draft: Draft;
}

/** The extensions `set ssl cert` understands after a file name, and what each one replaces. */
const PART_EXTENSIONS = ['crt', 'key', 'ocsp', 'sctl', 'issuer'] as const;
type Part = '' | (typeof PART_EXTENSIONS)[number];

function draftOf(c: LoadedCertificate | undefined): Draft {
  if (c === undefined) return { certs: [], key: undefined, issuer: undefined };
  return { certs: pemBlocks(c.certPem).certs, key: c.keyPem, issuer: c.issuerPem };
}

function parseLeaf(pem: string | undefined): X509Certificate | undefined {
  if (pem === undefined) return undefined;
  try {
    return new X509Certificate(pem);
  } catch {
    return undefined;
  }
}

export class CertificateStore {
  private readonly files = new Map<string, StoredCertificate>();
  private transaction: Transaction | undefined = undefined;
  /** The crt-lists and certificate directories of the binds (`… ssl crt-list` commands). */
  readonly crtLists: CrtListStore = new CrtListStore(this);
  /** The CA and CRL files (`… ssl ca-file`, `… ssl crl-file` commands). */
  readonly caFiles: CaFileStore = new CaFileStore();

  /** The stored file at `path` (loaded once: a second line naming the same path shares it). */
  load(path: string, read: () => LoadedCertificate): LoadedCertificate {
    const known = this.files.get(path);
    if (known?.cert !== undefined) return known.cert;
    const cert = read();
    if (known !== undefined) known.cert = cert;
    else this.files.set(path, { path, cert, instances: [] });
    return cert;
  }

  /** Records one more place serving the file at `path`. */
  use(path: string, instance: CertificateInstance): void {
    this.files.get(path)?.instances.push(instance);
  }

  /** Forgets one place serving the file at `path` (a crt-list line deleted). */
  unuse(path: string, instance: CertificateInstance): void {
    const list = this.files.get(path)?.instances;
    const i = list?.indexOf(instance) ?? -1;
    if (i >= 0) list!.splice(i, 1);
  }

  get(path: string): StoredCertificate | undefined {
    return this.files.get(path);
  }

  // --- the runtime API's verbs, answered in HAProxy 2.6's words ----------------------------

  /** `show ssl cert [<file>]`. */
  show(name: string | undefined): string {
    if (name === undefined || name === '') {
      let out = '';
      if (this.transaction !== undefined) out += `# transaction\n*${this.transaction.path}\n`;
      out += '# filename\n';
      for (const p of [...this.files.keys()].sort(byBytes)) out += `${p}\n`;
      return out;
    }
    const notFound = "Can't display the certificate: Not found or the certificate is a bundle!\n";
    const dot = name.lastIndexOf('.');
    if (dot >= 0 && name.slice(dot + 1) === 'ocsp') {
      // haproxyd staples no OCSP response (a file with one is refused at start): HAProxy
      // prints nothing for a certificate without one
      const base = name.slice(0, dot);
      if (base.startsWith('*')) return this.transaction?.path === base.slice(1) ? '' : notFound;
      return this.files.has(base) ? '' : notFound;
    }
    let status: string;
    let certs: readonly string[];
    let shown: string;
    if (name.startsWith('*')) {
      const t = this.transaction;
      if (t === undefined || name.slice(1) !== t.path) return notFound;
      shown = `*${t.path}`;
      certs = t.draft.certs;
      // the draft serves nowhere yet
      status = certs.length === 0 ? 'Empty' : 'Unused';
    } else {
      const f = this.files.get(name);
      if (f === undefined) return notFound;
      shown = f.path;
      certs = f.cert === undefined ? [] : pemBlocks(f.cert.certPem).certs;
      status = f.cert === undefined ? 'Empty' : f.instances.length === 0 ? 'Unused' : 'Used';
    }
    let out = `Filename: ${shown}\nStatus: ${status}\n`;
    const leaf = parseLeaf(certs[0]);
    if (leaf !== undefined) {
      const chain: X509Certificate[] = [];
      for (const c of certs.slice(1)) {
        const x = parseLeaf(c);
        if (x !== undefined) chain.push(x);
      }
      out += certificateDetails(leaf, chain);
    }
    // haproxyd staples no OCSP response: the key is always empty, as HAProxy prints it then
    return `${out}OCSP Response Key: \n`;
  }

  /** `set ssl cert <file> <payload>`: opens or updates the transaction. */
  set(name: string | undefined, payload: string | undefined): string {
    if (name === undefined || name === '' || payload === undefined)
      return "'set ssl cert expects a filename and a certificate as a payload\n";
    let base = name;
    let part: Part = '';
    const dot = name.lastIndexOf('.');
    if (dot >= 0) {
      const ext = name.slice(dot + 1);
      if ((PART_EXTENSIONS as readonly string[]).includes(ext)) {
        part = ext as Part;
        base = name.slice(0, dot);
      }
    }
    const failed = (why: string) => `${why}Can't update ${name}!\n`;
    // HAProxy 2.6 edits the ongoing transaction whatever file is named
    const t = this.transaction;
    const store = t?.store ?? this.files.get(base);
    if (store === undefined)
      return failed("Can't replace a certificate which is not referenced by the configuration!\n");
    if (part === 'ocsp' || part === 'sctl' || part === 'issuer') {
      throw new CertificateError(
        'HAP_ERR_NOT_SUPPORTED',
        `'set ssl cert <file>.${part}' is not supported yet by haproxyd (it staples no OCSP response and sends no SCT list).`,
      );
    }
    const draft: Draft = t !== undefined ? { ...t.draft } : draftOf(store.cert);
    const b = pemBlocks(payload);
    if (part === 'key') {
      if (b.keys.length === 0 || !validKey(b.keys[0]!))
        return failed(`unable to load private key from file '${base}'.\nCan't load the payload\n`);
      draft.key = b.keys[0];
    } else {
      if (b.certs.length === 0 || parseLeaf(b.certs[0]) === undefined)
        return failed(`unable to load certificate from file '${base}'.\nCan't load the payload\n`);
      if (b.certs.slice(1).some((c) => parseLeaf(c) === undefined))
        return failed(`unable to load certificate chain from file '${base}'.\nCan't load the payload\n`);
      // a PEM replaces everything: the key it carries (or none), the chain, the issuer
      draft.certs = b.certs;
      draft.key = b.keys[0] !== undefined && validKey(b.keys[0]) ? b.keys[0] : undefined;
      draft.issuer = undefined;
    }
    if (t !== undefined) {
      t.draft = draft;
      return `Transaction updated for certificate ${t.path}!\n`;
    }
    this.transaction = { path: store.path, store, draft };
    return `Transaction created for certificate ${store.path}!\n`;
  }

  /** `commit ssl cert <file>`: every instance switches to the new certificate, or none does. */
  commit(name: string | undefined): string {
    if (name === undefined || name === '') return "'commit ssl cert expects a filename\n";
    const t = this.transaction;
    const refused = (why: string) => `${why}Can't commit ${name}!\n`;
    if (t === undefined) return refused('No ongoing transaction! !\n');
    if (t.path !== name)
      return refused(`The ongoing transaction is about '${t.path}' but you are trying to set '${name}'\n`);
    const d = t.draft;
    if (d.certs.length > 0 && d.key === undefined)
      return refused('The transaction must contain at least a certificate and a private key!\n');
    const leaf = parseLeaf(d.certs[0]);
    let key: KeyObject | undefined;
    try {
      key = d.key !== undefined ? createPrivateKey(d.key) : undefined;
    } catch {
      key = undefined;
    }
    if (leaf === undefined || key === undefined || !leaf.checkPrivateKey(key))
      return refused(`inconsistencies between private key and certificate loaded '${t.path}'.\n`);
    const next: LoadedCertificate = {
      path: t.path,
      certPem: d.certs.join('\n'),
      keyPem: d.key!,
      leaf,
      names: certificateNames(leaf),
      ocsp: undefined,
      issuerPem: d.issuer,
    };
    let out = `Committing ${t.path}`;
    const switches: (() => void)[] = [];
    for (const i of t.store.instances) {
      try {
        switches.push(i.prepare(next));
      } catch (err) {
        // nothing switched: the transaction stays, as HAProxy keeps it after a failure
        return `${out}\n${(err as Error).message}\nFailed!\n`;
      }
      out += '.';
    }
    for (const s of switches) s();
    t.store.cert = next;
    this.transaction = undefined;
    return `${out}\nSuccess!\n`;
  }

  /** `abort ssl cert <file>`. */
  abort(name: string | undefined): string {
    if (name === undefined || name === '') return "'abort ssl cert' expects a filename\n";
    const t = this.transaction;
    if (t === undefined) return 'No ongoing transaction!\n';
    if (t.path !== name)
      return `The ongoing transaction is about '${t.path}' but you are trying to abort a transaction for '${name}'\n`;
    this.transaction = undefined;
    return `Transaction aborted for certificate '${name}'!\n`;
  }

  /** `new ssl cert <file>`: an empty entry, to be filled by a transaction. */
  create(name: string | undefined): string {
    if (name === undefined || name === '') return "'new ssl cert' expects a filename\n";
    if (this.files.has(name)) return `Certificate '${name}' already exists!\n`;
    this.files.set(name, { path: name, cert: undefined, instances: [] });
    return `New empty certificate store '${name}'!\n`;
  }

  /** `del ssl cert <file>`: only a certificate that serves nowhere. */
  delete(name: string | undefined): string {
    if (name === undefined || name === '') return "'del ssl cert' expects a certificate name\n";
    const f = this.files.get(name);
    const refused = (why: string) => `Can't remove the certificate: ${why}\n`;
    if (f === undefined) return refused(`certificate '${name}' doesn't exist!\n`);
    if (f.instances.length > 0 || this.transaction?.store === f)
      return refused(`certificate '${name}' in use, can't be deleted!\n`);
    this.files.delete(name);
    return `Certificate '${name}' deleted!\n`;
  }
}

function validKey(pem: string): boolean {
  try {
    createPrivateKey(pem);
    return true;
  } catch {
    return false;
  }
}

/** strcmp() order, as HAProxy's tree of file names lists them. */
function byBytes(a: string, b: string): number {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return Buffer.compare(x, y);
}
