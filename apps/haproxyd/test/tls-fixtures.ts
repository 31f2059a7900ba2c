// Certificates for the TLS tests, made with the openssl command line at set-up: a test CA,
// server certificates for exact names, a wildcard and a default one, a client certificate
// signed by the CA and one signed by another CA, plus broken files for the `-c` checks.
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type PeerCertificate } from 'node:tls';
import { requireHaproxy } from '@hap/testkit';
import { afterAll, beforeAll, expect } from 'vitest';
import { killAllRuns, settleLeftovers } from './helpers.ts';

export interface Pki {
  readonly dir: string;
  path(name: string): string;
  read(name: string): string;
  remove(): void;
}

export function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A key and a certificate signed by `ca` (or self-signed), with its SAN list. */
export function issue(
  dir: string,
  name: string,
  cn: string,
  san: string | undefined,
  ca: string,
  ext = '',
): void {
  openssl(dir, [
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.csr`,
    '-subj',
    cn,
  ]);
  writeFileSync(join(dir, `${name}.ext`), `${san !== undefined ? `subjectAltName=${san}\n` : ''}${ext}`);
  openssl(dir, [
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${ca}.crt`,
    '-CAkey',
    `${ca}.key`,
    '-CAcreateserial',
    '-out',
    `${name}.crt`,
    '-days',
    '30',
    '-extfile',
    `${name}.ext`,
  ]);
  writeFileSync(
    join(dir, `${name}.pem`),
    readFileSync(join(dir, `${name}.crt`), 'latin1') + readFileSync(join(dir, `${name}.key`), 'latin1'),
  );
}

/**
 * The preamble of a TLS end-to-end test file: HAProxy is required, a PKI is made before the
 * file's tests (then `setUp` runs with it), and after them every run is killed, the PKI
 * removed and no process left over. The PKI returned is usable from the first test on.
 */
export function usePki(setUp?: (pki: Pki) => void | Promise<void>, timeoutMs?: number): Pki {
  let made: Pki | undefined;
  const pki = (): Pki => {
    if (made === undefined) throw new Error('the test PKI is made in beforeAll');
    return made;
  };
  beforeAll(async () => {
    requireHaproxy();
    made = makePki();
    await setUp?.(made);
  }, timeoutMs);
  afterAll(async () => {
    killAllRuns();
    made?.remove();
    expect(await settleLeftovers()).toEqual([]);
  });
  return {
    get dir() {
      return pki().dir;
    },
    path: (name) => pki().path(name),
    read: (name) => pki().read(name),
    remove: () => pki().remove(),
  };
}

export function makePki(): Pki {
  const dir = mkdtempSync(join(tmpdir(), 'hap-tls-'));
  for (const ca of ['ca', 'otherca']) {
    openssl(dir, [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      `${ca}.key`,
      '-out',
      `${ca}.crt`,
      '-days',
      '30',
      '-subj',
      `/O=Test/CN=${ca === 'ca' ? 'Test CA' : 'Other CA'}`,
    ]);
  }
  issue(dir, 'def', '/CN=default.test', 'DNS:default.test', 'ca');
  issue(dir, 'www', '/CN=www.example.test', 'DNS:www.example.test,DNS:alt.example.test', 'ca');
  issue(dir, 'wild', '/CN=*.wild.test', 'DNS:*.wild.test', 'ca');
  issue(dir, 'client', '/C=FR/O=Clients/CN=good client', undefined, 'ca', 'extendedKeyUsage=clientAuth\n');
  issue(
    dir,
    'rogue',
    '/C=FR/O=Rogues/CN=rogue client',
    undefined,
    'otherca',
    'extendedKeyUsage=clientAuth\n',
  );
  const r = (n: string) => readFileSync(join(dir, n), 'latin1');
  // a CA with its key, for ca-sign-file
  writeFileSync(join(dir, 'casign.pem'), r('ca.crt') + r('ca.key'));
  // broken inputs for -c
  writeFileSync(join(dir, 'nokey.pem'), r('www.crt'));
  writeFileSync(join(dir, 'mismatch.pem'), r('www.crt') + r('def.key'));
  writeFileSync(join(dir, 'garbage.pem'), 'this is not PEM\n');
  writeFileSync(join(dir, 'keyonly.pem'), r('def.key'));
  // certificate and key in two files, as HAProxy's '.key' sibling
  writeFileSync(join(dir, 'split.pem'), r('www.crt'));
  writeFileSync(join(dir, 'split.pem.key'), r('www.key'));
  // a directory of certificates
  mkdirSync(join(dir, 'certs'));
  for (const n of ['def.pem', 'www.pem', 'wild.pem']) copyFileSync(join(dir, n), join(dir, 'certs', n));
  writeFileSync(
    join(dir, 'list.txt'),
    [
      '# default first',
      'def.pem',
      'www.pem only.example.test',
      'wild.pem *.wild.test !bad.wild.test',
      '',
    ].join('\n'),
  );
  writeFileSync(join(dir, 'list-missing.txt'), 'def.pem\nnot-there.pem\n');
  chmodSync(dir, 0o755);
  return {
    dir,
    path: (n) => join(dir, n),
    read: (n) => r(n),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface TlsAnswer {
  /** 'ok' once the handshake completed, else the error code or message. */
  readonly handshake: string;
  /** The CN of the certificate the proxy presented. */
  readonly subject: string | undefined;
  readonly alpn: string | false | undefined;
  /** Everything received after the request (the HTTP response), as text. */
  readonly response: string;
}

export interface TlsRequest {
  readonly servername?: string;
  readonly alpn?: string[];
  readonly cert?: string;
  readonly key?: string;
  /** Request bytes sent after the handshake (default: a GET with Connection: close). */
  readonly request?: string;
  readonly host?: string;
  /** Cipher list or TLS 1.3 suites the client offers. */
  readonly ciphers?: string;
}

/** One TLS connection: handshake, one request, everything until the proxy closes (bounded). */
export function tlsRequest(port: number, o: TlsRequest = {}): Promise<TlsAnswer> {
  return new Promise((resolve) => {
    let handshake = 'pending';
    let subject: string | undefined;
    let alpn: string | false | undefined;
    const chunks: Buffer[] = [];
    const s = connect({
      host: '127.0.0.1',
      port,
      rejectUnauthorized: false,
      ...(o.servername !== undefined ? { servername: o.servername } : {}),
      ...(o.alpn !== undefined ? { ALPNProtocols: o.alpn } : {}),
      ...(o.cert !== undefined ? { cert: o.cert, key: o.key } : {}),
      ...(o.ciphers !== undefined ? { ciphers: o.ciphers } : {}),
    });
    const timer = setTimeout(() => s.destroy(new Error('client gave up after 5s')), 5000);
    s.on('secureConnect', () => {
      handshake = 'ok';
      const c: PeerCertificate = s.getPeerCertificate();
      subject = typeof c.subject?.CN === 'string' ? c.subject.CN : undefined;
      alpn = s.alpnProtocol ?? undefined;
      s.write(
        o.request ?? `GET / HTTP/1.1\r\nHost: ${o.host ?? o.servername ?? 'x'}\r\nConnection: close\r\n\r\n`,
      );
    });
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('error', (e: NodeJS.ErrnoException) => {
      if (handshake === 'pending') handshake = e.code ?? e.message;
    });
    s.on('close', () => {
      clearTimeout(timer);
      if (handshake === 'pending') handshake = 'closed';
      resolve({ handshake, subject, alpn, response: Buffer.concat(chunks).toString('latin1') });
    });
  });
}

/** Raw bytes to a port; what comes back until the peer closes, and whether it did (bounded by `maxMs`). */
export function rawExchange(
  port: number,
  payload: Buffer | undefined,
  maxMs: number,
): Promise<{ received: Buffer; closedByPeer: boolean }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let closedByPeer = false;
    const s = netConnect({ host: '127.0.0.1', port });
    const timer = setTimeout(() => s.destroy(), maxMs);
    s.on('connect', () => {
      if (payload !== undefined) s.write(payload);
    });
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('end', () => {
      closedByPeer = true;
      s.end();
    });
    s.on('error', () => {
      closedByPeer = true;
    });
    s.on('close', () => {
      clearTimeout(timer);
      resolve({ received: Buffer.concat(chunks), closedByPeer });
    });
  });
}

