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
import { readCrtList } from './crt-list.ts';
import type { TlsDefaults } from './defaults.ts';
import {
  CertificateError,
  certificateFilesIn,
  type LoadedCertificate,
  loadCaFile,
  loadCertificate,
} from './pem.ts';
import {
  applySetting,
  contextOptions,
  copySettings,
  type TlsSettings,
  type VerifyMode,
  versionRange,
} from './settings.ts';

/** HAProxy 2.6 refuses versions older than TLS 1.2 on binds unless asked. */
const BIND_DEFAULT_MIN = 3;

/** One certificate of a bind with the names it is chosen for. */
export interface SniEntry {
  readonly cert: LoadedCertificate;
  readonly context: SecureContext;
  /** `!name` filters of its crt-list line. */
  readonly excluded: ReadonlySet<string>;
}

/** The TLS side of one `bind … ssl` line, ready to serve. */
export interface BindTls {
  /** Where the line is, for messages. */
  readonly file: string;
  readonly line: number;
  readonly certificates: readonly LoadedCertificate[];
  readonly defaultEntry: SniEntry | undefined;
  readonly strictSni: boolean;
  readonly verify: VerifyMode;
  /** Verification errors do not end the handshake (`ca-ignore-err all` / `crt-ignore-err all`). */
  readonly ignoreErrors: boolean;
  /** Protocols advertised with ALPN, in preference order. */
  readonly alpn: readonly string[] | undefined;
  /** Options written on crt-list lines, which the runtime does not apply per certificate. */
  readonly perCertificateOptions: readonly { file: string; line: number; option: string }[];
  readonly npn: string | undefined;
  /** The certificate (context) for a server name; undefined: none fits (refuse under strict-sni). */
  select(servername: string): SniEntry | undefined;
  /** Options for `tls.createServer()` (no certificate at all under strict-sni before SNI chose one). */
  serverOptions(): TlsOptions;
}

interface Place {
  file: string;
  line: number;
}

class SniTable implements BindTls {
  readonly file: string;
  readonly line: number;
  readonly certificates: LoadedCertificate[];
  defaultEntry: SniEntry | undefined;
  strictSni: boolean;
  verify: VerifyMode;
  ignoreErrors: boolean;
  alpn: string[] | undefined;
  npn: string | undefined;
  readonly perCertificateOptions: { file: string; line: number; option: string }[];
  /** Options shared by every context of the bind (versions, ciphers, CA). */
  base: SecureContextOptions;
  private readonly exact: Map<string, SniEntry>;
  /** Wildcard names by their suffix (`*.example.com` → `.example.com`), first declared first. */
  private readonly wild: Map<string, SniEntry[]>;

  constructor(where: Place) {
    this.file = where.file;
    this.line = where.line;
    this.certificates = [];
    this.defaultEntry = undefined;
    this.strictSni = false;
    this.verify = 'none';
    this.ignoreErrors = false;
    this.alpn = undefined;
    this.npn = undefined;
    this.perCertificateOptions = [];
    this.base = {};
    this.exact = new Map();
    this.wild = new Map();
  }

  add(cert: LoadedCertificate, filters: readonly string[]): void {
    const context = createSecureContext({ ...this.base, cert: cert.certPem, key: cert.keyPem });
    const excluded = new Set<string>();
    const names: string[] = [];
    for (const f of filters) {
      if (f.startsWith('!')) excluded.add(f.slice(1));
      else names.push(f);
    }
    const entry: SniEntry = { cert, context, excluded };
    this.certificates.push(cert);
    this.defaultEntry ??= entry;
    // a crt-list line with filters answers for those names only; otherwise, for its own names
    for (const n of names.length > 0 ? names : cert.names) {
      if (n.startsWith('*.')) {
        const key = n.slice(1);
        const list = this.wild.get(key);
        if (list === undefined) this.wild.set(key, [entry]);
        else list.push(entry);
      } else if (!this.exact.has(n) && !excluded.has(n)) {
        this.exact.set(n, entry);
      }
    }
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
    const o: TlsOptions = {
      ...this.base,
      // under strict-sni the first context has no certificate: without a matching name the
      // handshake fails, as HAProxy's does
      ...(this.strictSni || this.defaultEntry === undefined
        ? {}
        : { cert: this.defaultEntry.cert.certPem, key: this.defaultEntry.cert.keyPem }),
      SNICallback: this.sniCallback,
      requestCert: this.verify !== 'none',
      rejectUnauthorized: this.verify === 'required' && !this.ignoreErrors,
    };
    if (this.alpn !== undefined) o.ALPNProtocols = this.alpn;
    return o;
  }

  private readonly sniCallback = (
    servername: string,
    cb: (err: Error | null, ctx?: SecureContext) => void,
  ): void => {
    const e = this.select(servername);
    if (e !== undefined) cb(null, e.context);
    else if (this.strictSni || this.defaultEntry === undefined)
      cb(new Error(`no certificate for '${servername}'`));
    else cb(null, this.defaultEntry.context);
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
    !loadInto(base, 'ca', settings.caFile, defaults.caBase, 'ca-file', atLine, out)
  )
    failed = true;
  if (
    settings.crlFile !== undefined &&
    !loadInto(base, 'crl', settings.crlFile, defaults.caBase, 'crl-file', atLine, out)
  )
    failed = true;
  if (defaults.dhParam !== undefined) base.dhparam = defaults.dhParam;
  if (failed) return { tls: undefined, unsupported };
  if (!checkContext(base, settings, post, ssl)) return { tls: undefined, unsupported };
  table.base = base;
  table.verify = settings.verify ?? 'none';
  table.ignoreErrors = settings.ignoreErrors;
  table.alpn = settings.alpn;
  table.npn = settings.npn;

  for (const src of crtSources) {
    // a crt-list's own name is not relative to crt-base (the names inside it are)
    const path = src.kind === 'crt' ? withBase(defaults.crtBase, src.value) : src.value;
    try {
      if (src.kind === 'crt') {
        if (statSync(path).isDirectory()) {
          for (const f of certificateFilesIn(path)) table.add(loadCertificate(f), []);
        } else {
          table.add(loadCertificate(path), []);
        }
        continue;
      }
      for (const entry of readCrtList(path, src.value)) {
        const certPath = withBase(defaults.crtBase, entry.file);
        if (!existsSync(certPath)) {
          throw new CertificateError(
            'HAP_ERR_SSL_CRT_LIST',
            `'crt-list' : unable to stat SSL certificate from file '${certPath}' : No such file or directory.`,
          );
        }
        const files = statSync(certPath).isDirectory() ? certificateFilesIn(certPath) : [certPath];
        for (const f of files) table.add(loadCertificate(f), entry.filters);
        for (const [option] of entry.options)
          table.perCertificateOptions.push({ file: src.value, line: entry.line, option });
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
): boolean {
  try {
    base[key] = loadCaFile(withBase(caBase, file), withBase(caBase, file), key === 'crl');
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
