/**
 * TLS for haproxyd: every `bind … ssl` and `server … ssl` line read with @hap/ssl once
 * (under `-c` as when serving), kept by line for the runtime, and what the runtime does
 * not honour yet turned into the 'not supported yet' alert before anything is bound.
 */

import type { Socket } from 'node:net';
import {
  checkServerIdentity,
  createServer,
  type TLSSocket,
  type TlsOptions,
  type Server as TlsServer,
  connect as tlsConnect,
} from 'node:tls';
import type { CheckTls } from '@hap/checks';
import type { BindModel, ConfigModel, Diagnostic, ServerModel } from '@hap/config';
import {
  type BindTls,
  CertificateStore,
  type ContextHolder,
  clientHelloServerName,
  compileBindTls,
  compileServerTls,
  GLOBAL_TLS_KEYWORDS,
  OcspResponses,
  type OcspStapler,
  renewTicketsOnResumption,
  type ServerTls,
  SessionCache,
  type SniEntry,
  type TicketKeyFile,
  type TlsDefaults,
  ticketsOff,
  tlsDefaults,
} from '@hap/ssl';
import { alertAt } from './alerts.ts';
import { isTlsBind } from './features.ts';

interface Compiled {
  /** Every certificate file loaded, for the runtime API (`show/set/commit ssl cert`). */
  store: CertificateStore;
  /** The OCSP responses stapled, one per certificate ID (for `set ssl ocsp-response`). */
  ocsp: OcspResponses;
  binds: Map<BindModel, { tls: BindTls | undefined; unsupported: string[] }>;
  servers: Map<ServerModel, { tls: ServerTls | undefined; unsupported: string[] }>;
  /** Servers without `ssl` whose checks run over TLS (`check-ssl`): their TLS settings. */
  checkServers: Map<ServerModel, ServerTls | undefined>;
  /** `tls-ticket-keys` files by path, in the order bind lines name them first. */
  ticketKeyFiles: Map<string, TicketKeyFile>;
}

const compiled = new WeakMap<ConfigModel, Compiled>();

function emptyCompiled(): Compiled {
  return {
    store: new CertificateStore(),
    ocsp: new OcspResponses(),
    binds: new Map(),
    servers: new Map(),
    checkServers: new Map(),
    ticketKeyFiles: new Map(),
  };
}

function compile(model: ConfigModel, out: Diagnostic[]): Compiled {
  const known = compiled.get(model);
  if (known !== undefined) return known;
  const defaults: TlsDefaults = tlsDefaults(model.global, out);
  for (const d of model.global.directives) if (GLOBAL_TLS_KEYWORDS.has(d.keyword)) d.supported = true;
  const c = emptyCompiled();
  // names given to `add ssl crt-list` are joined to these as in the configuration
  c.store.crtLists.crtBase = defaults.crtBase;
  c.store.crtLists.caBase = defaults.caBase;
  for (const p of model.proxies) {
    if (p.kind === 'defaults') continue;
    for (const b of p.binds) {
      if (!isTlsBind(b)) continue;
      c.binds.set(b, compileBindTls(b, p, defaults, out, c.store, c.ticketKeyFiles, c.ocsp));
    }
    for (const s of p.servers) {
      if (s.options['ssl'] !== undefined) {
        c.servers.set(s, compileServerTls(p.name, s, defaults, out, c.store));
      } else if (s.options['check-ssl'] !== undefined && s.options['no-check-ssl'] === undefined) {
        // HAProxy reads (and checks) the server's TLS settings for its checks alone
        c.checkServers.set(s, compileServerTls(p.name, s, defaults, out, c.store, true).tls);
      }
    }
  }
  compiled.set(model, c);
  return c;
}

/** Phase 1c (`-c` too): reads every certificate and checks every TLS option. */
export function checkTls(model: ConfigModel): Diagnostic[] {
  const out: Diagnostic[] = [];
  compile(model, out);
  return out;
}

const refuse = (out: Diagnostic[], at: { file: string; line: number }, keyword: string, message: string) =>
  alertAt(out, 'HAP_ERR_NOT_SERVED', at, keyword, message);

/** The TLS side of a bind line to serve, or undefined (plain); what cannot be served is refused in `out`. */
export function bindTlsFor(model: ConfigModel, b: BindModel, out: Diagnostic[]): BindTls | undefined {
  const r = compile(model, out).binds.get(b);
  if (r === undefined) return undefined;
  for (const u of r.unsupported)
    refuse(out, b, 'bind', `bind option '${u}' is not supported yet by haproxyd's runtime.`);
  const t = r.tls;
  if (t === undefined) return undefined;
  // 'h2' in the ALPN list of the bind or of a crt-list line: served by runtime-h2.ts in mode
  // http (serve.ts gives the line its gateway), forwarded as bytes in mode tcp
  if (t.npn !== undefined)
    refuse(out, b, 'bind', `bind option 'npn' is not supported yet by haproxyd's runtime.`);
  for (const o of t.perCertificateOptions) {
    refuse(
      out,
      b,
      'bind',
      `crt-list '${o.file}' line ${o.line}: per-certificate option '${o.option}' is not supported yet by haproxyd's runtime.`,
    );
  }
  // '.ocsp' files are stapled (TlsDoor); '.sctl' lists are not sent
  for (const c of t.certificates) {
    if (c.sctl === true) {
      refuse(
        out,
        b,
        'bind',
        `'${c.path}.sctl': sending Certificate Transparency lists (.sctl) is not supported yet by haproxyd's runtime.`,
      );
    }
  }
  return t;
}

