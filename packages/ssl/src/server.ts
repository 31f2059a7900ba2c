/**
 * The TLS side of a `server … ssl` line: what `tls.connect()` needs to reach it (CA to
 * verify it with, the name to send and check, a client certificate, ALPN, versions and
 * ciphers), from the global `ssl-default-server-*` lines and the server's own options.
 */

import type { Socket } from 'node:net';
import { isAbsolute, join } from 'node:path';
import {
  type ConnectionOptions,
  connect,
  createSecureContext,
  type SecureContext,
  type SecureContextOptions,
} from 'node:tls';
import type { Diagnostic, ServerModel } from '@hap/config';
import { crtPath } from './bind.ts';
import { contextPem } from './ca-store.ts';
import type { TlsDefaults } from './defaults.ts';
import { CertificateError, loadCaFile, loadCertificate } from './pem.ts';
import { applySetting, contextOptions, copySettings } from './settings.ts';
import type { CertificateStore } from './store.ts';

/** HAProxy 2.6 offers TLS 1.2 and later to servers unless asked. */
const SERVER_DEFAULT_MIN = 3;

export interface ServerTls {
  /** Shared by every connection to the server (one context, made once). */
  readonly context: SecureContext;
  /** The fixed name sent in the SNI extension (`sni str(…)`), if any. */
  readonly servername: string | undefined;
  /** `sni ssl_fc_sni`: the client's own server name is sent. */
  readonly forwardClientSni: boolean;
  readonly verify: 'none' | 'required';
  /** `verifyhost`: the name the server's certificate must carry (else the SNI name, if any). */
  readonly verifyHost: string | undefined;
  readonly alpn: readonly string[] | undefined;
  /** Options for one `tls.connect()`; `clientSni` is the client's server name (for `sni ssl_fc_sni`). */
  connectOptions(clientSni: string | undefined): ConnectionOptions;
  /** Opens one TLS connection (Node's `tls.connect`). */
  connect(options: ConnectionOptions): Socket;
}

export interface ServerTlsResult {
  tls: ServerTls | undefined;
  /** TLS server options the runtime cannot honour yet. */
  unsupported: string[];
}

const TLS_SERVER_ONLY = new Set([
  'ssl',
  'sni',
  'crt',
  'verifyhost',
  'no-ssl-reuse',
  'ssl-reuse',
  'no-ssl',
  // checks over TLS: read by the health checks
  'check-ssl',
  'no-check-ssl',
  'check-sni',
  'check-alpn',
]);
/** Server TLS options that are recognised but not honoured yet. */
const NOT_SUPPORTED = new Set(['npn', 'allow-0rtt', 'send-proxy-v2-ssl', 'send-proxy-v2-ssl-cn']);

function accepted(o: { ciphers: string }): boolean {
  try {
    createSecureContext(o);
    return true;
  } catch {
    return false;
  }
}

function withBase(base: string | undefined, path: string): string {
  return base !== undefined && !isAbsolute(path) ? join(base, path) : path;
}

