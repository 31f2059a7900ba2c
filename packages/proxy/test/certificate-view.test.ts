// The certificate facts behind the ssl_c_* / ssl_f_* fetches, read from certificates made by
// openssl: versions, algorithms (RSA and EC), serials, validity times on both sides of 2050.
// (The fetches themselves are compared with HAProxy in apps/haproxyd/test/tls.test.ts.)
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { X509View } from '../src/certificate-view.ts';

let dir: string;
const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
const load = (name: string) => new X509View(new X509Certificate(readFileSync(join(dir, name))));

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hap-cert-view-'));
  // EC, v3 (req -x509 adds extensions), valid past 2050: GeneralizedTime
  openssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ec.key');
  openssl(
    'req',
    '-x509',
    '-key',
    'ec.key',
    '-out',
    'ec.crt',
    '-days',
    '12000',
    '-subj',
    '/C=FR/O=Ex/CN=ec.test',
    '-set_serial',
    '0x00ff01',
  );
  // RSA, v1 (signed from a request without extensions)
  openssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'v1.key',
    '-out',
    'v1.csr',
    '-subj',
    '/CN=v1.test',
  );
  openssl(
    'x509',
    '-req',
    '-in',
    'v1.csr',
    '-signkey',
    'v1.key',
    '-out',
    'v1.crt',
    '-days',
    '2',
    '-set_serial',
    '7',
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('X509View', () => {
  it('an EC certificate: version 3, ecdsa-with-SHA256 / id-ecPublicKey, serial bytes, GeneralizedTime after 2049', () => {
    const v = load('ec.crt');
    expect(v.version).toBe(3);
    expect(v.signatureAlgorithm).toBe('ecdsa-with-SHA256');
    expect(v.keyAlgorithm).toBe('id-ecPublicKey');
    expect(v.serial.toString('hex')).toBe('ff01');
    expect(v.subject).toBe('C=FR\nO=Ex\nCN=ec.test');
    expect(v.notBefore).toMatch(/^\d{12}Z$/);
    expect(v.notAfter).toMatch(/^20[5-9]\d{11}Z$/);
    const raw = new X509Certificate(readFileSync(join(dir, 'ec.crt')));
    expect(v.sha1.toString('hex').toUpperCase()).toBe(raw.fingerprint.replace(/:/g, ''));
    expect(v.der.equals(raw.raw)).toBe(true);
  });

  it('an RSA version 1 certificate: RSA-SHA256 / rsaEncryption, UTCTime', () => {
    const v = load('v1.crt');
    expect(v.version).toBe(1);
    expect(v.signatureAlgorithm).toBe('RSA-SHA256');
    expect(v.keyAlgorithm).toBe('rsaEncryption');
    expect(v.serial.toString('hex')).toBe('07');
    expect(v.notAfter).toMatch(/^\d{12}Z$/);
  });
});
