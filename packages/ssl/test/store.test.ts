// @hap/ssl's certificate store and ClientHello reader on their own: a transaction from `set`
// to `commit` switching a bind's SNI table (names rebuilt, every instance or none), the
// refusals in HAProxy's words, and the server name read from a real ClientHello made by
// Node's TLS client (whole, cut short, without SNI, not TLS at all).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import type { Diagnostic } from '@hap/config';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CertificateStore, clientHelloServerName, compileBindTls, type TlsDefaults } from '../src/index.ts';
import { bindLine, issueCertificate, testDefaults } from './fixtures.ts';

let dir: string;
const p = (n: string) => join(dir, n);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hap-ssl-store-'));
  issueCertificate(dir, 'a', '/CN=a.test', 'DNS:a.test,DNS:b.test');
  issueCertificate(dir, 'a2', '/O=Next/CN=a.test', 'DNS:a.test,DNS:c.test');
  issueCertificate(dir, 'd', '/CN=d.test', 'DNS:d.test');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const defaults = (): TlsDefaults => testDefaults(dir);

const bind = bindLine;

describe('certificate store', () => {
  it('a committed certificate replaces the old one in the SNI table, names included', () => {
    const store = new CertificateStore();
    const out: Diagnostic[] = [];
    const { tls } = compileBindTls(
      bind([
        ['ssl', true],
        ['crt', 'd.pem'],
        ['crt', 'a.pem'],
      ]),
      { kind: 'frontend', name: 'fe' },
      defaults(),
      out,
      store,
    );
    expect(out).toEqual([]);
    const a = `${dir}/a.pem`;
    expect(tls!.select('b.test')?.cert.path).toBe(a);
    expect(store.show(undefined)).toBe(`# filename\n${a}\n${dir}/d.pem\n`);
    expect(store.commit(a)).toBe(`No ongoing transaction! !\nCan't commit ${a}!\n`);
    expect(store.set(a, readFileSync(p('a2.crt'), 'latin1'))).toBe(
      `Transaction created for certificate ${a}!\n`,
    );
    expect(store.commit(a)).toBe(
      `The transaction must contain at least a certificate and a private key!\nCan't commit ${a}!\n`,
    );
    expect(store.set(`${a}.key`, readFileSync(p('a2.key'), 'latin1'))).toBe(
      `Transaction updated for certificate ${a}!\n`,
    );
    expect(store.show(`*${a}`)).toMatch(/^Filename: \*.*\nStatus: Unused\nSerial: [0-9A-F]+\n/);
    // nothing changed before the commit
    expect(tls!.select('c.test')).toBeUndefined();
    expect(store.commit(a)).toBe(`Committing ${a}.\nSuccess!\n`);
    expect(tls!.select('c.test')?.cert.leaf.subject).toBe('O=Next\nCN=a.test');
    expect(tls!.select('b.test')).toBeUndefined();
    expect(store.show(a)).toContain('Subject: /O=Next/CN=a.test\n');
    expect(store.abort(a)).toBe('No ongoing transaction!\n');
  });

  it('a payload without a certificate, an unknown file and a key that does not match are refused', () => {
    const store = new CertificateStore();
    compileBindTls(
      bind([
        ['ssl', true],
        ['crt', 'a.pem'],
      ]),
      { kind: 'frontend', name: 'fe' },
      defaults(),
      [],
      store,
    );
    const a = `${dir}/a.pem`;
    expect(store.set(a, 'junk')).toBe(
      `unable to load certificate from file '${a}'.\nCan't load the payload\nCan't update ${a}!\n`,
    );
    expect(store.set('x.pem', readFileSync(p('a.pem'), 'latin1'))).toBe(
      "Can't replace a certificate which is not referenced by the configuration!\nCan't update x.pem!\n",
    );
    store.set(a, readFileSync(p('a2.crt'), 'latin1') + readFileSync(p('d.key'), 'latin1'));
    expect(store.commit(a)).toBe(
      `inconsistencies between private key and certificate loaded '${a}'.\nCan't commit ${a}!\n`,
    );
    expect(store.delete(a)).toBe(
      `Can't remove the certificate: certificate '${a}' in use, can't be deleted!\n\n`,
    );
  });
});

describe('ClientHello server name', () => {
  let server: Server;
  let port = 0;
  let hellos: Buffer[] = [];
  beforeAll(async () => {
    server = createServer((s) => {
      const chunks: Buffer[] = [];
      s.on('data', (d: Buffer) => {
        chunks.push(d);
        const b = Buffer.concat(chunks);
        if (b.length >= 5 && b.length >= 5 + b.readUInt16BE(3)) {
          hellos.push(b);
          s.destroy();
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const hello = (servername: string | undefined): Promise<Buffer> =>
    new Promise((resolve) => {
      hellos = [];
      const c = connect({ host: '127.0.0.1', port, ...(servername !== undefined ? { servername } : {}) });
      c.on('error', () => undefined);
      c.on('close', () => resolve(hellos[0]!));
    });

  it('reads the name, asks for more when cut short, and has none without SNI or TLS', async () => {
    const h = await hello('www.example.test');
    expect(clientHelloServerName(h)).toBe('www.example.test');
    expect(clientHelloServerName(h.subarray(0, 3))).toBe('more');
    expect(clientHelloServerName(h.subarray(0, h.length - 1))).toBe('more');
    expect(clientHelloServerName(await hello(undefined))).toBeNull();
    expect(clientHelloServerName(Buffer.from('GET / HTTP/1.1\r\n'))).toBeNull();
  });
});
