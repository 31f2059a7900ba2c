// @hap/ssl's OCSP reader and HAProxy's checks, on responses made by `openssl ocsp` for a test
// CA (an expired and a not-yet-valid one through faketime), compared with what
// `openssl ocsp -resp_text` reads from the same bytes.
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Diagnostic } from '@hap/config';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CertificateError,
  certIdDer,
  certIdMatches,
  certIdOf,
  checkOcspResponse,
  compileBindTls,
  loadCertificate,
  OcspResponses,
  OcspStapler,
  readOcspResponse,
} from '../src/index.ts';
import { bindLine, issueCertificate, testDefaults } from './fixtures.ts';

let dir: string;
const p = (n: string) => join(dir, n);
const run = (args: string[], faketime?: string) =>
  faketime === undefined
    ? execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] })
    : execFileSync('faketime', ['-f', faketime, 'openssl', ...args], {
        cwd: dir,
        stdio: ['ignore', 'ignore', 'pipe'],
      });

/** `openssl ocsp` as a responder from `index` for `certs`, written to `out`. */
function respond(out: string, index: string, certs: string[], extra: string[] = [], faketime?: string): void {
  run(
    [
      'ocsp',
      '-index',
      index,
      '-rsigner',
      'ca.crt',
      '-rkey',
      'ca.key',
      '-CA',
      'ca.crt',
      '-issuer',
      'ca.crt',
      ...extra,
      ...certs.flatMap((c) => ['-cert', c]),
      '-respout',
      out,
    ],
    faketime,
  );
}

function issue(name: string, serial?: string): void {
  issueCertificate(dir, name, `/CN=${name}.test`, `DNS:${name}.test`, 'ca', 5, serial);
  // (the fixture wrote `<name>.pem`: certificate then key) and the same with the CA's certificate after
  writeFileSync(
    p(`${name}-chain.pem`),
    readFileSync(p(`${name}.pem`), 'latin1') + readFileSync(p('ca.crt'), 'latin1'),
  );
}

/** The serial as Node prints it: whole bytes, a leading zero digit kept (`012F8D`), as openssl and HAProxy do. */
const serialOf = (name: string) => new X509Certificate(readFileSync(p(`${name}.crt`))).serialNumber;
const der = (n: string) => readFileSync(p(n));
const x509 = (n: string) => new X509Certificate(readFileSync(p(n)));