/** The TLS side of a server, or undefined (plain); what cannot be served is refused in `out`. */
export function serverTlsFor(
  model: ConfigModel,
  backend: string,
  s: ServerModel,
  out: Diagnostic[],
): ServerTls | undefined {
  const r = compile(model, out).servers.get(s);
  if (r === undefined) return undefined;
  for (const u of r.unsupported) {
    refuse(
      out,
      s,
      'server',
      `server '${backend}/${s.name}': option '${u}' is not supported yet by haproxyd's runtime.`,
    );
  }
  // `alpn h2,…`: HTTP/2 when the server picks h2 (runtime-h2.ts serverH2For, mode http)
  return r.tls;
}

const checkTlsOf = new WeakMap<ServerModel, CheckTls | undefined>();

/**
 * The TLS side of a server's health checks (`check-ssl`, or `ssl` inherited): the server's
 * settings, `check-sni` as the name sent (and checked when verifying), `check-alpn`.
 */
export function checkTlsFor(model: ConfigModel, s: ServerModel, out: Diagnostic[]): CheckTls | undefined {
  if (checkTlsOf.has(s)) return checkTlsOf.get(s);
  const c = compile(model, out);
  const t = c.servers.get(s)?.tls ?? c.checkServers.get(s);
  if (t === undefined) {
    checkTlsOf.set(s, undefined);
    return undefined;
  }
  const server = t;
  const sni = typeof s.options['check-sni'] === 'string' ? s.options['check-sni'] : undefined;
  const alpnOpt = s.options['check-alpn'];
  const alpn = typeof alpnOpt === 'string' ? alpnOpt.split(',') : undefined;
  const result: CheckTls = {
    connect(socket) {
      return tlsConnect({
        socket,
        secureContext: server.context,
        rejectUnauthorized: server.verify === 'required',
        ...(sni !== undefined ? { servername: sni } : {}),
        ...(alpn !== undefined ? { ALPNProtocols: alpn } : {}),
        // the name is checked against check-sni only (HAProxy checks no name without it)
        checkServerIdentity: (host, cert) =>
          sni !== undefined && server.verify === 'required' ? checkServerIdentity(host, cert) : undefined,
      });
    },
  };
  checkTlsOf.set(s, result);
  return result;
}

/**
 * The `tls-ticket-keys` files of a configuration by their runtime API id: HAProxy numbers
 * them from 0 starting with the file named first last.
 */
export function ticketKeyFiles(model: ConfigModel): TicketKeyFile[] {
  const c = compiled.get(model);
  return c === undefined ? [] : [...c.ticketKeyFiles.values()].reverse();
}

function compiledOf(model: ConfigModel): Compiled {
  let c = compiled.get(model);
  if (c === undefined) {
    c = emptyCompiled();
    compiled.set(model, c);
  }
  return c;
}

/** The certificate store of a configuration (empty when it loads no certificate). */
export function certificateStore(model: ConfigModel): CertificateStore {
  return compiledOf(model).store;
}

/**
 * The OCSP responses of a configuration: `set ssl ocsp-response` calls its
 * `setOcspResponse(der)` (undefined when done, else HAProxy's words without the final ".\n").
 */
export function ocspResponses(model: ConfigModel): OcspResponses {
  return compiledOf(model).ocsp;
}

// --- the way in: accepted sockets handed to the TLS server of their certificate ---------------

/** A TLS server of a bind, marked with what `verify optional` means for its sockets. */
export type BindTlsServer = TlsServer & { hapVerifyOptional?: boolean; hapOcsp?: OcspStapler | undefined };

export interface TlsDoorEvents {
  secure(this: TlsServer, t: TLSSocket): void;
  error(this: TlsServer, err: Error, t: TLSSocket): void;
}

/** Where a bind line's accepted sockets go for their handshake. */
export class TlsDoor {
  private readonly tls: BindTls;
  private readonly handshakeTimeout: number;
  private readonly events: TlsDoorEvents;
  private readonly base: BindTlsServer;
  /** With tickets off (`no-tls-tickets`): the sessions kept for resumption, one cache for the line. */
  private sessions: SessionCache | undefined;
  /** Servers of crt-list lines with options, made on first use (matched / as default). */
  private readonly byEntry = new WeakMap<SniEntry, { matched?: BindTlsServer; fallback?: BindTlsServer }>(); // weak: `del ssl crt-list` frees them

  constructor(tls: BindTls, handshakeTimeout: number, events: TlsDoorEvents) {
    this.tls = tls;
    this.handshakeTimeout = handshakeTimeout;
    this.events = events;
    this.base = this.server(tls.serverOptions(), tls.verify, tls.ignoreErrors, tls.ocsp !== undefined);
    tls.attach(ticketKeeping(this.base, tls.ticketKeys));
  }