/** An `openssl ocsp -index` line for certificate `<name>.crt` in `dir`: valid, or revoked. */
export function ocspIndexLine(dir: string, name: string, status: 'V' | 'R' = 'V'): string {
  const crt = readFileSync(join(dir, `${name}.crt`));
  const serial = new X509Certificate(crt).serialNumber;
  const subject = new X509Certificate(crt).subject.split('\n').join('/');
  return `${status}\t991231235959Z\t${status === 'R' ? '200101000000Z' : ''}\t${serial}\tunknown\t/${subject}\n`;
}

/**
 * An OCSP response for `certs` (`<name>.crt`, issued by `ca`) made by `openssl ocsp` as a
 * responder reading `index`, signed by the CA itself; `faketime` (e.g. '-3d') dates it.
 */
export function ocspRespond(
  dir: string,
  out: string,
  index: string,
  certs: readonly string[],
  extra: readonly string[] = ['-ndays', '1'],
  faketime?: string,
): void {
  const args = ['ocsp', '-index', index, '-rsigner', 'ca.crt', '-rkey', 'ca.key', '-CA', 'ca.crt'];
  args.push('-issuer', 'ca.crt', ...extra, ...certs.flatMap((c) => ['-cert', `${c}.crt`]), '-respout', out);
  if (faketime === undefined) openssl(dir, args);
  else
    execFileSync('faketime', ['-f', faketime, 'openssl', ...args], {
      cwd: dir,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
}

/** One handshake asking (or not) for the certificate status: what was stapled (null: nothing) and the CN served. */
export function ocspAsk(
  port: number,
  servername: string | undefined,
  requestOCSP: boolean,
  maxVersion?: 'TLSv1.2',
): Promise<{ stapled: Buffer | null | 'not asked'; subject: string | undefined; handshake: string }> {
  return new Promise((resolve) => {
    let stapled: Buffer | null | 'not asked' = 'not asked';
    let subject: string | undefined;
    let handshake = 'pending';
    const s = connect({
      host: '127.0.0.1',
      port,
      rejectUnauthorized: false,
      requestOCSP,
      ...(servername !== undefined ? { servername } : {}),
      ...(maxVersion !== undefined ? { maxVersion } : {}),
    });
    const timer = setTimeout(() => s.destroy(new Error('client gave up after 5s')), 5000);
    s.on('OCSPResponse', (r: Buffer | null) => {
      stapled = r;
    });
    s.on('secureConnect', () => {
      handshake = 'ok';
      const c = s.getPeerCertificate();
      subject = typeof c.subject?.CN === 'string' ? c.subject.CN : undefined;
      // the status came with the handshake: nothing more to wait for
      s.destroy();
    });
    s.on('error', (e: NodeJS.ErrnoException) => {
      if (handshake === 'pending') handshake = e.code ?? e.message;
    });
    s.on('close', () => {
      clearTimeout(timer);
      resolve({ stapled, subject, handshake });
    });
  });
}