/** What `openssl ocsp -resp_text` says about a response: `Label: value` lines. */
function opensslText(file: string): Map<string, string> {
  const text = execFileSync('openssl', ['ocsp', '-respin', file, '-resp_text', '-noverify'], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'ignore'],
  }).toString();
  const m = new Map<string, string>();
  for (const line of text.split('\n')) {
    const i = line.indexOf(': ');
    if (i > 0 && !m.has(line.slice(0, i).trim())) m.set(line.slice(0, i).trim(), line.slice(i + 2).trim());
  }
  return m;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hap-ocsp-'));
  run([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '5',
    '-subj',
    '/O=Test/CN=OCSP Test CA',
  ]);
  issue('a');
  issue('b');
  // a serial whose first byte is below 0x10 (written 012F8D: a leading zero digit)
  issue('z', '0x012F8D');
  const far = '991231235959Z';
  const yesterday = '200101000000Z';
  writeFileSync(
    p('index.txt'),
    `V\t${far}\t\t${serialOf('a')}\tunknown\t/CN=a.test\nV\t${far}\t\t${serialOf('b')}\tunknown\t/CN=b.test\n` +
      `V\t${far}\t\t${serialOf('z')}\tunknown\t/CN=z.test\n`,
  );
  writeFileSync(p('revoked.txt'), `R\t${far}\t${yesterday}\t${serialOf('a')}\tunknown\t/CN=a.test\n`);
  writeFileSync(p('empty.txt'), '');
  respond('a-good.der', 'index.txt', ['a.crt'], ['-ndays', '1']);
  respond('b-good.der', 'index.txt', ['b.crt'], ['-ndays', '1']);
  respond('z-good.der', 'index.txt', ['z.crt'], ['-ndays', '1']);
  respond('a-revoked.der', 'revoked.txt', ['a.crt'], ['-ndays', '1']);
  respond('a-unknown.der', 'empty.txt', ['a.crt'], ['-ndays', '1']);
  respond('a-nonext.der', 'index.txt', ['a.crt']);
  respond('ab.der', 'index.txt', ['a.crt', 'b.crt'], ['-ndays', '1']);
  respond('a-sha256.der', 'index.txt', ['a.crt'], ['-ndays', '1', '-sha256']);
  respond('a-nmin.der', 'index.txt', ['a.crt'], ['-nmin', '1']);
  respond('a-expired.der', 'index.txt', ['a.crt'], ['-ndays', '1'], '-3d');
  respond('a-future.der', 'index.txt', ['a.crt'], ['-ndays', '1'], '+1d');
  // RFC 6960's whole answer when the responder cannot answer: status tryLater (3), no body
  writeFileSync(p('trylater.der'), Buffer.from([0x30, 0x03, 0x0a, 0x01, 0x03]));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readOcspResponse', () => {
  it('reads what openssl reads: status, CertID, cert status, times', () => {
    const r = readOcspResponse(der('a-good.der'));
    const o = opensslText('a-good.der');
    expect(r.status).toBe(0);
    expect(o.get('OCSP Response Status')).toBe('successful (0x0)');
    expect(r.responses).toHaveLength(1);
    const s = r.responses[0]!;
    expect(s.certId.hashName).toBe(o.get('Hash Algorithm'));
    expect(s.certId.issuerNameHash.toString('hex').toUpperCase()).toBe(o.get('Issuer Name Hash'));
    expect(s.certId.issuerKeyHash.toString('hex').toUpperCase()).toBe(o.get('Issuer Key Hash'));
    expect(s.certId.serialNumber).toBe(o.get('Serial Number'));
    expect(s.certId.serialNumber).toBe(serialOf('a'));
    expect(s.certStatus).toBe(o.get('Cert Status'));
    expect(s.thisUpdate).toBe(Date.parse(o.get('This Update')!) / 1000);
    expect(s.nextUpdate).toBe(Date.parse(o.get('Next Update')!) / 1000);
    expect(s.nextUpdate! - s.thisUpdate).toBe(86400);
  });

  it('reads revoked, unknown, no nextUpdate, several responses, SHA-256 CertIDs, unsuccessful statuses', () => {
    expect(readOcspResponse(der('a-revoked.der')).responses[0]!.certStatus).toBe('revoked');
    expect(readOcspResponse(der('a-unknown.der')).responses[0]!.certStatus).toBe('unknown');
    expect(readOcspResponse(der('a-nonext.der')).responses[0]!.nextUpdate).toBeUndefined();
    expect(readOcspResponse(der('ab.der')).responses.map((s) => s.certId.serialNumber)).toEqual([
      serialOf('a'),
      serialOf('b'),
    ]);
    const s256 = readOcspResponse(der('a-sha256.der')).responses[0]!.certId;
    const o = opensslText('a-sha256.der');
    expect(s256.hashName).toBe('sha256');
    expect(s256.issuerNameHash.toString('hex').toUpperCase()).toBe(o.get('Issuer Name Hash'));
    expect(readOcspResponse(der('trylater.der'))).toEqual({ status: 3, responses: [] });
  });

  it('refuses what is not a response, in HAProxy words', () => {
    expect(() => readOcspResponse(Buffer.alloc(0))).toThrow('Unable to parse OCSP response');
    expect(() => readOcspResponse(Buffer.from('not an OCSP response\n'))).toThrow(
      'Unable to parse OCSP response',
    );
    // truncated in the middle
    expect(() => readOcspResponse(der('a-good.der').subarray(0, 200))).toThrow(
      'Unable to parse OCSP response',
    );
    // a successful status without a body
    expect(() => readOcspResponse(Buffer.from([0x30, 0x03, 0x0a, 0x01, 0x00]))).toThrow(
      'Failed to get basic response from OCSP Response',
    );
  });
});