  private server(
    options: TlsOptions,
    verify: string,
    ignoreErrors: boolean,
    stapling: boolean,
  ): BindTlsServer {
    const s: BindTlsServer = createServer({
      ...options,
      // HAProxy bounds the handshake by 'timeout client'
      ...(this.handshakeTimeout > 0 ? { handshakeTimeout: this.handshakeTimeout } : {}),
    });
    if (ticketsOff(options.secureOptions)) {
      if (this.tls.sessionCacheSize > 0) {
        this.sessions ??= new SessionCache(this.tls.sessionCacheSize, options.sessionTimeout ?? 300);
        this.sessions.serve(s);
      }
    } else if (this.tls.ticketKeys !== undefined) this.tls.ticketKeys.install(s);
    else renewTicketsOnResumption(s, options.secureOptions);
    s.hapVerifyOptional = verify === 'optional' && !ignoreErrors;
    s.on('secureConnection', this.events.secure);
    s.on('tlsClientError', this.events.error);
    if (stapling) {
      // only servers of a stapled certificate listen: the event comes only when the client
      // asked (a server without an SNICallback then runs Node's certificate hook per handshake)
      s.hapOcsp = this.tls.ocsp;
      s.on('OCSPRequest', onOcspRequest);
    }
    return s;
  }

  /** A socket accepted on the bind: its handshake starts (after its ClientHello was read, with crt-list options). */
  accept(socket: Socket): void {
    if (!this.tls.routed) {
      this.base.emit('connection', socket);
      return;
    }
    const p = socket as PeekingSocket;
    p[PEEK] = { door: this, buf: undefined };
    socket.on('readable', onPeekReadable);
    socket.on('end', onPeekEnd);
    if (this.handshakeTimeout > 0) socket.setTimeout(this.handshakeTimeout, onPeekTimeout);
  }

  /** The server for a client that asked for `name` (undefined: no SNI). */
  route(name: string | undefined): BindTlsServer {
    const t = this.tls;
    const chosen = name !== undefined ? t.select(name) : undefined;
    let entry: SniEntry | undefined;
    let matched = true;
    if (chosen !== undefined) entry = chosen;
    else if (!t.strictSni) {
      entry = t.defaultEntry;
      matched = false;
    }
    if (entry?.own === undefined) return this.base;
    let slot = this.byEntry.get(entry);
    if (slot === undefined) {
      slot = {};
      this.byEntry.set(entry, slot);
    }
    const known = matched ? slot.matched : slot.fallback;
    if (known !== undefined) return known;
    const s = this.server(
      t.entryServerOptions(entry, matched),
      entry.own.verify,
      entry.own.ignoreErrors,
      t.ocsp?.has(entry.cert.leaf) === true,
    );
    t.attach(ticketKeeping(s, t.ticketKeys), entry, matched);
    if (matched) slot.matched = s;
    else slot.fallback = s;
    return s;
  }
}

/** The client asked for the certificate's status: the response of the certificate served, or none. */
function onOcspRequest(
  this: BindTlsServer,
  certificate: Buffer | null,
  _issuer: Buffer | null,
  done: (err: Error | null, response: Buffer | null) => void,
): void {
  done(null, this.hapOcsp?.staple(certificate) ?? null);
}

/** A server whose certificate the runtime API may replace: its ticket renewal is set again after. */
function ticketKeeping(s: BindTlsServer, keys: TicketKeyFile | undefined): ContextHolder {
  return {
    setSecureContext(options) {
      s.setSecureContext(options);
      if (ticketsOff(options.secureOptions)) return;
      if (keys !== undefined) keys.install(s);
      else renewTicketsOnResumption(s, options.secureOptions);
    },
  };
}

const PEEK = Symbol('hap.tls-peek');
interface PeekingSocket extends Socket {
  [PEEK]?: { door: TlsDoor; buf: Buffer | undefined } | undefined;
}

function stopPeeking(s: PeekingSocket): void {
  s[PEEK] = undefined;
  s.removeListener('readable', onPeekReadable);
  s.removeListener('end', onPeekEnd);
  s.removeListener('timeout', onPeekTimeout);
  s.setTimeout(0);
}

function onPeekReadable(this: PeekingSocket): void {
  const st = this[PEEK];
  if (st === undefined) return;
  let chunk: Buffer | null = this.read() as Buffer | null;
  while (chunk !== null) {
    st.buf = st.buf === undefined ? chunk : Buffer.concat([st.buf, chunk]);
    chunk = this.read() as Buffer | null;
  }
  if (st.buf === undefined) return;
  const name = clientHelloServerName(st.buf);
  if (name === 'more') return;
  stopPeeking(this);
  this.unshift(st.buf);
  st.door.route(name ?? undefined).emit('connection', this);
}

function onPeekEnd(this: PeekingSocket): void {
  if (this[PEEK] === undefined) return;
  stopPeeking(this);
  this.destroy();
}

function onPeekTimeout(this: PeekingSocket): void {
  if (this[PEEK] === undefined) return;
  stopPeeking(this);
  this.destroy();
}
