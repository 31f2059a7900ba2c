/**
 * A `bind … ssl` line turned into what a TLS server needs: one secure context per
 * certificate, the SNI table choosing among them, and the socket-level options
 * (ALPN, client-certificate request). Certificates are read and checked here, so the
 * same function is the configuration checker (`-c`) and the runtime's builder.
 *
 *   servername ──► exact name ──► wildcard (*.rest) not excluded by a !filter
 *        │ none / no match             │ no match
 *        ▼                             ▼
 *   default certificate (the first loaded), or refused under `strict-sni`
 */

import { existsSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import {
  createSecureContext,
  type SecureContext,
  type SecureContextOptions,
  type TlsOptions,
} from 'node:tls';
import type { BindModel, Diagnostic } from '@hap/config';
import { type CaKind, contextPem } from './ca-store.ts';
import { crtListLines, readCrtList } from './crt-list.ts';
import type { CrtListInstance, CrtListUser } from './crt-list-store.ts';
import type { TlsDefaults } from './defaults.ts';
import { OcspResponses, OcspStapler } from './ocsp.ts';
import {
  CertificateError,
  certificateFilesIn,
  type LoadedCertificate,
  loadCaFile,
  loadCertificate,
} from './pem.ts';
import { TicketKeyFile } from './sessions.ts';
import {
  applySetting,
  contextOptions,
  copySettings,
  type TlsSettings,
  type VerifyMode,
  versionRange,
} from './settings.ts';
import type { CertificateInstance, CertificateStore } from './store.ts';

/** HAProxy 2.6 refuses versions older than TLS 1.2 on binds unless asked. */
const BIND_DEFAULT_MIN = 3;

/** The options of a crt-list line, which override the bind's for that certificate. */
export interface EntryTls {
  /** Secure-context options of the line (versions, ciphers, CA…), certificate excluded. */
  readonly context: SecureContextOptions;
  readonly verify: VerifyMode;
  readonly ignoreErrors: boolean;
  readonly alpn: readonly string[] | undefined;
  /** The CA and CRL files of the line's verification (their names in the store), if any. */
  readonly caFile?: string | undefined;
  readonly crlFile?: string | undefined;
}

/** One certificate of a bind with the names it is chosen for. */
export interface SniEntry {
  readonly cert: LoadedCertificate;
  readonly context: SecureContext;
  /** `!name` filters of its crt-list line. */
  readonly excluded: ReadonlySet<string>;
  /** Options of its crt-list line; undefined: the bind's. */
  readonly own: EntryTls | undefined;
}

/** What can take a new default certificate (a `tls.Server`: `setSecureContext`). */
export interface ContextHolder {
  setSecureContext(options: SecureContextOptions): void;
}

/** The TLS side of one `bind … ssl` line, ready to serve. */
export interface BindTls {
  /** Where the line is, for messages. */
  readonly file: string;
  readonly line: number;
  readonly certificates: readonly LoadedCertificate[];
  /** Every certificate of the line in load order (the first is the default). */
  readonly entries: readonly SniEntry[];
  readonly defaultEntry: SniEntry | undefined;
  readonly strictSni: boolean;
  readonly verify: VerifyMode;
  /** Verification errors do not end the handshake (`ca-ignore-err all` / `crt-ignore-err all`). */
  readonly ignoreErrors: boolean;
  /** Protocols advertised with ALPN, in preference order. */
  readonly alpn: readonly string[] | undefined;
  /** crt-list options the runtime cannot apply per certificate (`npn`, `allow-0rtt`, …). */
  readonly perCertificateOptions: readonly { file: string; line: number; option: string }[];
  readonly npn: string | undefined;
  /** Some crt-list line has its own options: the server name must be known before the handshake. */
  readonly routed: boolean;
  /** Sessions to keep for resumption by id when tickets are off (`tune.ssl.cachesize`). */
  readonly sessionCacheSize: number;
  /** OCSP stapling: the responses of the certificates with a `.ocsp` file; undefined: none has one. */
  readonly ocsp: OcspStapler | undefined;
  /** `tls-ticket-keys`: the keys tickets are sealed with; undefined: keys of the process's own. */
  readonly ticketKeys: TicketKeyFile | undefined;
  /** The certificate (context) for a server name; undefined: none fits (refuse under strict-sni). */
  select(servername: string): SniEntry | undefined;
  /** Options for `tls.createServer()` (no certificate at all under strict-sni before SNI chose one). */
  serverOptions(): TlsOptions;
  /**
   * Options for a `tls.Server` serving only `entry` (a crt-list line with options): `matched`
   * when the client's server name chose it, else it is the default certificate (HAProxy then
   * keeps the bind's versions).
   */
  entryServerOptions(entry: SniEntry, matched: boolean): TlsOptions;
  /** A server made from these options; it gets the new certificate when one is committed. */
  attach(server: ContextHolder, entry?: SniEntry, matched?: boolean): void;
}

/** What changing a bind line at run time needs. */
interface RuntimeContext {
  readonly store: CertificateStore;
  readonly settings: TlsSettings;
  readonly defaults: TlsDefaults;
  /** The bind line's CA and CRL files (their names in the store). */
  readonly caKey: string | undefined;
  readonly crlKey: string | undefined;
  /** A problem of this line in HAProxy's post-parse words (`Proxy 'fe': … for bind '…' at [f:l].`). */
  readonly describe: (message: string) => string;
}

interface Place {
  file: string;
  line: number;
}

class Entry implements SniEntry {
  cert: LoadedCertificate;
  context: SecureContext;
  readonly excluded: Set<string>;
  /** Positive filters of its crt-list line; empty: the certificate's own names. */
  readonly names: readonly string[];
  readonly own: EntryTls | undefined;
  /** What its secure context is made of, besides the certificate (a committed CA file replaces it). */
  base: SecureContextOptions;
  /** Forgets it in the CA/CRL files' users (when its crt-list line is deleted). */
  readonly releases: (() => void)[];

  constructor(
    cert: LoadedCertificate,
    filters: readonly string[],
    base: SecureContextOptions,
    own: EntryTls | undefined,
  ) {
    this.cert = cert;
    this.base = base;
    this.own = own;
    this.context = createSecureContext({ ...base, cert: cert.certPem, key: cert.keyPem });
    this.excluded = new Set();
    this.releases = [];
    const names: string[] = [];
    for (const raw of filters) {
      const f = raw.toLowerCase();
      if (f.startsWith('!')) this.excluded.add(f.slice(1));
      else names.push(f);
    }
    this.names = names;
  }
}

class SniTable implements BindTls {
  readonly file: string;
  readonly line: number;
  readonly entries: Entry[];
  strictSni: boolean;
  verify: VerifyMode;
  ignoreErrors: boolean;
  alpn: string[] | undefined;
  npn: string | undefined;
  routed: boolean;
  sessionCacheSize: number;
  ocsp: OcspStapler | undefined;
  ticketKeys: TicketKeyFile | undefined;
  readonly perCertificateOptions: { file: string; line: number; option: string }[];
  /** Options shared by every context of the line (versions, ciphers, CA). */
  base: SecureContextOptions;
  private readonly exact: Map<string, Entry>;
  /** Wildcard names by their suffix (`*.example.com` → `.example.com`), first declared first. */
  private readonly wild: Map<string, Entry[]>;
  private readonly holders: { server: ContextHolder; entry: Entry | undefined; matched: boolean }[];
  /** What the runtime API needs to change the line (set when a certificate store is given). */
  runtime: RuntimeContext | undefined;

  constructor(where: Place) {
    this.file = where.file;
    this.line = where.line;
    this.entries = [];
    this.strictSni = false;
    this.verify = 'none';
    this.ignoreErrors = false;
    this.alpn = undefined;
    this.npn = undefined;
    this.routed = false;
    this.sessionCacheSize = 0;
    this.ocsp = undefined;
    this.ticketKeys = undefined;
    this.perCertificateOptions = [];
    this.base = {};
    this.exact = new Map();
    this.wild = new Map();
    this.holders = [];
    this.runtime = undefined;
  }

  get certificates(): readonly LoadedCertificate[] {
    return this.entries.map((e) => e.cert);
  }

  get defaultEntry(): SniEntry | undefined {
    return this.entries[0];
  }

  add(cert: LoadedCertificate, filters: readonly string[], own?: EntryTls): Entry {
    const entry = new Entry(cert, filters, own?.context ?? this.base, own);
    if (own !== undefined) this.routed = true;
    this.entries.push(entry);
    this.index(entry);
    return entry;
  }

  private index(entry: Entry): void {
    // a crt-list line with filters answers for those names only; otherwise, for its own names
    for (const n of entry.names.length > 0 ? entry.names : entry.cert.names) {
      if (n.startsWith('*.')) {
        const key = n.slice(1);
        const list = this.wild.get(key);
        if (list === undefined) this.wild.set(key, [entry]);
        else list.push(entry);
      } else if (!this.exact.has(n) && !entry.excluded.has(n)) {
        this.exact.set(n, entry);
      }
    }
  }

  /** The store's instance for `entry`: a committed certificate replaces it in place. */
  instance(entry: Entry): CertificateInstance {
    return {
      prepare: (next) => {
        const context = createSecureContext({ ...entry.base, cert: next.certPem, key: next.keyPem });
        return () => {
          entry.cert = next;
          entry.context = context;
          // the names may have changed: the tables are rebuilt in the order of the lines
          this.reindex();
          for (const h of this.holders) {
            if (h.entry === entry) h.server.setSecureContext(this.entryContext(entry, h.matched));
            else if (h.entry === undefined && entry === this.entries[0] && !this.strictSni)
              h.server.setSecureContext({ ...this.base, cert: next.certPem, key: next.keyPem });
          }
        };
      },
    };
  }

  private reindex(): void {
    this.exact.clear();
    this.wild.clear();
    for (const e of this.entries) this.index(e);
  }

  /** Makes the CA/CRL files `entry` verifies clients with reach it when they are committed. */
  watchCa(entry: Entry): void {
    const rt = this.runtime;
    if (rt === undefined) return;
    const own = entry.own;
    // HAProxy links a CA file to a certificate only when that certificate verifies clients
    if ((own?.verify ?? this.verify) === 'none') return;
    const keys: [CaKind, string | undefined][] =
      own !== undefined
        ? [
            ['ca', own.caFile],
            ['crl', own.crlFile],
          ]
        : [
            ['ca', rt.caKey],
            ['crl', rt.crlKey],
          ];
    for (const [kind, key] of keys) {
      if (key === undefined) continue;
      entry.releases.push(rt.store.caFiles.use(key, { prepare: (pem) => this.prepareCa(entry, kind, pem) }));
    }
  }

  private prepareCa(entry: Entry, kind: CaKind, pem: string): () => void {
    const base: SecureContextOptions = { ...entry.base };
    const part = contextPem(kind, pem);
    if (part === undefined) delete base[kind];
    else base[kind] = part;
    const context = createSecureContext({ ...base, cert: entry.cert.certPem, key: entry.cert.keyPem });
    return () => {
      entry.base = base;
      entry.context = context;
      if (entry.own === undefined) {
        this.base = { ...this.base };
        if (part === undefined) delete this.base[kind];
        else this.base[kind] = part;
      }
      for (const h of this.holders) {
        if (h.entry === entry) h.server.setSecureContext(this.entryContext(entry, h.matched));
        else if (h.entry === undefined && entry.own === undefined) {
          const first = this.entries[0];
          h.server.setSecureContext(
            this.strictSni || first === undefined
              ? { ...this.base }
              : { ...this.base, cert: first.cert.certPem, key: first.cert.keyPem },
          );
        }
      }
    };
  }

  /** The crt-list side of a served certificate: whether it is the default one, and how to stop serving it. */
  crtListInstance(entry: Entry, inst: CertificateInstance): CrtListInstance {
    return {
      file: this.file,
      line: this.line,
      isDefault: () => !this.strictSni && this.entries[0] === entry,
      remove: () => {
        const i = this.entries.indexOf(entry);
        if (i < 0) return;
        this.entries.splice(i, 1);
        for (const r of entry.releases) r();
        this.reindex();
        for (let k = this.holders.length - 1; k >= 0; k--)
          if (this.holders[k]!.entry === entry) this.holders.splice(k, 1);
        this.runtime?.store.unuse(entry.cert.path, inst);
      },
    };
  }

  /** This bind line as a user of a crt-list: `add ssl crt-list` serves a new line through it. */
  crtListUser(): CrtListUser {
    return {
      file: this.file,
      line: this.line,
      insert: (cert, options, filters) => {
        const rt = this.runtime;
        if (rt === undefined) throw new Error('no certificate store');
        let own: EntryTls | undefined;
        if (options.length > 0) {
          const problems: string[] = [];
          const note = (m: string) => {
            problems.push(rt.describe(m));
          };
          const r = entryTls(options, rt.settings, rt.defaults, 'CLI', 1, this, note, note, [], rt.store);
          if (r === false || problems.length > 0) throw new Error(problems.join('\n'));
          own = r;
        }
        const entry = this.add(cert, filters, own);
        const inst = this.instance(entry);
        rt.store.use(cert.path, inst);
        this.watchCa(entry);
        return this.crtListInstance(entry, inst);
      },
    };
  }

  select(servername: string): SniEntry | undefined {
    const name = servername.toLowerCase();
    const e = this.exact.get(name);
    if (e !== undefined) return e;
    const dot = name.indexOf('.');
    if (dot < 0) return undefined;
    const list = this.wild.get(name.slice(dot));
    if (list === undefined) return undefined;
    for (const w of list) if (!w.excluded.has(name)) return w;
    return undefined;
  }

  serverOptions(): TlsOptions {
    const first = this.entries[0];
    const o: TlsOptions = {
      ...this.base,
      // under strict-sni the first context has no certificate: without a matching name the
      // handshake fails, as HAProxy's does
      ...(this.strictSni || first === undefined ? {} : { cert: first.cert.certPem, key: first.cert.keyPem }),
      SNICallback: this.sniCallback,
      requestCert: this.verify !== 'none',
      rejectUnauthorized: this.verify === 'required' && !this.ignoreErrors,
    };
    if (this.alpn !== undefined) o.ALPNProtocols = this.alpn;
    return o;
  }

  private entryContext(entry: Entry, matched: boolean): SecureContextOptions {
    const o: SecureContextOptions = { ...entry.base, cert: entry.cert.certPem, key: entry.cert.keyPem };
    if (!matched) {
      // chosen as the default certificate: the versions stay the bind's
      if (this.base.minVersion !== undefined) o.minVersion = this.base.minVersion;
      if (this.base.maxVersion !== undefined) o.maxVersion = this.base.maxVersion;
    }
    return o;
  }

  entryServerOptions(entry: SniEntry, matched: boolean): TlsOptions {
    const own = entry.own;
    if (own === undefined || !(entry instanceof Entry)) return this.serverOptions();
    const o: TlsOptions = {
      ...this.entryContext(entry, matched),
      requestCert: own.verify !== 'none',
      rejectUnauthorized: own.verify === 'required' && !own.ignoreErrors,
    };
    if (own.alpn !== undefined) o.ALPNProtocols = own.alpn as string[];
    return o;
  }

  attach(server: ContextHolder, entry?: SniEntry, matched = true): void {
    this.holders.push({ server, entry: entry instanceof Entry ? entry : undefined, matched });
  }

  private readonly sniCallback = (
    servername: string,
    cb: (err: Error | null, ctx?: SecureContext) => void,
  ): void => {
    const e = this.select(servername);
    const first = this.entries[0];
    if (e !== undefined) cb(null, e.context);
    else if (this.strictSni || first === undefined) cb(new Error(`no certificate for '${servername}'`));
    else cb(null, first.context);
  };
}

/** `'bind 127.0.0.1:443' in section 'frontend'`: how HAProxy names the line in parse-time messages. */
function lineLabel(bind: BindModel, kind: string): string {
  return `'bind ${bind.addresses.map((a) => a.raw).join(',')}' in section '${kind}'`;
}

/** `for bind '127.0.0.1:443' at [file:line]`: how HAProxy names the line in post-parse messages. */
function bindLabel(bind: BindModel): string {
  return `for bind '${bind.addresses.map((a) => a.raw).join(',')}' at [${bind.file}:${bind.line}]`;
}

function withBase(base: string | undefined, path: string): string {
  return base !== undefined && !isAbsolute(path) ? join(base, path) : path;
}

/** A certificate name under `crt-base`, joined as HAProxy joins it (`<base>/<name>`, as written). */
export function crtPath(base: string | undefined, path: string): string {
  return base !== undefined && !path.startsWith('/') ? `${base}/${path}` : path;
}

/** crt-list options the runtime cannot honour per certificate. */
const ENTRY_NOT_SUPPORTED = new Set(['allow-0rtt', 'no-ca-names', 'npn', 'ca-verify-file']);

/**
 * The settings of a crt-list line with options: the bind's, overridden by the line's (as
 * HAProxy overrides them field by field). undefined: no options; false: an error (reported).
 */
function entryTls(
  options: readonly [string, string | true][],
  bindSettings: TlsSettings,
  defaults: TlsDefaults,
  list: string,
  line: number,
  table: SniTable,
  post: (m: string, code?: string) => void,
  atLine: (m: string, code?: string) => void,
  out: Diagnostic[],
  store?: CertificateStore,
): EntryTls | undefined | false {
  if (options.length === 0) return undefined;
  const s = copySettings(bindSettings);
  let any = false;
  for (const [name, value] of options) {
    if (ENTRY_NOT_SUPPORTED.has(name)) {
      table.perCertificateOptions.push({ file: list, line, option: name });
      continue;
    }
    const r = applySetting(s, name, value);
    if (r === 'unknown' || r === 'not-all') {
      table.perCertificateOptions.push({ file: list, line, option: name });
      continue;
    }
    if (r !== undefined) {
      atLine(`'crt-list' : ${r}`);
      return false;
    }
    any = true;
  }
  if (!any) return undefined;
  const context: SecureContextOptions = contextOptions(s, BIND_DEFAULT_MIN, true);
  // HAProxy names the crt-list before the option in these
  const listAt = (m: string, code?: string) => atLine(`'crt-list' : ${m}`, code);
  if (
    s.caFile !== undefined &&
    !loadInto(context, 'ca', s.caFile, defaults.caBase, 'ca-file', listAt, out, store)
  )
    return false;
  if (
    s.crlFile !== undefined &&
    !loadInto(context, 'crl', s.crlFile, defaults.caBase, 'crl-file', listAt, out, store)
  )
    return false;
  if (defaults.dhParam !== undefined) context.dhparam = defaults.dhParam;
  if (!checkContext(context, s, post, true)) return false;
  const verify = s.verify ?? 'none';
  if (verify !== 'none' && s.caFile === undefined) {
    post('verify is enabled but no CA file specified', 'HAP_CFG_SSL_VERIFY');
    return false;
  }
  return {
    context,
    verify,
    ignoreErrors: s.ignoreErrors,
    alpn: s.alpn,
    caFile: s.caFile !== undefined ? crtPath(defaults.caBase, s.caFile) : undefined,
    crlFile: s.crlFile !== undefined ? crtPath(defaults.caBase, s.crlFile) : undefined,
  };
}

/** Options of a bind line that belong to TLS but are settings of neither side. */
const BIND_ONLY = new Set(['ssl', 'crt', 'crt-list', 'strict-sni']);
/** TLS bind options recognised but not honoured: the start is refused with them. */
const NOT_SUPPORTED = new Set([
  'generate-certificates',
  'ca-sign-file',
  'ca-sign-pass',
  'ca-verify-file',
  'allow-0rtt',
  'no-ca-names',
  'ssl-engine',
]);

export interface BindTlsResult {
  /** The TLS settings to serve with; undefined when the line is not `ssl` or had errors. */
  tls: BindTls | undefined;
  /** TLS options the runtime cannot honour (the start is refused, `-c` passes as HAProxy's does). */
  unsupported: string[];
}

/**
 * Reads every certificate file of `bind` and checks its TLS options, as HAProxy does while
 * parsing. Problems go to `out` as HAProxy words them; the result carries what serves.
 */
export function compileBindTls(
  bind: BindModel,
  proxy: { kind: string; name: string },
  defaults: TlsDefaults,
  out: Diagnostic[],
  store?: CertificateStore,
  /** `tls-ticket-keys` files read so far, by path: bind lines naming one file share its keys. */
  ticketKeyFiles?: Map<string, TicketKeyFile>,
  ocsp: OcspResponses = new OcspResponses(),
): BindTlsResult {
  const table = new SniTable(bind);
  const settings: TlsSettings = copySettings(defaults.bind);
  const unsupported: string[] = [];
  const label = lineLabel(bind, proxy.kind);
  const atLine = (message: string, code = 'HAP_CFG_SSL'): void => {
    out.push({
      level: 'alert',
      code,
      file: bind.file,
      line: bind.line,
      keyword: 'bind',
      message: `${label} : ${message}`,
    });
  };
  const post = (message: string, code = 'HAP_CFG_SSL'): void => {
    // HAProxy reports these after parsing, naming the place inside the sentence
    out.push({
      level: 'alert',
      code,
      keyword: 'bind',
      message: `Proxy '${proxy.name}': ${message} ${bindLabel(bind)}.`,
    });
  };
  let failed = false;
  const ssl = bind.options['ssl'] !== undefined;
  const crtSources: { kind: 'crt' | 'crt-list'; value: string }[] = [];
  for (const [name, value] of bind.optionList) {
    if (name === 'crt' || name === 'crt-list') {
      crtSources.push({ kind: name, value: value as string });
      continue;
    }
    if (name === 'strict-sni') {
      table.strictSni = true;
      continue;
    }
    if (name === 'tls-ticket-keys') {
      const keys =
        ticketKeyFiles !== undefined
          ? TicketKeyFile.shared(value as string, ticketKeyFiles)
          : TicketKeyFile.read(value as string);
      if (typeof keys === 'string') {
        atLine(keys);
        failed = true;
      } else {
        table.ticketKeys = keys;
        // Node's ticket callback seals with AES-128 only
        if (keys.aes256) unsupported.push('tls-ticket-keys (80-byte AES-256 keys)');
      }
      continue;
    }
    if (BIND_ONLY.has(name)) continue;
    if (NOT_SUPPORTED.has(name)) {
      unsupported.push(name);
      continue;
    }
    const r = applySetting(settings, name, value);
    if (r === 'unknown') continue; // not a TLS option: the listener's business
    if (r === 'not-all') {
      unsupported.push(`${name} ${String(value)}`);
      continue;
    }
    if (r !== undefined) {
      atLine(r);
      failed = true;
    }
  }
  if (failed) return { tls: undefined, unsupported };

  // what every context of the line shares
  const base: SecureContextOptions = contextOptions(settings, BIND_DEFAULT_MIN, true);
  if (
    settings.caFile !== undefined &&
    !loadInto(base, 'ca', settings.caFile, defaults.caBase, 'ca-file', atLine, out, store)
  )
    failed = true;
  if (
    settings.crlFile !== undefined &&
    !loadInto(base, 'crl', settings.crlFile, defaults.caBase, 'crl-file', atLine, out, store)
  )
    failed = true;
  if (defaults.dhParam !== undefined) base.dhparam = defaults.dhParam;
  // how long a session can be resumed, from a ticket or from the cache; and HAProxy's
  // session id context, which a session must carry to be resumed (so tickets sealed with a
  // shared tls-ticket-keys file resume in HAProxy and haproxyd alike)
  base.sessionTimeout = defaults.sessionLifetime;
  base.sessionIdContext = 'haproxy';
  if (failed) return { tls: undefined, unsupported };
  if (!checkContext(base, settings, post, ssl)) return { tls: undefined, unsupported };
  table.base = base;
  table.sessionCacheSize = defaults.cacheSize;
  table.verify = settings.verify ?? 'none';
  table.ignoreErrors = settings.ignoreErrors;
  table.alpn = settings.alpn;
  table.npn = settings.npn;
  if (store !== undefined) {
    table.runtime = {
      store,
      settings,
      defaults,
      caKey: settings.caFile !== undefined ? crtPath(defaults.caBase, settings.caFile) : undefined,
      crlKey: settings.crlFile !== undefined ? crtPath(defaults.caBase, settings.crlFile) : undefined,
      describe: (m) => `Proxy '${proxy.name}': ${m} ${bindLabel(bind)}.`,
    };
  }

  /** Loads a certificate through the store (once per path) and records where it serves. */
  const serve = (path: string, filters: readonly string[], own?: EntryTls): CrtListInstance | undefined => {
    const cert = store !== undefined ? store.load(path, () => loadCertificate(path)) : loadCertificate(path);
    const entry = table.add(cert, filters, own);
    if (cert.ocsp !== undefined) staple(cert);
    if (store === undefined) return undefined;
    const inst = table.instance(entry);
    store.use(path, inst);
    table.watchCa(entry);
    return table.crtListInstance(entry, inst);
  };
  /** A certificate with a '.ocsp' file: stapling on, its response checked (per line, as HAProxy does). */
  const staple = (cert: LoadedCertificate): void => {
    if (cert.ocspIssuer === undefined) {
      throw new CertificateError(
        'HAP_CFG_SSL_OCSP',
        ` '${cert.path}.ocsp' is present and activates OCSP but it is impossible to compute the OCSP certificate ID (maybe the issuer could not be found)'.`,
      );
    }
    const slot = ocsp.enable(cert.leaf, cert.ocspIssuer);
    table.ocsp ??= new OcspStapler();
    table.ocsp.add(cert.leaf, slot);
    const why = ocsp.load(slot, cert.ocsp!);
    if (why !== undefined) {
      out.push({
        level: 'warning',
        code: 'HAP_CFG_SSL_OCSP',
        keyword: 'bind',
        message: `Loading: ${why}. Content will be ignored.`,
      });
    }
  };
  for (const src of crtSources) {
    // a crt-list's own name is not relative to crt-base (the names inside it are)
    const path = src.kind === 'crt' ? crtPath(defaults.crtBase, src.value) : src.value;
    try {
      if (src.kind === 'crt') {
        if (statSync(path).isDirectory()) {
          // HAProxy keeps a directory as a crt-list of its own (`show ssl crt-list`)
          store?.crtLists.open(path, true, 0, table.crtListUser());
          for (const f of certificateFilesIn(path)) {
            const inst = serve(f, []);
            if (inst !== undefined) store?.crtLists.line(path, f, undefined, [], 0, inst);
          }
        } else {
          serve(path, []);
        }
        continue;
      }
      const lines = readCrtList(path, src.value);
      // the lines as the runtime API shows them (read again only when it is there)
      const raw = store !== undefined ? crtListLines(path) : undefined;
      if (raw !== undefined) store?.crtLists.open(src.value, false, raw.count, table.crtListUser());
      for (const entry of lines) {
        const certPath = crtPath(defaults.crtBase, entry.file);
        if (!existsSync(certPath)) {
          throw new CertificateError(
            'HAP_ERR_SSL_CRT_LIST',
            `'crt-list' : unable to stat SSL certificate from file '${certPath}' : No such file or directory.`,
          );
        }
        const own = entryTls(
          entry.options,
          settings,
          defaults,
          src.value,
          entry.line,
          table,
          post,
          atLine,
          out,
          store,
        );
        if (own === false) {
          failed = true;
          continue;
        }
        const files = statSync(certPath).isDirectory() ? certificateFilesIn(certPath) : [certPath];
        for (const f of files) {
          const inst = serve(f, entry.filters, own);
          const shown = raw?.byLine.get(entry.line);
          const written =
            shown !== undefined ? shown.options : entry.options.length > 0 ? entry.options : undefined;
          const filters = shown?.filters ?? entry.filters;
          if (inst !== undefined) store?.crtLists.line(src.value, f, written, filters, entry.line, inst);
        }
      }
    } catch (err) {
      if (!(err instanceof CertificateError)) throw err;
      atLine(err.message, err.code);
      failed = true;
    }
  }
  if (failed) return { tls: undefined, unsupported };
  if (!ssl) return { tls: undefined, unsupported };
  if (table.certificates.length === 0) {
    out.push({
      level: 'alert',
      code: 'HAP_CFG_SSL_NO_CRT',
      keyword: 'bind',
      message: `Proxy '${proxy.name}': no SSL certificate specified ${bindLabel(bind)} (use 'crt').`,
    });
    return { tls: undefined, unsupported };
  }
  if (bind.options['generate-certificates'] !== undefined && bind.options['ca-sign-file'] === undefined) {
    out.push({
      level: 'alert',
      code: 'HAP_CFG_SSL_CA_SIGN',
      keyword: 'bind',
      message: `Proxy '${proxy.name}': cannot enable certificate generation, no CA certificate File configured at [${bind.file}:${bind.line}].`,
    });
    return { tls: undefined, unsupported };
  }
  if (table.verify !== 'none' && settings.caFile === undefined) {
    post('verify is enabled but no CA file specified', 'HAP_CFG_SSL_VERIFY');
    return { tls: undefined, unsupported };
  }
  return { tls: table, unsupported };
}

/** Reads a CA or CRL file into the shared options; false (and alerts) when it cannot be used. */
function loadInto(
  base: SecureContextOptions,
  key: 'ca' | 'crl',
  file: string,
  caBase: string | undefined,
  keyword: string,
  atLine: (m: string, code?: string) => void,
  out: Diagnostic[],
  store?: CertificateStore,
): boolean {
  try {
    const path = withBase(caBase, file);
    const read = () => loadCaFile(path, path, key === 'crl');
    // the store knows a file by its name as HAProxy joins it to ca-base
    base[key] = store !== undefined ? store.caFiles.load(crtPath(caBase, file), key, read) : read();
    return true;
  } catch (err) {
    if (!(err instanceof CertificateError)) throw err;
    // HAProxy says why first, then where
    out.push({ level: 'alert', code: err.code, keyword, message: err.message });
    atLine(`'${keyword}' : unable to load ${withBase(caBase, file)}`, err.code);
    return false;
  }
}

/** Tries the shared options once, to report a bad cipher, suite or curve list as HAProxy does. */
function checkContext(
  base: SecureContextOptions,
  s: TlsSettings,
  post: (m: string, code?: string) => void,
  ssl: boolean,
): boolean {
  if (!ssl) return true;
  if (versionRange(s, BIND_DEFAULT_MIN) === undefined) {
    post('all SSL/TLS versions are disabled', 'HAP_CFG_SSL_VERSIONS');
    return false;
  }
  const tries: [string, SecureContextOptions][] = [];
  if (s.ciphers !== undefined)
    tries.push([`unable to set SSL cipher list to '${s.ciphers}'`, { ciphers: `${s.ciphers}` }]);
  if (s.ciphersuites !== undefined) {
    const bad = s.ciphersuites.split(':').some((c) => !c.startsWith('TLS_'));
    if (bad) {
      post(`unable to set TLS 1.3 cipher suites to '${s.ciphersuites}'`, 'HAP_CFG_SSL_CIPHERS');
      return false;
    }
    tries.push([`unable to set TLS 1.3 cipher suites to '${s.ciphersuites}'`, { ciphers: s.ciphersuites }]);
  }
  const curves = s.curves ?? s.ecdhe;
  if (curves !== undefined)
    tries.push([`unable to set SSL curves list to '${curves}'`, { ecdhCurve: curves }]);
  for (const [message, o] of tries) {
    try {
      createSecureContext(o);
    } catch {
      post(message, 'HAP_CFG_SSL_CIPHERS');
      return false;
    }
  }
  try {
    createSecureContext(base);
  } catch (err) {
    post(`unable to use the TLS settings (${(err as Error).message})`, 'HAP_CFG_SSL');
    return false;
  }
  return true;
}
