/**
 * TLS session resumption as HAProxy does it: tickets renewed on every resumption, and a
 * session cache (`tune.ssl.cachesize`, `tune.ssl.lifetime`) for binds without tickets.
 *
 * Tickets.
 *
 * TLS 1.3 clients use a ticket once (OpenSSL's, browsers'): a server that sends no fresh
 * ticket when it resumes a session makes every other connection of such a client a full
 * handshake. HAProxy (OpenSSL's own ticket keys) sends one; Node's ticket keys do not, unless
 * the context's ticket-key callback answers "renew". This installs that callback with keys
 * of the server's own, kept across `setSecureContext()` (a certificate update) so that the
 * tickets already given out still resume.
 */

import { constants, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Server as TlsServer } from 'node:tls';

/** Node's native secure context, reached through the server (not a public API: checked at each use). */
interface NativeContext {
  enableTicketKeyCallback?: () => void;
  onticketkeycallback?: (name: Buffer, iv: Buffer, encrypt: boolean) => unknown[];
}

/** One server's ticket keys and the answers handed to Node (made once: no allocation per ticket but the IV). */
class TicketKeys {
  readonly name = randomBytes(16);
  private readonly encrypt: unknown[];
  private readonly renew: unknown[];
  private readonly unknown: unknown[];

  constructor() {
    const hmac = randomBytes(16);
    const aes = randomBytes(16);
    // [verdict, hmac key, aes key, key name, iv]: 1 = issue, 2 = accepted and renew, 0 = not ours
    this.encrypt = [1, hmac, aes, this.name, undefined];
    this.renew = [2, hmac, aes];
    this.unknown = [0, hmac, aes];
  }

  readonly callback = (name: Buffer, _iv: Buffer, encrypt: boolean): unknown[] => {
    if (encrypt) {
      this.encrypt[4] = randomBytes(16);
      return this.encrypt;
    }
    return name.equals(this.name) ? this.renew : this.unknown;
  };
}

const keysOf = new WeakMap<TlsServer, TicketKeys>();

/**
 * Makes `server` send a new ticket with each resumed session; again after each
 * `setSecureContext()`. Returns false when it cannot (tickets off with `no-tls-tickets`, or a
 * Node without the callback: resumption then works as Node's default does).
 */
export function renewTicketsOnResumption(server: TlsServer, secureOptions?: number): boolean {
  if (ticketsOff(secureOptions)) return false;
  const context = (server as TlsServer & { _sharedCreds?: { context?: NativeContext } })._sharedCreds
    ?.context;
  if (typeof context?.enableTicketKeyCallback !== 'function') return false;
  let keys = keysOf.get(server);
  if (keys === undefined) {
    keys = new TicketKeys();
    keysOf.set(server, keys);
  }
  context.onticketkeycallback = keys.callback;
  context.enableTicketKeyCallback();
  return true;
}

/**
 * Sessions kept by id for resumption without tickets (`no-tls-tickets`: TLS 1.2 session ids,
 * TLS 1.3 stateful tickets), HAProxy's shared session cache: at most `size` sessions, each
 * for `lifetime` seconds, the oldest dropped first. Node keeps none by itself.
 */
export class SessionCache {
  private readonly size: number;
  private readonly lifetimeMs: number;
  /** By session id (hex); Map order is insertion order, so the first is the oldest. */
  private readonly sessions = new Map<string, { data: Buffer; until: number }>();

  constructor(size: number, lifetimeSeconds: number) {
    this.size = size;
    this.lifetimeMs = lifetimeSeconds * 1000;
  }

  get count(): number {
    return this.sessions.size;
  }

  /** Serves `server`'s session events (Node holds the handshake until the callback runs: it runs at once). */
  serve(server: TlsServer): void {
    server.on('newSession', this.store);
    server.on('resumeSession', this.lookUp);
  }

  private readonly store = (id: Buffer, data: Buffer, done: () => void): void => {
    const key = id.toString('hex');
    this.sessions.delete(key);
    if (this.sessions.size >= this.size) {
      const oldest = this.sessions.keys().next();
      if (!oldest.done) this.sessions.delete(oldest.value);
    }
    this.sessions.set(key, { data, until: Date.now() + this.lifetimeMs });
    done();
  };

  private readonly lookUp = (id: Buffer, done: (err: Error | null, data: Buffer | null) => void): void => {
    const key = id.toString('hex');
    const s = this.sessions.get(key);
    if (s === undefined || s.until < Date.now()) {
      if (s !== undefined) this.sessions.delete(key);
      done(null, null);
      return;
    }
    done(null, s.data);
  };
}