describe('CertID', () => {
  it('is computed from the certificate and its issuer as openssl computes it (SHA-1 and SHA-256)', () => {
    const leaf = x509('a.crt');
    const ca = x509('ca.crt');
    for (const [file, hash] of [
      ['a-good.der', 'sha1'],
      ['a-sha256.der', 'sha256'],
    ] as const) {
      const mine = certIdOf(leaf, ca, hash);
      const theirs = readOcspResponse(der(file)).responses[0]!.certId;
      expect(mine).toEqual(theirs);
      expect(certIdMatches(theirs, leaf, ca)).toBe(true);
    }
    // its DER form is the one inside openssl's response (and HAProxy's "Certificate ID key")
    for (const [file, hash] of [
      ['a-good.der', 'sha1'],
      ['a-sha256.der', 'sha256'],
    ] as const) {
      const id = certIdDer(certIdOf(leaf, ca, hash));
      expect(id[0]).toBe(0x30);
      expect(der(file).indexOf(id)).toBeGreaterThan(0);
    }
    // INTEGER encoding of serials: a sign byte when the top bit is set, odd lengths padded
    const base = certIdOf(leaf, ca);
    expect(certIdDer({ ...base, serialNumber: '80AB' }).subarray(-5)).toEqual(
      Buffer.from([2, 3, 0, 0x80, 0xab]),
    );
    expect(certIdDer({ ...base, serialNumber: '5' }).subarray(-3)).toEqual(Buffer.from([2, 1, 5]));
    const other = readOcspResponse(der('b-good.der')).responses[0]!.certId;
    expect(certIdMatches(other, leaf, ca)).toBe(false);
    // the right serial, the wrong issuer
    expect(certIdMatches(readOcspResponse(der('a-good.der')).responses[0]!.certId, leaf, leaf)).toBe(false);
    // a serial whose first byte is below 0x10 keeps its leading zero digit on both sides
    const z = readOcspResponse(der('z-good.der')).responses[0]!.certId;
    expect([z.serialNumber, serialOf('z')]).toEqual(['012F8D', '012F8D']);
    expect(certIdOf(x509('z.crt'), ca)).toEqual(z);
    expect(certIdMatches(z, x509('z.crt'), ca)).toBe(true);
    const slots = new OcspResponses();
    const slot = slots.enable(x509('z.crt'), ca);
    expect(slots.load(slot, der('z-good.der'))).toBeUndefined();
  });
});

describe('checkOcspResponse (HAProxy 2.6 checks and words)', () => {
  const expected = () => certIdOf(x509('a.crt'), x509('ca.crt'));
  const why = (file: string, now?: number) => {
    const r = checkOcspResponse(der(file), expected(), now);
    return typeof r === 'string' ? r : 'ok';
  };

  it('accepts a good and a revoked response for the certificate', () => {
    expect(why('a-good.der')).toBe('ok');
    expect(why('a-revoked.der')).toBe('ok');
    const r = checkOcspResponse(der('a-good.der'), expected());
    expect(typeof r).toBe('object');
    if (typeof r === 'object') expect(r.expire).toBe(r.single.nextUpdate! - 300);
  });

  it('refuses the others with the reason HAProxy gives', () => {
    expect(why('b-good.der')).toBe(
      'OCSP single response: Certificate ID does not match certificate and issuer',
    );
    // HAProxy builds SHA-1 CertIDs: a SHA-256 one does not match
    expect(why('a-sha256.der')).toBe(
      'OCSP single response: Certificate ID does not match certificate and issuer',
    );
    expect(why('a-unknown.der')).toBe('OCSP single response: certificate status is unknown');
    expect(why('a-nonext.der')).toBe('OCSP single response: missing nextupdate');
    expect(why('a-expired.der')).toBe('OCSP single response: no longer valid.');
    expect(why('a-future.der')).toBe('OCSP single response: no longer valid.');
    expect(why('ab.der')).toBe('OCSP response ignored because contains multiple single responses (2)');
    expect(why('trylater.der')).toBe('OCSP response status not successful');
    expect(checkOcspResponse(Buffer.alloc(0), expected())).toBe('Unable to parse OCSP response');
  });

  it('allows five minutes of clock skew', () => {
    const s = readOcspResponse(der('a-good.der')).responses[0]!;
    expect(why('a-good.der', s.nextUpdate! + 299)).toBe('ok');
    expect(why('a-good.der', s.nextUpdate! + 301)).toBe('OCSP single response: no longer valid.');
    expect(why('a-good.der', s.thisUpdate - 299)).toBe('ok');
    expect(why('a-good.der', s.thisUpdate - 301)).toBe('OCSP single response: no longer valid.');
  });
});