/** Reads the TLS options of `server` in backend `backend`; alerts go to `out`. */
export function compileServerTls(
  backend: string,
  server: ServerModel,
  defaults: TlsDefaults,
  out: Diagnostic[],
  store?: CertificateStore,
  /** Read the TLS settings even without `ssl` (the server's `check-ssl`). */
  forChecks = false,
): ServerTlsResult {
  const unsupported: string[] = [];
  const s = copySettings(defaults.server);
  // HAProxy checks servers after parsing: the place is inside the sentence
  const alert = (message: string, code = 'HAP_CFG_SSL') =>
    out.push({
      level: 'alert',
      code,
      keyword: 'server',
      message: `[${server.file}:${server.line}] : 'server ${backend}/${server.name}' : ${message}`,
    });
  let failed = false;
  for (const [name, value] of Object.entries(server.options)) {
    if (NOT_SUPPORTED.has(name)) {
      unsupported.push(name);
      continue;
    }
    if (TLS_SERVER_ONLY.has(name)) continue;
    const r = applySetting(s, name, value);
    if (r === 'unknown') continue;
    if (r === 'not-all') {
      unsupported.push(name);
      continue;
    }
    if (r !== undefined) {
      alert(r);
      failed = true;
    }
  }
  const ssl = forChecks || (server.options['ssl'] !== undefined && server.options['no-ssl'] === undefined);
  if (!ssl || failed) return { tls: undefined, unsupported };
  const verify = (s.verify ?? defaults.serverVerify) === 'none' ? 'none' : 'required';
  if (s.verify === 'optional') {
    alert(`'verify' : 'optional' is not a server verify method.`);
    return { tls: undefined, unsupported };
  }
  // a bad cipher, suite or curve list is reported as HAProxy words it
  if (s.ciphers !== undefined && !accepted({ ciphers: s.ciphers })) {
    alert(`unable to set SSL cipher list to '${s.ciphers}'.`);
    return { tls: undefined, unsupported };
  }
  if (
    s.ciphersuites !== undefined &&
    (s.ciphersuites.split(':').some((c) => !c.startsWith('TLS_')) || !accepted({ ciphers: s.ciphersuites }))
  ) {
    alert(`unable to set TLS 1.3 cipher suites to '${s.ciphersuites}'.`);
    return { tls: undefined, unsupported };
  }
  const o = contextOptions(s, SERVER_DEFAULT_MIN, false);
  let crtFile: string | undefined;
  try {
    if (s.caFile !== undefined) {
      const p = withBase(defaults.caBase, s.caFile);
      const read = () => loadCaFile(p, p, false);
      // listed by `show ssl ca-file` (unused: HAProxy links no certificate instance to it)
      o.ca =
        store !== undefined ? store.caFiles.load(crtPath(defaults.caBase, s.caFile), 'ca', read) : read();
    }
    if (s.crlFile !== undefined) {
      const p = withBase(defaults.caBase, s.crlFile);
      const read = () => loadCaFile(p, p, true);
      o.crl =
        store !== undefined ? store.caFiles.load(crtPath(defaults.caBase, s.crlFile), 'crl', read) : read();
    }
    const crt = server.options['crt'];
    if (typeof crt === 'string') {
      crtFile = crtPath(defaults.crtBase, crt);
      const p = crtFile;
      const c = store !== undefined ? store.load(p, () => loadCertificate(p)) : loadCertificate(p);
      o.cert = c.certPem;
      o.key = c.keyPem;
    }
  } catch (err) {
    if (!(err instanceof CertificateError)) throw err;
    alert(err.message, err.code);
    return { tls: undefined, unsupported };
  }
  if (verify === 'required' && s.caFile === undefined) {
    out.push({
      level: 'alert',
      code: 'HAP_CFG_SSL_VERIFY',
      keyword: 'server',
      message: `[${server.file}:${server.line}] : 'server ${backend}/${server.name}' : verify is enabled by default but no CA file specified. If you're running on a LAN where you're certain to trust the server's certificate, please set an explicit 'verify none' statement on the 'server' line, or use 'ssl-server-verify none' in the global section to disable server-side verifications by default.`,
    });
    return { tls: undefined, unsupported };
  }
  let context: SecureContext;
  try {
    context = createSecureContext(o);
  } catch (err) {
    alert(`unable to use the TLS settings (${(err as Error).message}).`);
    return { tls: undefined, unsupported };
  }
  // sni: a constant (str(…)) or the client's own name; any other expression is not honoured yet
  let servername: string | undefined;
  let forwardClientSni = false;
  const sni = server.options['sni'];
  if (typeof sni === 'string') {
    const m = /^str\((.*)\)$/.exec(sni);
    if (m !== null) servername = m[1];
    else if (sni === 'ssl_fc_sni') forwardClientSni = true;
    else unsupported.push(`sni ${sni}`);
  }
  const vh = server.options['verifyhost'];
  const verifyHost = typeof vh === 'string' ? vh : undefined;
  const alpn = s.alpn;
  if (crtFile !== undefined && store !== undefined) {
    // a certificate committed on the runtime API: the next connections present it
    store.use(crtFile, {
      prepare(next) {
        const fresh = createSecureContext({ ...o, cert: next.certPem, key: next.keyPem });
        return () => {
          o.cert = next.certPem;
          o.key = next.keyPem;
          context = fresh;
        };
      },
    });
    // HAProxy links a server's CA and CRL files to its certificate instance (a server with
    // `crt` that verifies): a committed file reaches the next connections
    if (verify !== 'none') {
      for (const [kind, file] of [
        ['ca', s.caFile],
        ['crl', s.crlFile],
      ] as const) {
        if (file === undefined) continue;
        store.caFiles.use(crtPath(defaults.caBase, file), {
          prepare(pem) {
            const part = contextPem(kind, pem);
            const next: SecureContextOptions = { ...o };
            if (part === undefined) delete next[kind];
            else next[kind] = part;
            const fresh = createSecureContext(next);
            return () => {
              if (part === undefined) delete o[kind];
              else o[kind] = part;
              context = fresh;
            };
          },
        });
      }
    }
  }
  const tls: ServerTls = {
    get context() {
      return context;
    },
    servername,
    forwardClientSni,
    verify,
    verifyHost,
    alpn,
    connect,
    connectOptions(clientSni: string | undefined): ConnectionOptions {
      const name = servername ?? (forwardClientSni ? clientSni : undefined);
      const c: ConnectionOptions = {
        secureContext: context,
        rejectUnauthorized: verify === 'required',
        // HAProxy checks the name only with verifyhost, or against the SNI it sent
        checkServerIdentity: identityCheck,
      };
      if (name !== undefined) c.servername = name;
      if (alpn !== undefined) c.ALPNProtocols = alpn as string[];
      return c;
    },
  };
  const expected = verifyHost;
  function identityCheck(
    host: string,
    cert: { subjectaltname?: string; subject?: { CN?: string | string[] } },
  ) {
    const want = expected ?? (servername !== undefined || forwardClientSni ? host : undefined);
    if (want === undefined || verify === 'none') return undefined;
    const names: string[] = [];
    for (const p of (cert.subjectaltname ?? '').split(', '))
      if (p.startsWith('DNS:')) names.push(p.slice(4).toLowerCase());
    const cn = cert.subject?.CN;
    if (typeof cn === 'string') names.push(cn.toLowerCase());
    const w = want.toLowerCase();
    const dot = w.indexOf('.');
    for (const n of names) {
      if (n === w) return undefined;
      if (n.startsWith('*.') && dot > 0 && n.slice(1) === w.slice(dot)) return undefined;
    }
    return new Error(`the server's certificate does not carry the name '${want}'`);
  }
  return { tls, unsupported };
}