/** Whether a bind's options turn tickets off (`no-tls-tickets`). */
export function ticketsOff(secureOptions: number | undefined): boolean {
  return secureOptions !== undefined && (secureOptions & constants.SSL_OP_NO_TICKET) !== 0;
}

/**
 * `tls-ticket-keys <file>`: base64 keys, one a line, of 48 bytes (name, AES-128 key, HMAC
 * key: HAProxy's layout, so tickets pass between HAProxy and haproxyd sharing a file) or 80
 * (AES-256). The last three lines are in use: tickets are issued with the second to last,
 * and any of the three opens one; a ticket opened with another key than the issuing one is
 * renewed (a new ticket comes with the resumed session), as in HAProxy.
 */
export class TicketKeyFile {
  readonly path: string;
  /** The three keys in use, oldest first: tickets are sealed with the middle one. */
  private ring: Buffer[];
  private readonly encrypt: unknown[] = [1, undefined, undefined, undefined, undefined];
  private readonly byName = new Map<string, unknown[]>();

  private constructor(path: string, keys: Buffer[]) {
    this.path = path;
    this.ring = keys;
    this.index();
  }

  /** The keys in use, oldest first (`show tls-keys`). */
  get keys(): readonly Buffer[] {
    return this.ring;
  }

  /** `set ssl tls-key`: `key` becomes the newest, the oldest goes, tickets are sealed with the one before. */
  push(key: Buffer): 'wrong-size' | undefined {
    if (key.length !== this.ring[0]!.length) return 'wrong-size';
    this.ring = [this.ring[1]!, this.ring[2]!, key];
    this.index();
    return undefined;
  }

  private index(): void {
    const part = (k: Buffer, at: number) => k.subarray(at, at + 16);
    const issuing = this.ring[1]!;
    this.encrypt[1] = part(issuing, 32);
    this.encrypt[2] = part(issuing, 16);
    this.encrypt[3] = part(issuing, 0);
    this.byName.clear();
    for (const k of this.ring) {
      this.byName.set(part(k, 0).toString('hex'), [k === issuing ? 1 : 2, part(k, 32), part(k, 16)]);
    }
  }

  /** Reads a key file; a string is HAProxy's complaint about it. */
  static read(path: string): TicketKeyFile | string {
    let text: string;
    try {
      text = readFileSync(path, 'latin1');
    } catch {
      return `'${path}' : unable to load ssl tickets keys file`;
    }
    const keys: Buffer[] = [];
    const lines = text.split('\n');
    // the end of the last line is no line of its own; an empty line inside is a key of 0 bytes
    if (lines[lines.length - 1] === '') lines.pop();
    for (let i = 0; i < lines.length; i++) {
      const raw = lines[i]!;
      const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      const key =
        /^[A-Za-z0-9+/]*={0,2}$/.test(line) && line.length % 4 === 0
          ? Buffer.from(line, 'base64')
          : undefined;
      if (key === undefined) return `'${path}' : unable to decode base64 key on line ${i + 1}`;
      if ((key.length !== 48 && key.length !== 80) || (keys.length > 0 && key.length !== keys[0]!.length))
        return `'${path}' : wrong sized key on line ${i + 1}`;
      keys.push(key);
    }
    if (keys.length < 3) return `'${path}' : please supply at least 3 keys in the tls-tickets-file`;
    return new TicketKeyFile(path, keys.slice(-3));
  }

  /** The key file of `path`, read once for every bind line naming it (they share its keys, as in HAProxy). */
  static shared(path: string, files: Map<string, TicketKeyFile>): TicketKeyFile | string {
    const known = files.get(path);
    if (known !== undefined) return known;
    const read = TicketKeyFile.read(path);
    if (typeof read !== 'string') files.set(path, read);
    return read;
  }

  /** AES-256 keys (80 bytes): Node's ticket callback seals with AES-128 only. */
  get aes256(): boolean {
    return this.keys[0]!.length === 80;
  }

  /** Makes `server` seal and open its tickets with these keys (again after each `setSecureContext()`). */
  install(server: TlsServer): boolean {
    const context = (server as TlsServer & { _sharedCreds?: { context?: NativeContext } })._sharedCreds
      ?.context;
    if (typeof context?.enableTicketKeyCallback !== 'function' || this.aes256) return false;
    context.onticketkeycallback = this.callback;
    context.enableTicketKeyCallback();
    return true;
  }

  private readonly unknown = [0, Buffer.alloc(16), Buffer.alloc(16)];

  private readonly callback = (name: Buffer, _iv: Buffer, encrypt: boolean): unknown[] => {
    if (encrypt) {
      this.encrypt[4] = randomBytes(16);
      return this.encrypt;
    }
    return this.byName.get(name.toString('hex')) ?? this.unknown;
  };
}