describe('OcspResponses and OcspStapler', () => {
  it('staples the response of the certificate served until nextUpdate - 5 min', () => {
    const a = x509('a.crt');
    const b = x509('b.crt');
    const ca = x509('ca.crt');
    const all = new OcspResponses();
    const slot = all.enable(a, ca);
    const stapler = new OcspStapler();
    stapler.add(a, slot);
    // stapling on, nothing to staple yet (an empty or refused file)
    expect(stapler.staple(a.raw)).toBeNull();
    expect(all.load(slot, Buffer.alloc(0))).toBe('Unable to parse OCSP response');
    expect(stapler.staple(a.raw)).toBeNull();
    expect(all.load(slot, der('a-good.der'))).toBeUndefined();
    expect(stapler.staple(a.raw)).toEqual(der('a-good.der'));
    expect(stapler.has(a)).toBe(true);
    expect(stapler.has(b)).toBe(false);
    expect(stapler.staple(b.raw)).toBeNull();
    expect(stapler.staple(null)).toBeNull();
    // a refused response leaves the good one in place
    expect(all.load(slot, der('b-good.der'))).toBe(
      'OCSP single response: Certificate ID does not match certificate and issuer',
    );
    expect(stapler.staple(a.raw)).toEqual(der('a-good.der'));
    expect(stapler.staple(a.raw, slot.expire + 1)).toBeNull();
    // valid for the checks, but within 5 minutes of its nextUpdate: never stapled (as HAProxy)
    expect(all.load(slot, der('a-nmin.der'))).toBeUndefined();
    expect(stapler.staple(a.raw)).toBeNull();
  });

  it('setOcspResponse finds the certificate by the CertID of the response', () => {
    const all = new OcspResponses();
    const slot = all.enable(x509('a.crt'), x509('ca.crt'));
    expect(all.setOcspResponse(der('b-good.der'))).toBe(
      'OCSP single response: Certificate ID does not match any certificate or issuer',
    );
    expect(all.setOcspResponse(der('a-expired.der'))).toBe('OCSP single response: no longer valid.');
    expect(all.setOcspResponse(Buffer.from('garbage'))).toBe('Unable to parse OCSP response');
    expect(slot.response).toBeUndefined();
    expect(all.setOcspResponse(der('a-revoked.der'))).toBeUndefined();
    expect(slot.response).toEqual(der('a-revoked.der'));
    expect(all.list()).toEqual([slot]);
  });
});

describe('certificate files with .ocsp and .issuer', () => {
  const copy = (from: string, to: string) => copyFileSync(p(from), p(to));

  it('takes the issuer from the chain, else from the .issuer file', () => {
    copy('a-chain.pem', 'c1.pem');
    copy('a-good.der', 'c1.pem.ocsp');
    expect(loadCertificate(p('c1.pem')).ocspIssuer?.subject).toBe(x509('ca.crt').subject);
    copy('a.pem', 'c2.pem');
    copy('a-good.der', 'c2.pem.ocsp');
    expect(loadCertificate(p('c2.pem')).ocspIssuer).toBeUndefined();
    copy('ca.crt', 'c2.pem.issuer');
    expect(loadCertificate(p('c2.pem')).ocspIssuer?.subject).toBe(x509('ca.crt').subject);
  });

  it('reads .issuer only with a .ocsp file, and refuses a bad one in HAProxy words', () => {
    copy('a.pem', 'c3.pem');
    writeFileSync(p('c3.pem.issuer'), 'garbage\n');
    expect(loadCertificate(p('c3.pem')).issuerPem).toBeUndefined();
    writeFileSync(p('c3.pem.ocsp'), '');
    expect(() => loadCertificate(p('c3.pem'))).toThrow(
      new CertificateError('HAP_ERR_SSL_ISSUER', `'${p('c3.pem')}.issuer' cannot be read or parsed'.`),
    );
    copy('b.crt', 'c3.pem.issuer');
    expect(() => loadCertificate(p('c3.pem'))).toThrow(` '${p('c3.pem')}.issuer' is not an issuer'.`);
  });

  it('checks the framing of a .sctl file as HAProxy does (and names it with the extension twice)', () => {
    copy('a.pem', 's.pem');
    writeFileSync(p('s.pem.sctl'), Buffer.from([0x00, 0x04, 0x00, 0x02, 0x61, 0x62]));
    expect(loadCertificate(p('s.pem')).sctl).toBe(true);
    expect(loadCertificate(p('a.pem')).sctl).toBe(false);
    for (const bad of [[], [0x00, 0x05, 0x00, 0x02, 0x61, 0x62], [0x00, 0x04, 0x00, 0x03, 0x61, 0x62]]) {
      writeFileSync(p('s.pem.sctl'), Buffer.from(bad));
      expect(() => loadCertificate(p('s.pem'))).toThrow(
        ` '${p('s.pem')}.sctl.sctl' is present but cannot be read or parsed'.`,
      );
    }
  });

  it('compileBindTls warns per line for a refused response and refuses a certificate without issuer', () => {
    copy('a-chain.pem', 'w.pem');
    copy('a-expired.der', 'w.pem.ocsp');
    copy('b-chain.pem', 'g.pem');
    copy('b-good.der', 'g.pem.ocsp');
    const out: Diagnostic[] = [];
    const ocsp = new OcspResponses();
    const r = compileBindTls(
      bindLine([
        ['ssl', true],
        ['crt', 'w.pem'],
        ['crt', 'g.pem'],
      ]),
      { kind: 'frontend', name: 'fe' },
      testDefaults(dir),
      out,
      undefined,
      undefined,
      ocsp,
    );
    expect(out).toEqual([
      {
        level: 'warning',
        code: 'HAP_CFG_SSL_OCSP',
        keyword: 'bind',
        message: 'Loading: OCSP single response: no longer valid.. Content will be ignored.',
      },
    ]);
    expect(r.tls?.ocsp?.staple(x509('b.crt').raw)).toEqual(der('b-good.der'));
    expect(r.tls?.ocsp?.staple(x509('a.crt').raw)).toBeNull();

    copy('a.pem', 'n.pem');
    writeFileSync(p('n.pem.ocsp'), '');
    const out2: Diagnostic[] = [];
    const r2 = compileBindTls(
      bindLine([
        ['ssl', true],
        ['crt', 'n.pem'],
      ]),
      { kind: 'frontend', name: 'fe' },
      testDefaults(dir),
      out2,
    );
    expect(r2.tls).toBeUndefined();
    expect(out2.map((d) => [d.level, d.message])).toEqual([
      [
        'alert',
        `'bind 127.0.0.1:443' in section 'frontend' :  '${dir}/n.pem.ocsp' is present and activates OCSP but it is impossible to compute the OCSP certificate ID (maybe the issuer could not be found)'.`,
      ],
    ]);
  });
});
